// The synth-time check that no two Merlai constructs create objects with one kind, namespace and name. No objects.
import { ApiObject, Chart } from 'cdk8s';
import type { IConstruct } from 'constructs';

/** The Merlai constructs whose objects must not collide, with what tells two of them apart. */
const OWNERS = new WeakMap<IConstruct, { type: string; remedy: string }>();

/** The object's identity in the cluster: API group, kind, namespace, name. */
function identity(o: ApiObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  const namespace = o.kind === 'Namespace' ? '' : (o.metadata.namespace ?? '');
  return `${group}|${o.kind}|${namespace}|${o.name}`;
}

function ownerOf(o: IConstruct): IConstruct | undefined {
  return o.node.scopes
    .slice()
    .reverse()
    .find((s) => OWNERS.has(s));
}

function describe(c: IConstruct): string {
  return `[${c.node.path}] (${OWNERS.get(c)?.type ?? c.constructor.name})`;
}

/**
 * Registers `scope` (a `MerlaiApi`, `MerlaiDatastores`, …) so that, at synth, an object it creates
 * with the same kind, namespace and name as another object of the chart is an error naming both
 * constructs and `remedy` (the prop that tells them apart). Two such objects would overwrite each
 * other in the cluster. Reported once, by the construct added last.
 */
export function guardUniqueNames(scope: IConstruct, type: string, remedy: string): void {
  OWNERS.set(scope, { type, remedy });
  scope.node.addValidation({
    validate: () => {
      // ApiObject.isApiObject, not instanceof: the same test without Symbol.hasInstance's cost,
      // which made this check a fifth of a 100-environment synth.
      const all = Chart.of(scope).node.findAll();
      const mine = scope.node.findAll().filter(ApiObject.isApiObject);
      const mineSet = new Set<IConstruct>(mine);
      const others = new Map<string, ApiObject>();
      for (const c of all) {
        if (ApiObject.isApiObject(c) && !mineSet.has(c)) others.set(identity(c), c);
      }
      const errors: string[] = [];
      for (const c of mine) {
        const other = others.get(identity(c));
        if (!other) continue;
        const otherOwner = ownerOf(other);
        // Between two registered constructs, the one added later reports.
        if (otherOwner && all.indexOf(otherOwner) > all.indexOf(scope)) continue;
        const where = c.kind === 'Namespace' ? '' : ` in namespace '${c.metadata.namespace ?? ''}'`;
        const them = otherOwner ? describe(otherOwner) : `[${other.node.path}]`;
        errors.push(
          `${type}: ${c.kind} '${c.name}'${where} is also created by ${them}: two objects with one name overwrite each other in the cluster; ${remedy}`,
        );
      }
      return errors;
    },
  });
}
