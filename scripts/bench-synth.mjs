#!/usr/bin/env node
// Benchmark of the synth path: runs the app N times (default 10) into a temporary folder and
// prints min / median / max wall time. Usage: node scripts/bench-synth.mjs [runs]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 10);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const times = [];
for (let i = 0; i < runs; i++) {
  const out = mkdtempSync(path.join(os.tmpdir(), 'merlai-bench-'));
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['-r', 'esbuild-register', 'main.ts'], {
    cwd: root,
    env: { ...process.env, CDK8S_OUTDIR: out },
    stdio: 'inherit',
  });
  times.push(Number(process.hrtime.bigint() - start) / 1e6);
  rmSync(out, { recursive: true, force: true });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
times.sort((a, b) => a - b);
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(
  `synth of all levels, ${runs} runs: min ${fmt(times[0])}, median ${fmt(times[Math.floor(runs / 2)])}, max ${fmt(times[runs - 1])}`,
);
