/**
 * Probes under load: runs a level's API pod template (from dist/) with the real image under its
 * CPU and memory limits, then sends concurrent generation requests while timing `/health` and
 * `/ready` the way the kubelet calls them (a fresh connection each, every second here). Prints
 * the latency distribution and how many probes each timeout (1, 3, 5 s) would have failed.
 *
 * Usage: node -r esbuild-register test/real/probe-load.ts [level1-dev] [clients=8] [seconds=60]
 * Measurement, not a pass/fail test: README "Probes under load" records its figures.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type Obj, PodContainer, sleep } from './pod';

const ROOT = path.resolve(__dirname, '..', '..');
const [level = 'level1-dev', clientsArg = '8', secondsArg = '60'] = process.argv.slice(2);
const CLIENTS = Number(clientsArg);
const SECONDS = Number(secondsArg);

const MELODY = Array.from({ length: 32 }, (_, i) => ({
  pitch: 60 + ((i * 5) % 12),
  velocity: 90,
  duration: 0.5,
  start_time: i * 0.5,
}));

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function timed(
  url: string,
  init: RequestInit = {},
  timeoutMs = 30_000,
): Promise<{ ms: number; ok: boolean }> {
  const t0 = performance.now();
  try {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await r.arrayBuffer();
    return { ms: performance.now() - t0, ok: r.status < 400 };
  } catch {
    return { ms: performance.now() - t0, ok: false };
  }
}

async function main(): Promise<void> {
  const objects = parseAllDocuments(readFileSync(path.join(ROOT, 'dist', `${level}.k8s.yaml`), 'utf8')).map(
    (d) => d.toJS(),
  );
  const deployment = objects.find((o: Obj) => o.kind === 'Deployment' && o.metadata.name === 'merlai-api');
  const pod = new PodContainer({
    name: `probe-load-${level}`,
    template: structuredClone(deployment.spec.template),
    objects,
    secretValues: {
      'merlai-postgres-app/uri': 'postgresql://merlai:x@merlai-postgres-rw:5432/merlai',
      'merlai-redis-auth/url': 'redis://:x@merlai-redis:6379/0',
    },
    observeSeconds: 0,
    log: (l) => console.error(`[probe-load] ${l}`),
  });
  try {
    await pod.start();
    await pod.waitReady();
    const base = `http://${pod.ip}:8000`;
    const body = JSON.stringify({ melody: MELODY, style: 'jazz', tempo: 120, key: 'C' });
    // Idle baseline.
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push((await timed(`${base}/health`)).ms);
    const end = Date.now() + SECONDS * 1000;
    const gen: number[] = [];
    let genErrors = 0;
    const health: number[] = [];
    const ready: number[] = [];
    const client = async () => {
      while (Date.now() < end) {
        const r = await timed(`${base}/api/v1/generate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        if (r.ok) gen.push(r.ms);
        else genErrors++;
      }
    };
    const prober = async () => {
      while (Date.now() < end) {
        const tick = Date.now();
        const [h, r] = await Promise.all([
          timed(`${base}/health`, {}, 30_000),
          timed(`${base}/ready`, {}, 30_000),
        ]);
        health.push(h.ms);
        ready.push(r.ms);
        await sleep(Math.max(0, 1000 - (Date.now() - tick)));
      }
    };
    await Promise.all([...Array.from({ length: CLIENTS }, client), prober()]);
    const limits = pod.container.resources.limits;
    const over = (xs: number[], s: number) => xs.filter((x) => x > s * 1000).length;
    const row = (name: string, xs: number[]) =>
      `${name.padEnd(22)} n=${String(xs.length).padStart(4)}  p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms  p95 ${pct(xs, 95).toFixed(0).padStart(5)} ms  p99 ${pct(xs, 99).toFixed(0).padStart(5)} ms  max ${Math.max(
        ...xs,
      )
        .toFixed(0)
        .padStart(5)} ms  >1s ${over(xs, 1)}  >3s ${over(xs, 3)}  >5s ${over(xs, 5)}`;
    console.log(
      `${level}: ${CLIENTS} concurrent generation clients for ${SECONDS} s, CPU limit ${limits.cpu}, memory ${limits.memory}`,
    );
    console.log(row('/health idle', idle));
    console.log(row('/health under load', health));
    console.log(row('/ready under load', ready));
    console.log(row('POST /api/v1/generate', gen));
    console.log(`generation throughput ${(gen.length / SECONDS).toFixed(1)}/s, errors ${genErrors}`);
    const stats = await pod.exec([
      'python3',
      '-c',
      'print(open("/sys/fs/cgroup/memory/memory.max_usage_in_bytes").read())',
    ]);
    if (stats.status === 0)
      console.log(`peak memory (cgroup) ${(Number(stats.output.trim()) / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await pod.remove();
    pod.cleanup();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
