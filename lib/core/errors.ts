// The library's error: MerlaiPropError, invalidProp (throws at once) and reportInvalidProp (collected and
// reported with every other invalid prop of the synth). Each names construct path, prop, value and fix. No objects.
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
    if (thrown instanceof PropError) return true;
    // cdk8s' own report of the collected props ('Validation failed with the following errors: …').
    if (!(thrown instanceof Error) || !thrown.message.startsWith(CDK8S_REPORT)) return false;
    return thrown.message
      .slice(CDK8S_REPORT.length)
      .split('\n')
      .some((line) => REPORTED.has(line.trim()));
  }

  private constructor() {}
}
Object.defineProperty(MerlaiPropError, Symbol.hasInstance, { value: MerlaiPropError.isMerlaiPropError });

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}

const CDK8S_REPORT = 'Validation failed with the following errors:';
/** Lines (`[path] Type: …`) reported through cdk8s' validation, so `isMerlaiPropError` knows them. */
const REPORTED = new Set<string>();
/** Invalid props reported but not yet thrown, per app (the construct tree's root). */
const PENDING = new WeakMap<IConstruct, string[]>();

function line(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: unknown,
  expected: string,
): string {
  return `[${scope.node.path}] ${constructType}: '${prop}' is ${show(value)}; ${expected}`;
}

/**
 * Records an invalid prop and lets construction go on: for checks whose value is only copied into
 * the manifests (labels, annotations, host names), so nothing later depends on it being valid.
 * cdk8s reports it at synth with every other invalid prop of the app, in one `Validation failed`
 * error; an `invalidProp` thrown before synth carries the ones recorded so far.
 */
export function reportInvalidProp(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: unknown,
  expected: string,
): void {
  const message = line(scope, constructType, prop, value, expected);
  const root = scope.node.root;
  const pending = PENDING.get(root) ?? [];
  PENDING.set(root, [...pending, message]);
  REPORTED.add(message);
  // cdk8s prefixes each validation message with the construct's path: give it the rest.
  const withoutPath = message.slice(`[${scope.node.path}] `.length);
  scope.node.addValidation({ validate: () => [withoutPath] });
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
  const message = line(scope, constructType, prop, value, expected);
  // Props reported earlier in this app would be lost with the construction: report them together.
  const pending = PENDING.get(scope.node.root) ?? [];
  if (pending.length === 0) throw new PropError(message);
  PENDING.delete(scope.node.root);
  throw new PropError(`${pending.length + 1} invalid props:\n${[...pending, message].join('\n')}`);
}
