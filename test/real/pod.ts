/**
 * Runs a synthesized pod template's container under podman as the kubelet would, and probes it as
 * the kubelet does. Used by `test/real/podspec.ts` (not by jest: it needs podman and images).
 *
 * Mapping (pod template → `podman run`):
 * - image, command (`--entrypoint`), args, with the kubelet's `$(VAR)` expansion;
 * - env: literal values, `secretKeyRef` / `configMapKeyRef` resolved from the chart's objects or, for
 *   Secrets an operator creates in the cluster, from test values the caller supplies;
 * - security context: runAsUser/runAsGroup (`--user`), fsGroup (`--group-add`), runAsNonRoot
 *   (checked against the user), readOnlyRootFilesystem (`--read-only --read-only-tmpfs=false`: podman
 *   would otherwise add writable /tmp, /run and /var/tmp that a pod does not get),
 *   capabilities (`--cap-drop` / `--cap-add`), allowPrivilegeEscalation false
 *   (`no-new-privileges`), seccomp RuntimeDefault (podman's default profile);
 * - resources: CPU and memory limits (`--cpus`, `--memory`, no extra swap);
 * - volumes: emptyDir as a tmpfs of its `sizeLimit`, ConfigMaps and Secrets as read-only files,
 *   claims and generic ephemeral volumes as podman volumes owned by the fsGroup, each mount's
 *   `readOnly` kept;
 * - probes: startup, then liveness and readiness, with the spec's delays, periods, timeouts and
 *   thresholds, against the container's IP (as the kubelet probes the pod IP); HTTP success is a
 *   status from 200 to 399 within the timeout, exec success exit status 0.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Obj = Record<string, any>;

export interface PodRunOptions {
  /** Container name (also the prefix of its volumes). */
  readonly name: string;
  /** The pod template (`spec.template` of a Deployment). */
  readonly template: Obj;
  /** Every object of the chart, for ConfigMap and Secret references. */
  readonly objects: Obj[];
  /** Values of Secret keys the chart does not hold (created by operators): `name/key` → value. */
  readonly secretValues?: Readonly<Record<string, string>>;
  /** Multiply every `initialDelaySeconds` by this (the README documents any value below 1). */
  readonly delayScale?: number;
  /**
   * Stop waiting for the startup probe after this many seconds (a fixture that never starts need
   * not wait the full model-load window). Default: the spec's own window.
   */
  readonly startupBudgetSeconds?: number;
  /** After Ready, keep probing liveness and readiness this long (default: liveness delay + threshold × period). */
  readonly observeSeconds?: number;
  /** Log progress lines with this prefix. */
  readonly log?: (line: string) => void;
  /** podman network to join (default: podman's own bridge). */
  readonly network?: string;
  /** Claims backed by an existing podman volume (`claimName` → volume), shared between pods. */
  readonly claimVolumes?: Readonly<Record<string, string>>;
}

export interface ProbeSample {
  readonly probe: 'startup' | 'liveness' | 'readiness';
  readonly at: number;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
}

export class PodFailure extends Error {
  constructor(
    message: string,
    public readonly logTail: string,
  ) {
    super(`${message}\n--- last container log lines ---\n${logTail}`);
  }
}

export async function podman(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run('podman', args, { timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 });
  return stdout;
}

/** The kubelet's `$(VAR)` expansion: defined variables are replaced, `$$` escapes, others stay. */
export function expand(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name?: string) => {
    if (m === '$$') return '$';
    return name !== undefined && name in env ? env[name] : m;
  });
}

/** Bytes of a Kubernetes quantity (`1Gi`, `512Mi`, `1e9`, `500M`). */
export function bytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|e\d+)?$/.exec(quantity);
  if (!m) throw new Error(`not a byte quantity: ${quantity}`);
  const unit = m[2] ?? '';
  const factors: Record<string, number> = {
    '': 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  const factor = unit.startsWith('e') ? 10 ** Number(unit.slice(1)) : factors[unit];
  return Math.round(Number(m[1]) * factor);
}

