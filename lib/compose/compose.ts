// A Level 1 chart as a Docker Compose file (`dist/level1-dev.compose.yaml`). No Kubernetes objects.
import type { Chart } from 'cdk8s';
import { parseQuantity } from '../core/validation';

/** Options of the Compose rendering of a chart. */
export interface ComposeOptions {
  /**
   * Ports published on the host, per service (the guide publishes the API's `8000:8000`).
   * @default { 'merlai-api': ['8000:8000'] }
   */
  readonly publish?: { readonly [service: string]: string[] } | undefined;
  /**
   * What Compose mounts in place of a Kubernetes volume, by mount path: a host folder (a path
   * starting with `.`, `/` or `$`, relative to the Compose file, which lives in `dist/`) or a named
   * volume. `../data` is the repository's `data/` folder: the guide's `./data`, kept out of `dist/`,
   * which every synth replaces. PostgreSQL's socket directory is a named volume, not a tmpfs: Podman
   * (4.3) mounts a tmpfs over a directory the image has as root-owned, so the postgres user (999)
   * cannot create its lock file there; a fresh named volume takes the image directory's owner and
   * mode (postgres, 3777) under Docker and Podman alike, as the chart's emptyDir is writable
   * (mounted at /run/postgresql, the same directory: see `composeTarget`).
   * @default { '/app/data': '${MERLAI_DATA_DIR:-../data}', '/app/models': 'merlai-models', '/var/run/postgresql': 'merlai-postgres-run' }
   */
  readonly mounts?: { readonly [mountPath: string]: string } | undefined;
  /**
   * Build settings per service. Paths are relative to the Compose file (in `dist/`).
   * @default - none: images are built by `scripts/container-runtime.sh build` (the guide's
   * `docker build -f docker/Dockerfile -t merlai:latest .`), one way for every runtime
   */
  readonly builds?: { readonly [service: string]: ComposeBuild } | undefined;
  /**
   * Folder (relative to the Compose file) holding the ConfigMap files the services mount.
   * @default 'level1-dev.compose.d'
   */
  readonly configDir?: string | undefined;
  /**
   * Name of the bridge network.
   * @default 'merlai'
   */
  readonly network?: string | undefined;
}

/** How Compose builds a service's image. */
export interface ComposeBuild {
  readonly context: string;
  readonly dockerfile: string;
}

/** A Compose file and the ConfigMap files it mounts. */
export interface ComposeOutput {
  /** The Compose file's YAML document, as an object. */
  readonly document: Record<string, unknown>;
  /** Extra files, by path relative to the Compose file. */
  readonly files: Record<string, string>;
}

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects read from a synthesized chart
type Obj = any;

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet'];

/** Thrown when a chart uses a Kubernetes feature Compose cannot express. */
function unsupported(where: string, what: string): never {
  throw new Error(
    `ComposeFile: ${where} uses ${what}, which has no Compose equivalent; Level 1 must avoid it`,
  );
}

/** Compose treats `$` as interpolation: keep literal values literal. */
function literal(value: string): string {
  return value.replaceAll('$', () => '$$');
}

function seconds(n: number | undefined, fallback: number): string {
  return `${n ?? fallback}s`;
}

/**
 * Renders the workloads of a (Level 1) chart as a Compose file: the same images, environment,
 * ports, probes, resources and security settings, so a laptop and the cluster run the same thing.
 * Secret values come from variables (a `.env` file) defaulting to the chart's development
 * credentials; services are named after their Kubernetes Service, so short host names resolve alike.
 */
