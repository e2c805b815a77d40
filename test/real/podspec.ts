/**
 * Pod-spec fidelity test: takes the API pod template of every level FROM THE SYNTHESIZED CHART
 * (`dist/<level>.k8s.yaml`), runs it under podman with the real Merlai image as the kubelet would
 * (`test/real/pod.ts`), probes it as the kubelet does, and then checks what a pod needs:
 *
 *   1. started, Ready, and still live and ready after the liveness window (the spec's timings);
 *   2. requests answered (/, /health, /ready, a generation request, a 404);
 *   3. every line the container wrote, start-up and requests, is one JSON object with the guide's
 *      fields (timestamp, level, message), and both uvicorn's start-up and access lines are there;
 *   4. every path the spec mounts writable is writable by the container's user, every read-only
 *      mount and the root filesystem refuse writes.
 *
 * Then the fixtures, each a one-line mutation of Level 1's template, must FAIL with their reason:
 * HOME moved elsewhere (the app's `--user` install disappears), a writable path mounted read-only,
 * the app on a port the spec does not probe, and the guide's unescaped log format.
 *
 * Usage: node -r esbuild-register test/real/podspec.ts [--levels-only|--fixtures-only]
 * Needs podman and the images of scripts/images/build.sh. Exit 0 only when every level passes and
 * every fixture fails for its reason.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { checkLogs, requests } from './checks';
import { type Obj, PodContainer, PodFailure } from './pod';

const ROOT = path.resolve(__dirname, '..', '..');
const LEVEL_FILES = ['level1-dev', 'level2-staging', 'level3-production'];

/**
 * Secrets the operators create in a cluster (CloudNativePG's `<cluster>-app`, the Redis auth
 * Secret): test values of the same shape. Merlai reads neither variable today.
 */
const OPERATOR_SECRETS: Record<string, string> = {
  'merlai-postgres-app/uri': 'postgresql://merlai:podspec-test@merlai-postgres-rw:5432/merlai',
  'merlai-redis-auth/url': 'redis://:podspec-test@merlai-redis:6379/0',
};

function chart(level: string): Obj[] {
  const text = readFileSync(path.join(ROOT, 'dist', `${level}.k8s.yaml`), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS());
}

function apiTemplate(objects: Obj[]): Obj {
  const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'merlai-api');
  if (!d) throw new Error('no Deployment merlai-api in the chart');
  return structuredClone(d.spec.template);
}

interface Outcome {
  name: string;
  ok: boolean;
  message: string;
  startupAt?: number;
  readyAt?: number;
  logLines?: number;
  probes?: { probe: string; count: number; maxMs: number }[];
  seconds: number;
}

/**
 * Paths the app writes to: the guide's data and models volumes, its caches (XDG_CACHE_HOME and,
 * in model mode, HF_HOME) and /tmp. Each must take a file as the container's user, whatever the
 * spec says; read-only mounts and the root filesystem must refuse one.
 */
async function checkWrites(pod: PodContainer): Promise<string[]> {
  const problems: string[] = [];
  const write = (dir: string) =>
    pod.exec([
      'python3',
      '-c',
      'import os, sys; p = os.path.join(sys.argv[1], ".podspec-write"); open(p, "w").write("x"); os.remove(p)',
      dir,
    ]);
  const appWrites = ['/tmp', '/app/data', '/app/models', pod.env.XDG_CACHE_HOME, pod.env.HF_HOME].filter(
    (d): d is string => typeof d === 'string',
  );
  for (const dir of appWrites) {
    const r = await write(dir);
    if (r.status !== 0) {
      problems.push(`${dir} must be writable by the app but refused: ${r.output.trim().split('\n').pop()}`);
    }
  }
  for (const m of pod.container.volumeMounts ?? []) {
    if (m.readOnly && (await write(m.mountPath)).status === 0) {
      problems.push(`${m.mountPath} is mounted readOnly but accepted a write`);
    }
  }
  for (const dir of ['/', '/app', '/home/merlai']) {
    if ((await write(dir)).status === 0)
      problems.push(`${dir} accepted a write: the root filesystem is not read-only`);
  }
  return problems;
}

