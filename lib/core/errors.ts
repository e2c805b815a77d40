// The library's error: MerlaiPropError and invalidProp, which names construct path, prop, value and fix. No objects.
import type { IConstruct } from 'constructs';

/** The error the library throws; not exported (jsii cannot carry a subclass of `Error`). */
class PropError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MerlaiPropError';
  }
}

/**
 * Recognises the errors thrown for a prop value the library cannot turn into a correct deployment:
 * an `Error` named `MerlaiPropError` whose message names the construct path, the prop, the value
 * and what is valid. In TypeScript and JavaScript `error instanceof MerlaiPropError` works too.
 * (It is not a subclass of `Error`: jsii, which makes the Python, Java and Go bindings, cannot
 * carry one.)
 */
export class MerlaiPropError {
  /** Whether `thrown` was thrown by this library for a bad prop. */
  // biome-ignore lint/suspicious/noExplicitAny: jsii carries `any` to every language (a caught error is untyped)
  public static isMerlaiPropError(thrown: any): boolean {
    return thrown instanceof PropError;
  }

  private constructor() {}
}
Object.defineProperty(MerlaiPropError, Symbol.hasInstance, { value: MerlaiPropError.isMerlaiPropError });

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}

/**
 * Throws an error that names the construct (type and path), the prop, the bad value and what
 * would be valid, e.g.
 * `[level3-production/merlai-api] MerlaiApi: 'image' is 'merlai:latest'; Level 3 needs a pinned image …`.
 */
export function invalidProp(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: unknown,
  expected: string,
): never {
  throw new PropError(`[${scope.node.path}] ${constructType}: '${prop}' is ${show(value)}; ${expected}`);
}