export function composeFromChart(chart: Chart, options: ComposeOptions = {}): ComposeOutput {
  const objects: Obj[] = chart.toJson();
  const network = options.network ?? 'merlai';
  const configDir = options.configDir ?? 'level1-dev.compose.d';
  const publish = options.publish ?? { 'merlai-api': ['8000:8000'] };
  const mounts = options.mounts ?? {
    '/app/data': '${MERLAI_DATA_DIR:-../data}',
    '/app/models': 'merlai-models',
    '/var/run/postgresql': 'merlai-postgres-run',
  };
  const build = options.builds ?? {};

  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const secrets = new Map<string, Record<string, string>>(
    byKind('Secret').map((s) => [s.metadata.name, secretData(s)]),
  );
  const configMaps = new Map<string, Record<string, string>>(
    byKind('ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]),
  );
  const services = byKind('Service');
  const files: Record<string, string> = {};
  const namedVolumes = new Set<string>();
  const out: Record<string, Obj> = {};

  for (const workload of objects.filter((o) => WORKLOAD_KINDS.includes(o.kind))) {
    const template = workload.spec.template;
    const pod = template.spec;
    const labels: Record<string, string> = template.metadata?.labels ?? {};
    const exposing = services.filter((s) => selects(s.spec.selector, labels)).map((s) => s.metadata.name);
    const name: string =
      exposing.find((n: string) => n === workload.metadata.name) ?? exposing[0] ?? workload.metadata.name;
    if (pod.containers.length !== 1)
      unsupported(`${workload.kind}/${workload.metadata.name}`, 'several containers');
    if (pod.initContainers?.length)
      unsupported(`${workload.kind}/${workload.metadata.name}`, 'init containers');
    const c = pod.containers[0];
    const where = `${workload.kind}/${workload.metadata.name} container ${c.name}`;
    const security = { ...pod.securityContext, ...c.securityContext };

    const service: Obj = { image: c.image };
    if (build[name]) service.build = build[name];
    if (c.command) service.entrypoint = c.command.map(literal);
    if (c.args) {
      if (c.args.some((a: string) => /\$\([A-Za-z_]/.test(a))) unsupported(where, '$(VAR) expansion in args');
      service.command = c.args.map(literal);
    }
    const environment = renderEnv(c, where, secrets, configMaps);
    if (Object.keys(environment).length) service.environment = environment;
    if (publish[name]) service.ports = publish[name];

    const volumes: string[] = [];
    const tmpfs: string[] = [];
    for (const mount of c.volumeMounts ?? []) {
      const volume = (pod.volumes ?? []).find((v: Obj) => v.name === mount.name);
      const claim = (workload.spec.volumeClaimTemplates ?? []).find(
        (t: Obj) => t.metadata.name === mount.name,
      );
      const ro = mount.readOnly ? ':ro' : '';
      const mapped = mounts[mount.mountPath];
      if (mapped) {
        if (!/^[./$]/.test(mapped)) namedVolumes.add(mapped);
        volumes.push(`${mapped}:${composeTarget(mount.mountPath)}${ro}`);
      } else if (claim) {
        const volumeName = `${workload.metadata.name}-${claim.metadata.name}`;
        namedVolumes.add(volumeName);
        volumes.push(`${volumeName}:${mount.mountPath}${ro}`);
      } else if (volume?.persistentVolumeClaim) {
        namedVolumes.add(volume.persistentVolumeClaim.claimName);
        volumes.push(`${volume.persistentVolumeClaim.claimName}:${mount.mountPath}${ro}`);
      } else if (volume?.emptyDir) {
        // A kubelet emptyDir is world-writable (0777) and bounded by its sizeLimit; Compose tmpfs
        // defaults differ by runtime (podman's is root-owned 0755, which the postgres entrypoint
        // cannot use), so both are written out.
        const size = volume.emptyDir.sizeLimit ? parseQuantity(String(volume.emptyDir.sizeLimit)) : undefined;
        tmpfs.push(`${mount.mountPath}:mode=1777${size ? `,size=${size}` : ''}`);
      } else if (volume?.configMap || volume?.secret) {
        const source = volume.configMap
          ? configMaps.get(volume.configMap.name)
          : secrets.get(volume.secret.secretName);
        const sourceName = volume.configMap?.name ?? volume.secret.secretName;
        if (!source) unsupported(where, `a volume from ${sourceName}, which is not in the chart`);
        for (const [key, content] of Object.entries(source))
          files[`${configDir}/${sourceName}/${key}`] = content;
        const sub = mount.subPath ? `/${mount.subPath}` : '';
        volumes.push(`./${configDir}/${sourceName}${sub}:${mount.mountPath}:ro`);
      } else {
        unsupported(where, `volume ${mount.name} of an unsupported type`);
      }
    }
    if (volumes.length) service.volumes = volumes;
    if (tmpfs.length) service.tmpfs = tmpfs;

    if (security.runAsUser !== undefined) {
      service.user = `${security.runAsUser}${security.runAsGroup !== undefined ? `:${security.runAsGroup}` : ''}`;
    }
    if (security.readOnlyRootFilesystem) service.read_only = true;
    if (security.capabilities?.drop) service.cap_drop = security.capabilities.drop;
    if (security.capabilities?.add) service.cap_add = security.capabilities.add;
    if (security.allowPrivilegeEscalation === false) service.security_opt = ['no-new-privileges:true'];

    const limits = c.resources?.limits ?? {};
    if (limits.cpu) service.cpus = String(parseQuantity(limits.cpu));
    if (limits.memory) service.mem_limit = parseQuantity(limits.memory);

    const healthcheck = renderHealthcheck(c, where);
    if (healthcheck) service.healthcheck = healthcheck;
    service.restart = 'unless-stopped';
    // A list, not a map with aliases: podman-compose 1.0.3 (Debian 12) rejects network maps.
    service.networks = [network];
    out[name] = service;
  }

  // A service waits for the services its environment points at to be healthy.
  for (const [name, service] of Object.entries(out)) {
    const env = JSON.stringify(service.environment ?? {});
    const deps = Object.keys(out).filter((other) => other !== name && new RegExp(`\\b${other}\\b`).test(env));
    if (deps.length)
      service.depends_on = Object.fromEntries(deps.sort().map((d) => [d, { condition: 'service_healthy' }]));
  }

  const document: Record<string, unknown> = {
    services: sortKeys(out),
    networks: { [network]: { driver: 'bridge' } },
  };
  if (namedVolumes.size) document.volumes = Object.fromEntries([...namedVolumes].sort().map((v) => [v, {}]));
  return { document, files };
}

function secretData(secret: Obj): Record<string, string> {
  const data: Record<string, string> = { ...(secret.stringData ?? {}) };
  for (const [k, v] of Object.entries(secret.data ?? {}))
    data[k] = Buffer.from(String(v), 'base64').toString('utf8');
  return data;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function renderEnv(
  c: Obj,
  where: string,
  secrets: Map<string, Record<string, string>>,
  configMaps: Map<string, Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = literal(String(e.value));
    } else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      const value = secrets.get(name)?.[key];
      // Development credentials come from `.env` or the shell, defaulting to the chart's development Secret.
      env[e.name] =
        value === undefined ? `\${${e.name}:?set ${e.name} in .env}` : `\${${e.name}:-${literal(value)}}`;
    } else if (e.valueFrom?.configMapKeyRef) {
      const { name, key } = e.valueFrom.configMapKeyRef;
      const value = configMaps.get(name)?.[key];
      if (value === undefined)
        unsupported(where, `env ${e.name} from ConfigMap ${name}/${key}, which is not in the chart`);
      env[e.name] = literal(value);
    } else {
      unsupported(where, `env ${e.name} from ${JSON.stringify(e.valueFrom)}`);
    }
  }
  if (c.envFrom?.length) unsupported(where, 'envFrom');
  return env;
}