/** CPUs of a Kubernetes CPU quantity (`500m`, `2`). */
export function cpus(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

function lookup(objects: Obj[], kind: string, name: string): Obj | undefined {
  return objects.find((o) => o.kind === kind && o.metadata?.name === name);
}

function secretData(secret: Obj): Record<string, string> {
  const out: Record<string, string> = { ...(secret.stringData ?? {}) };
  for (const [k, v] of Object.entries(secret.data ?? {}))
    out[k] = Buffer.from(String(v), 'base64').toString();
  return out;
}

/** The container's environment as the kubelet computes it (in order, with `$(VAR)` expansion). */
export function resolveEnv(container: Obj, objects: Obj[], secretValues: Readonly<Record<string, string>>) {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = expand(String(e.value), env);
    } else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      const secret = lookup(objects, 'Secret', name);
      const value = secret ? secretData(secret)[key] : secretValues[`${name}/${key}`];
      if (value === undefined)
        throw new Error(
          `env ${e.name}: Secret ${name} key ${key} is neither in the chart nor in the test values`,
        );
      env[e.name] = value;
    } else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef;
      const value = lookup(objects, 'ConfigMap', name)?.data?.[key];
      if (value === undefined)
        throw new Error(`env ${e.name}: ConfigMap ${name} key ${key} is not in the chart`);
      env[e.name] = value;
    } else {
      throw new Error(`env ${e.name}: unsupported source ${JSON.stringify(e.valueFrom)}`);
    }
  }
  if (container.envFrom?.length) throw new Error('envFrom is not supported by this harness');
  return env;
}

/** A running container made from a pod template; `start()`, then `waitReady()`, then `remove()`. */
export class PodContainer {
  public readonly container: Obj;
  public readonly env: Record<string, string>;
  public readonly samples: ProbeSample[] = [];
  public ip = '';
  public startedAt = 0;
  public readyAt?: number;
  public startupAt?: number;
  private readonly tmpDir: string;
  private readonly volumes: string[] = [];
  private readonly log: (line: string) => void;

  constructor(private readonly o: PodRunOptions) {
    const containers = o.template.spec?.containers ?? [];
    if (containers.length !== 1)
      throw new Error(`${o.name}: expected one container, got ${containers.length}`);
    this.container = containers[0];
    this.env = resolveEnv(this.container, o.objects, o.secretValues ?? {});
    this.tmpDir = mkdtempSync(path.join(os.tmpdir(), `podspec-${o.name}-`));
    this.log = o.log ?? (() => {});
  }