async function runCase(
  name: string,
  objects: Obj[],
  template: Obj,
  opts: { startupBudgetSeconds?: number } = {},
): Promise<Outcome> {
  const t0 = Date.now();
  const log = (line: string) => console.error(`[${name}] ${line}`);
  const pod = new PodContainer({
    name: `podspec-${name}`,
    template,
    objects,
    secretValues: OPERATOR_SECRETS,
    log,
    ...opts,
  });
  const outcome = (ok: boolean, message: string): Outcome => {
    const byProbe = new Map<string, { count: number; maxMs: number }>();
    for (const s of pod.samples) {
      const e = byProbe.get(s.probe) ?? { count: 0, maxMs: 0 };
      byProbe.set(s.probe, { count: e.count + 1, maxMs: Math.max(e.maxMs, s.ms) });
    }
    return {
      name,
      ok,
      message,
      startupAt: pod.startupAt,
      readyAt: pod.readyAt,
      probes: [...byProbe].map(([probe, v]) => ({ probe, ...v })),
      seconds: (Date.now() - t0) / 1000,
    };
  };
  try {
    await pod.start();
    await pod.waitReady();
    const problems = [...(await requests(`http://${pod.ip}:8000`)), ...(await checkWrites(pod))];
    const lines = await pod.allLogs();
    problems.push(...checkLogs(lines));
    if (problems.length) throw new PodFailure(`${name}: ${problems.join('\n  ')}`, await pod.logs());
    const health = await (await fetch(`http://${pod.ip}:8000/health`)).json();
    log(`ok: ${lines.length} log lines, all JSON; /health ${JSON.stringify(health)}`);
    return { ...outcome(true, 'passed'), logLines: lines.length };
  } catch (e) {
    return outcome(false, (e as Error).message);
  } finally {
    await pod.remove();
    pod.cleanup();
  }
}

type Mutation = (t: Obj) => void;
const container = (t: Obj): Obj => t.spec.containers[0];

/** Each fixture: a mutation of Level 1's template and the reason the run must fail with. */
const FIXTURES: { name: string; mutate: Mutation; reason: RegExp; startupBudgetSeconds?: number }[] = [
  {
    name: 'fixture-home-tmp',
    // What the Deployment did before: HOME=/tmp hides /home/merlai/.local.
    mutate: (t) => container(t).env.push({ name: 'HOME', value: '/tmp' }),
    reason: /container exited[\s\S]*ModuleNotFoundError: No module named/,
  },
  {
    name: 'fixture-readonly-data',
    mutate: (t) => {
      const m = container(t).volumeMounts.find((v: Obj) => v.mountPath === '/app/data');
      m.readOnly = true;
    },
    reason: /\/app\/data must be writable by the app/,
  },
  {
    name: 'fixture-wrong-port',
    // The app listens on 8080; the spec's port (and so every probe) says 8000.
    mutate: (t) => {
      const c = container(t);
      c.command = c.command.map((a: string) => (a === '8000' ? '8080' : a));
    },
    reason: /not started within the test's budget[\s\S]*(ECONNREFUSED|fetch failed)/,
    startupBudgetSeconds: 45,
  },
  {
    name: 'fixture-guide-log-format',
    mutate: (t) => {
      const e = container(t).env.find((v: Obj) => v.name === 'LOG_CONFIG');
      e.value = e.value.replace('log-config.strict.yaml', 'log-config.yaml');
    },
    reason: /not a JSON object: .*GET \/health HTTP|no log line with uvicorn's start-up line/,
  },
];

async function main(): Promise<void> {
  const arg = process.argv[2] ?? '';
  const t0 = Date.now();
  const jobs: Promise<{ outcome: Outcome; expectFail?: RegExp }>[] = [];
  if (arg !== '--fixtures-only') {
    for (const level of LEVEL_FILES) {
      const objects = chart(level);
      jobs.push(runCase(level, objects, apiTemplate(objects)).then((outcome) => ({ outcome })));
    }
  }
  if (arg !== '--levels-only') {
    const objects = chart('level1-dev');
    for (const f of FIXTURES) {
      const template = apiTemplate(objects);
      f.mutate(template);
      jobs.push(
        runCase(f.name, objects, template, { startupBudgetSeconds: f.startupBudgetSeconds }).then(
          (outcome) => ({
            outcome,
            expectFail: f.reason,
          }),
        ),
      );
    }
  }
  const results = await Promise.all(jobs);
  let bad = 0;
  console.log('\npod-spec fidelity (real Merlai image under podman, probed as the kubelet does):');
  for (const { outcome: o, expectFail } of results) {
    const good = expectFail ? !o.ok && expectFail.test(o.message) : o.ok;
    if (!good) bad++;
    const timing =
      o.readyAt !== undefined
        ? `started ${o.startupAt?.toFixed(1)} s, Ready ${o.readyAt.toFixed(1)} s, `
        : '';
    const probes = (o.probes ?? []).map((p) => `${p.probe} ${p.count}× max ${p.maxMs} ms`).join(', ');
    console.log(
      `  ${good ? 'PASS' : 'FAIL'} ${o.name}: ${expectFail ? (o.ok ? 'passed, but must fail' : 'failed as it must') : o.ok ? 'passed' : 'failed'} (${timing}${o.logLines !== undefined ? `${o.logLines} JSON log lines, ` : ''}${probes}; ${o.seconds.toFixed(0)} s)`,
    );
    if (!good || expectFail) console.log(`    ${o.message.split('\n').join('\n    ')}`);
  }
  console.log(
    `${results.length - bad}/${results.length} as expected in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  if (process.env.PODSPEC_RESULTS)
    writeFileSync(process.env.PODSPEC_RESULTS, JSON.stringify(results, null, 2));
  process.exit(bad ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