function renderHealthcheck(c: Obj, where: string): Obj | undefined {
  const probe = c.readinessProbe ?? c.livenessProbe;
  if (!probe) return undefined;
  let command: string[];
  if (probe.exec) {
    command = probe.exec.command;
  } else if (probe.httpGet) {
    const port = resolvePort(c, probe.httpGet.port, where);
    const url = `http://127.0.0.1:${port}${probe.httpGet.path ?? '/'}`;
    // The Merlai image is Python: no curl or wget needed.
    command = [
      'python3',
      '-c',
      `import urllib.request; urllib.request.urlopen("${url}", timeout=${probe.timeoutSeconds ?? 1})`,
    ];
  } else {
    return unsupported(where, 'a probe other than exec or httpGet');
  }
  // CMD-SHELL with each word quoted, not CMD: podman-compose 1.0.3 (Debian 12) joins CMD words
  // into a shell string without quoting them, which breaks any word with a space (the Python
  // probe); a quoted CMD-SHELL string runs the same words under Docker Compose and podman-compose.
  const test = ['CMD-SHELL', literal(command.map(shellQuote).join(' '))];
  const startup = c.startupProbe;
  const startPeriod = startup
    ? (startup.initialDelaySeconds ?? 0) + (startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3)
    : (probe.initialDelaySeconds ?? 0);
  return {
    test,
    interval: seconds(probe.periodSeconds, 10),
    timeout: seconds(probe.timeoutSeconds, 1),
    retries: probe.failureThreshold ?? 3,
    start_period: `${startPeriod}s`,
  };
}

/**
 * Where Compose mounts a path. Debian-based images (the official postgres and redis ones among
 * them) link /var/run to /run, and Podman 4.3 resolves a volume target's symlink on the host, not
 * in the image: a named volume at /var/run/postgresql would copy the host's directory. /run/… is
 * the same directory in the container, under Docker and Podman alike.
 */
export function composeTarget(mountPath: string): string {
  return mountPath.startsWith('/var/run/') ? mountPath.slice('/var'.length) : mountPath;
}

/** A word for POSIX sh: bare when safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

function resolvePort(c: Obj, port: number | string, where: string): number {
  if (typeof port === 'number') return port;
  const named = (c.ports ?? []).find((p: Obj) => p.name === port);
  if (!named) unsupported(where, `probe port '${port}', which the container does not name`);
  return named.containerPort;
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
