// The PromQL helpers every rule, analysis and query of the library writes with: selectors, numbers,
// durations, label names. No objects.

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `{a="x",b=~"y"}` from equality and (optionally) regular-expression matchers. */
export function promSelector(equal: Record<string, string>, regex: Record<string, string> = {}): string {
  const matchers = [
    ...Object.entries(equal).map(([k, v]) => `${k}="${v}"`),
    ...Object.entries(regex).map(([k, v]) => `${k}=~"${v}"`),
  ];
  return `{${matchers.join(',')}}`;
}

/** A number as PromQL and YAML readers expect it: no binary floating-point noise (0.0144, not 0.014400000000000001). */
export function promNumber(x: number, digits = 12): string {
  return String(Number(x.toPrecision(digits)));
}

/** A fraction as a percentage for alert and panel text: `0.999` → `99.9 %`. */
export function percent(fraction: number): string {
  return `${promNumber(fraction * 100)} %`;
}

/** Seconds of a simple PromQL duration (`5m`, `1h`, `3d`). */
export function promDurationSeconds(d: string): number {
  const m = /^(\d+)([smhdw])$/.exec(d);
  if (!m) throw new Error(`not a simple PromQL duration: ${d}`);
  return Number(m[1]) * UNIT_SECONDS[m[2]];
}

/** A number of seconds as the largest whole PromQL unit: `86400` → `1d`, `90` → `90s`. */
export function promDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm']) {
    if (seconds % UNIT_SECONDS[unit] === 0) return `${seconds / UNIT_SECONDS[unit]}${unit}`;
  }
  return `${seconds}s`;
}

/** True for a Prometheus label name (`namespace`, `exported_namespace`). */
export function isPrometheusLabelName(name: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name);
}