  /** The `podman run` arguments the pod template maps to. */
  public async runArgs(): Promise<string[]> {
    const spec = this.o.template.spec;
    const c = this.container;
    const podSc = spec.securityContext ?? {};
    const sc = c.securityContext ?? {};
    const args = ['run', '--detach', '--name', this.o.name, '--pull=never', '--hostname', this.o.name];
    if (this.o.network) args.push('--network', this.o.network);
    const uid = sc.runAsUser ?? podSc.runAsUser;
    const gid = sc.runAsGroup ?? podSc.runAsGroup;
    if (uid !== undefined) args.push('--user', gid !== undefined ? `${uid}:${gid}` : String(uid));
    if (podSc.fsGroup !== undefined) args.push('--group-add', String(podSc.fsGroup));
    for (const g of podSc.supplementalGroups ?? []) args.push('--group-add', String(g));
    if (sc.runAsNonRoot ?? podSc.runAsNonRoot) {
      const user = String(
        uid ?? (await podman(['image', 'inspect', '--format', '{{.Config.User}}', c.image])).trim(),
      );
      if (user === '' || user === '0' || user === 'root' || user.startsWith('0:')) {
        throw new Error(`${this.o.name}: runAsNonRoot, but the container would run as '${user || 'root'}'`);
      }
    }
    if (sc.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
    for (const cap of sc.capabilities?.drop ?? []) args.push('--cap-drop', cap);
    for (const cap of sc.capabilities?.add ?? []) args.push('--cap-add', cap);
    if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
    if (sc.privileged) throw new Error(`${this.o.name}: privileged containers are not run by this harness`);
    const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
    if (seccomp === 'Unconfined') args.push('--security-opt', 'seccomp=unconfined');
    const limits = c.resources?.limits ?? {};
    if (limits.cpu) args.push('--cpus', String(cpus(String(limits.cpu))));
    if (limits.memory) {
      const mem = String(bytes(String(limits.memory)));
      args.push('--memory', mem, '--memory-swap', mem);
    }
    for (const [k, v] of Object.entries(this.env)) args.push('--env', `${k}=${v}`);
    args.push(...(await this.mountArgs()));
    if (c.workingDir) args.push('--workdir', c.workingDir);
    if (c.command)
      args.push('--entrypoint', JSON.stringify(c.command.map((a: string) => expand(a, this.env))));
    args.push(c.image);
    // A command without args runs no image CMD (Kubernetes semantics); podman's --entrypoint also
    // drops the CMD, so only explicit args follow.
    for (const a of c.args ?? []) args.push(expand(a, this.env));
    return args;
  }

  private async mountArgs(): Promise<string[]> {
    const spec = this.o.template.spec;
    const volumes: Obj[] = spec.volumes ?? [];
    const args: string[] = [];
    for (const m of this.container.volumeMounts ?? []) {
      const v = volumes.find((x) => x.name === m.name);
      if (!v) throw new Error(`${this.o.name}: volumeMount ${m.name} names no volume`);
      if (m.subPath) throw new Error(`${this.o.name}: subPath mounts are not supported by this harness`);
      const ro = m.readOnly === true;
      if (v.emptyDir) {
        const size = v.emptyDir.sizeLimit ? bytes(String(v.emptyDir.sizeLimit)) : undefined;
        const opts = [`type=tmpfs`, `destination=${m.mountPath}`, 'tmpfs-mode=1777'];
        if (size) opts.push(`tmpfs-size=${size}`);
        if (ro) opts.push('ro=true');
        args.push('--mount', opts.join(','));
      } else if (v.configMap || v.secret) {
        const kind = v.configMap ? 'ConfigMap' : 'Secret';
        const name = v.configMap?.name ?? v.secret?.secretName;
        const obj = lookup(this.o.objects, kind, name);
        const data = obj ? (kind === 'Secret' ? secretData(obj) : (obj.data ?? {})) : undefined;
        if (!data) throw new Error(`${this.o.name}: volume ${m.name}: ${kind} ${name} is not in the chart`);
        const dir = path.join(this.tmpDir, m.name);
        mkdirSync(dir, { recursive: true });
        const items: Obj[] | undefined = (v.configMap ?? v.secret).items;
        const entries = items ? items.map((i) => [i.path, data[i.key]]) : Object.entries(data);
        for (const [file, content] of entries)
          writeFileSync(path.join(dir, file), String(content), { mode: 0o644 });
        // The kubelet mounts ConfigMap and Secret volumes read-only whatever the mount says.
        args.push('--volume', `${dir}:${m.mountPath}:ro`);
      } else if (v.persistentVolumeClaim || v.ephemeral) {
        // A claim (shared by name when the test says so) or a generic ephemeral volume (a claim of
        // the pod's own, made with it and gone with it): a podman volume, fresh and owned by the
        // fsGroup as the kubelet leaves it (U: chown to the user).
        const shared = v.persistentVolumeClaim
          ? this.o.claimVolumes?.[v.persistentVolumeClaim.claimName]
          : undefined;
        const vol = shared ?? `${this.o.name}-${v.persistentVolumeClaim?.claimName ?? v.name}`;
        const exists = await podman(['volume', 'exists', vol]).then(
          () => true,
          () => false,
        );
        if (!exists) await podman(['volume', 'create', vol]);
        if (!shared) this.volumes.push(vol);
        args.push('--volume', `${vol}:${m.mountPath}:${ro ? 'ro,' : ''}U`);
      } else {
        throw new Error(`${this.o.name}: volume ${m.name}: unsupported type ${Object.keys(v).join(',')}`);
      }
    }
    return args;
  }

  public async start(): Promise<void> {
    await this.remove();
    const args = await this.runArgs();
    this.log(`podman ${args.map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    await podman(args);
    this.startedAt = Date.now();
    const format = this.o.network
      ? `{{(index .NetworkSettings.Networks "${this.o.network}").IPAddress}}`
      : '{{.NetworkSettings.IPAddress}}';
    for (let i = 0; i < 50 && !this.ip; i++) {
      this.ip = (await podman(['inspect', '--format', format, this.o.name]).catch(() => '')).trim();
      if (!this.ip) await sleep(100);
    }
  }

  /** Waits for a run-to-completion container (a Job's) to exit; returns its status and output. */
  public async waitExit(timeoutSeconds: number): Promise<{ exitCode: number; output: string }> {
    const end = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const s = await this.state();
      if (!s.running) {
        const { stdout, stderr } = await run('podman', ['logs', this.o.name], { maxBuffer: 64 * 2 ** 20 });
        return { exitCode: s.exitCode, output: `${stdout}${stderr}` };
      }
      if (Date.now() > end) await this.fail(`still running after ${timeoutSeconds} s`);
      await sleep(500);
    }
  }

  public async logs(tail = 40): Promise<string> {
    try {
      const { stdout, stderr } = await run('podman', ['logs', '--tail', String(tail), this.o.name], {
        maxBuffer: 64 * 2 ** 20,
      });
      return `${stdout}${stderr}`.trimEnd();
    } catch (e) {
      return `(no logs: ${(e as Error).message})`;
    }
  }

  /** Every line the container wrote, stdout and stderr interleaved as podman stored them. */
  public async allLogs(): Promise<string[]> {
    const { stdout, stderr } = await run('podman', ['logs', this.o.name], { maxBuffer: 64 * 2 ** 20 });
    return `${stdout}${stderr}`.split('\n').filter((l) => l.trim() !== '');
  }

  public async state(): Promise<{ running: boolean; exitCode: number }> {
    const out = await podman(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', this.o.name]);
    const [running, code] = out.trim().split(' ');
    return { running: running === 'true', exitCode: Number(code) };
  }

  public async fail(message: string): Promise<never> {
    throw new PodFailure(`${this.o.name}: ${message}`, await this.logs());
  }

  /** One probe attempt, as the kubelet makes it. */
  public async probeOnce(kind: ProbeSample['probe'], probe: Obj): Promise<ProbeSample> {
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
    const t0 = Date.now();
    let ok = false;
    let detail = '';
    try {
      if (probe.httpGet) {
        const port = this.resolvePort(probe.httpGet.port);
        const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
        const url = `${scheme}://${this.ip}:${port}${probe.httpGet.path ?? '/'}`;
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
        await res.arrayBuffer();
        ok = res.status >= 200 && res.status < 400;
        detail = `GET ${url} → ${res.status}`;
      } else if (probe.exec) {
        await run('podman', ['exec', this.o.name, ...probe.exec.command], { timeout: timeoutMs });
        ok = true;
        detail = `exec ${probe.exec.command.join(' ')} → 0`;
      } else if (probe.tcpSocket) {
        const port = this.resolvePort(probe.tcpSocket.port);
        await tcpConnect(this.ip, port, timeoutMs);
        ok = true;
        detail = `tcp ${this.ip}:${port} open`;
      } else {
        throw new Error(`unsupported probe ${JSON.stringify(probe)}`);
      }
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      detail =
        err.name === 'TimeoutError'
          ? `timeout after ${timeoutMs} ms`
          : `${err.message}${err.cause ? ` (${err.cause.code ?? err.cause.message})` : ''}`;
    }
    const sample = { probe: kind, at: (Date.now() - this.startedAt) / 1000, ok, ms: Date.now() - t0, detail };
    this.samples.push(sample);
    return sample;
  }

