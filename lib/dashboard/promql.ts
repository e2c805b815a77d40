// PromQL and text helpers of the dashboard panels. `promNumber` and `percent` are also defined in
// lib/observability.ts (the rules use the same formatting): one shared module replaces both copies.

/** A PromQL selector `{a="x",b=~"y"}` from equality and regular-expression matchers. */
export function labelSelector(
  equal: Readonly<Record<string, string>>,
  regex: Readonly<Record<string, string>> = {},
): string {
  const matchers = [
    ...Object.entries(equal).map(([k, v]) => `${k}="${v}"`),
    ...Object.entries(regex).map(([k, v]) => `${k}=~"${v}"`),
  ];
  return `{${matchers.join(',')}}`;
}

/** A number as PromQL and people read it: no binary floating-point noise (0.0144, not 0.014400000000000001). */
export function promNumber(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/** `0.995` as `99.5 %`. */
export function percent(fraction: number): string {
  return `${promNumber(fraction * 100)} %`;
}

/** `availability` as `Availability`. */
export function capitalized(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
