import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from './synth';

/** A Prometheus rule file: the `spec` of a synthesized PrometheusRule object. */
export interface RuleFile {
  groups: { name: string; rules: PromRule[] }[];
}

export interface PromRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The rule groups of the PrometheusRule object `name`, as Prometheus would load them. */
export function ruleFile(objects: KubeObject[], name: string): RuleFile {
  const rule = objects.find((o) => o.kind === 'PrometheusRule' && o.metadata.name === name);
  if (!rule) throw new Error(`no PrometheusRule/${name}`);
  return { groups: rule.spec.groups };
}

export function alertRules(file: RuleFile): PromRule[] {
  return file.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
}

export function alertRule(file: RuleFile, alert: string): PromRule {
  const found = alertRules(file).find((r) => r.alert === alert);
  if (!found) throw new Error(`no alert ${alert} among ${alertRules(file).map((r) => r.alert)}`);
  return found;
}

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds of a Prometheus duration such as `2m`, `1h30m` or `3d`. */
export function seconds(duration: string | undefined): number {
  if (!duration) return 0;
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)([smhd])/g)) total += Number(n) * UNIT[unit];
  return total;
}

/** A promtool input series. */
export interface InputSeries {
  series: string;
  values: string;
}

/**
 * promtool's expanding notation for a counter that grows by `perStep[i]` on each step of a phase
 * of `steps[i]` steps, starting at `start` (far from zero, so rate() extrapolation never clips).
 */
export function counter(phases: { steps: number; perStep: number }[], start = 1e7): string {
  let value = start;
  const out: string[] = [];
  phases.forEach(({ steps, perStep }, i) => {
    // The first phase writes its start value too; later phases continue from the previous one.
    const first = i === 0 ? value : value + perStep;
    const count = i === 0 ? steps : steps - 1;
    out.push(`${round(first)}+${round(perStep)}x${count}`);
    value = first + perStep * count;
  });
  return out.join(' ');
}

function round(x: number): number {
  return Number(x.toPrecision(12));
}

/** Prometheus series notation: `name{a="b",…}`. */
export function series(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
}

/**
 * Renders the only template syntax the rules' annotations use, `{{ $labels.NAME }}`, as Prometheus
 * would for an alert with `labels`. Anything else is an error: the test could not predict it.
 */
export function renderAnnotations(
  annotations: Record<string, string> | undefined,
  labels: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, template] of Object.entries(annotations ?? {})) {
    const rendered = template.replace(
      /\{\{ \$labels\.([a-zA-Z_][a-zA-Z0-9_]*) \}\}/g,
      (_, l) => labels[l] ?? '',
    );
    if (rendered.includes('{{')) throw new Error(`annotation ${key} uses a template the test cannot render`);
    out[key] = rendered;
  }
  return out;
}

/** Runs promtool with the given files written into a fresh temporary directory. */
export async function promtool(
  args: string[],
  files: Record<string, unknown>,
): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'merlai-promtool-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(path.join(dir, name), typeof content === 'string' ? content : stringify(content));
    }
    return await new Promise((resolve) => {
      execFile('promtool', args, { cwd: dir, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({ ok: !error, output: `${stdout}${stderr}` }),
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