  private resolvePort(port: number | string): number {
    if (typeof port === 'number') return port;
    if (/^\d+$/.test(port)) return Number(port);
    const found = (this.container.ports ?? []).find((p: Obj) => p.name === port);
    if (!found) throw new Error(`probe port '${port}' is not a named port of the container`);
    return found.containerPort;
  }

  private async exitedCheck(): Promise<void> {
    const s = await this.state();
    if (!s.running)
      await this.fail(
        `container exited with status ${s.exitCode} (the kubelet would restart it: CrashLoopBackOff)`,
      );
  }

  /**
   * The kubelet's probe sequence: the startup probe until it succeeds (failing after
   * failureThreshold misses), then liveness and readiness from their initial delays; Ready at the
   * first readiness success. Keeps probing for `observeSeconds` after Ready and fails on a liveness
   * restart or a readiness drop.
   */
  public async waitReady(): Promise<void> {
    const c = this.container;
    const scale = this.o.delayScale ?? 1;
    const delay = (p: Obj) => (p.initialDelaySeconds ?? 0) * scale * 1000;
    const since = () => Date.now() - this.startedAt;
    const startup = c.startupProbe;
    if (startup) {
      const period = (startup.periodSeconds ?? 10) * 1000;
      const threshold = startup.failureThreshold ?? 3;
      const budget = this.o.startupBudgetSeconds;
      await sleep(Math.max(0, delay(startup) - since()));
      let failures = 0;
      for (;;) {
        const tick = Date.now();
        await this.exitedCheck();
        const s = await this.probeOnce('startup', startup);
        if (s.ok) break;
        failures++;
        this.log(`startup probe failed (${failures}/${threshold}): ${s.detail}`);
        if (failures >= threshold)
          await this.fail(
            `startup probe failed ${threshold} times (${s.detail}): the kubelet would restart the container`,
          );
        if (budget !== undefined && since() > budget * 1000) {
          await this.fail(`not started within the test's budget of ${budget} s (last: ${s.detail})`);
        }
        await sleep(Math.max(0, period - (Date.now() - tick)));
      }
      this.startupAt = since() / 1000;
      this.log(`started after ${this.startupAt.toFixed(1)} s`);
    }
    const liveness = c.livenessProbe;
    const readiness = c.readinessProbe;
    const observe =
      (this.o.observeSeconds ??
        (liveness
          ? (liveness.initialDelaySeconds ?? 0) * scale +
            (liveness.failureThreshold ?? 3) * (liveness.periodSeconds ?? 10)
          : 10)) * 1000;
    const end = { at: Number.POSITIVE_INFINITY };
    const failures: string[] = [];
    const worker = async (kind: 'liveness' | 'readiness', p: Obj) => {
      const period = (p.periodSeconds ?? 10) * 1000;
      const threshold = p.failureThreshold ?? 3;
      await sleep(Math.max(0, delay(p) - since()));
      let misses = 0;
      while (Date.now() < end.at && failures.length === 0) {
        const tick = Date.now();
        const s = await this.probeOnce(kind, p);
        if (s.ok) {
          misses = 0;
          if (kind === 'readiness' && this.readyAt === undefined) {
            this.readyAt = since() / 1000;
            this.log(`ready after ${this.readyAt.toFixed(1)} s`);
            end.at = Date.now() + observe;
          }
        } else {
          misses++;
          this.log(`${kind} probe failed (${misses}/${threshold}): ${s.detail}`);
          if (misses >= threshold) {
            failures.push(
              kind === 'liveness'
                ? `liveness probe failed ${threshold} times (${s.detail}): the kubelet would restart the container`
                : this.readyAt === undefined
                  ? `readiness probe failed ${threshold} times in a row before the pod was ever Ready (${s.detail})`
                  : `readiness probe failed ${threshold} times after Ready (${s.detail}): the pod would leave the Service`,
            );
          }
        }
        if (kind === 'readiness' && this.readyAt === undefined && since() > 300_000) {
          failures.push('not Ready within 300 s of the startup probe passing');
        }
        await sleep(Math.max(0, Math.min(period - (Date.now() - tick), end.at - Date.now())));
      }
    };
    await Promise.all([
      liveness ? worker('liveness', liveness) : Promise.resolve(),
      readiness ? worker('readiness', readiness) : Promise.resolve(),
      (async () => {
        while (Date.now() < end.at && failures.length === 0) {
          await sleep(1000);
          const s = await this.state();
          if (!s.running) failures.push(`container exited with status ${s.exitCode}`);
        }
      })(),
    ]);
    if (failures.length) await this.fail(failures[0]);
    if (readiness && this.readyAt === undefined) await this.fail('never Ready');
  }

  /** Runs a command in the container; resolves with its exit status and output. */
  public async exec(command: string[], timeoutMs = 30_000): Promise<{ status: number; output: string }> {
    try {
      const { stdout, stderr } = await run('podman', ['exec', this.o.name, ...command], {
        timeout: timeoutMs,
      });
      return { status: 0, output: `${stdout}${stderr}` };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
      return {
        status: typeof err.code === 'number' ? err.code : 1,
        output: `${err.stdout ?? ''}${err.stderr ?? err.message}`,
      };
    }
  }

  public async remove(): Promise<void> {
    await run('podman', ['rm', '--force', '--time', '5', this.o.name]).catch(() => {});
    for (const v of this.volumes) await run('podman', ['volume', 'rm', '--force', v]).catch(() => {});
  }

  public cleanup(): void {
    rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  const net = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.end();
      resolve();
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}
