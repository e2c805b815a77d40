// Helpers on plain objects: copies without undefined fields, string maps that vanish when empty. No objects.

/** A copy of `o` without its undefined fields (so they do not override defaults when spread). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A copy of a string map, or undefined when empty (so the YAML shows no empty `annotations: {}`). */
export function annotations(
  map: { readonly [key: string]: string } | undefined,
): Record<string, string> | undefined {
  return map && Object.keys(map).length > 0 ? { ...map } : undefined;
}
