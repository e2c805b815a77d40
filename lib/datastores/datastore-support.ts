// What PostgreSQL and Redis share: development Secrets, external servers, props that external mode refuses.
// Objects: the development Secret, and the ExternalName Service of an external server.
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { invalidProp } from '../core/errors';
import type { LevelProfile } from '../core/levels';
import { isIpv4, requireCidr, requireDnsSubdomain, requirePort, requireSecretKey } from '../core/validation';
import type { DatastoreEndpoint } from './endpoints';

/** The password of Level 1's development Secrets: committed in plain text on purpose, never secret. */
export const DEVELOPMENT_PASSWORD = 'merlai-dev-password-not-secret';

/** A Secret of clearly-marked development credentials (Level 1 only): its name and annotations say so. */
export function developmentSecret(
  scope: Construct,
  name: string,
  labels: Record<string, string>,
  type: string,
  stringData: Record<string, string>,
): k8s.KubeSecret {
  return new k8s.KubeSecret(scope, 'dev-credentials', {
    metadata: {
      name,
      labels,
      annotations: {
        'merlai.io/development-only': 'true',
        'merlai.io/warning':
          'Development credentials, committed in plain text on purpose. Level 1 only: Levels 2 and 3 reference Secrets that CloudNativePG or the platform create.',
      },
    },
    type,
    stringData,
  });
}

/** Rejects props that configure an in-cluster datastore when `external` is set: they would be silently ignored. */
export function rejectWithExternal<P extends object>(
  scope: Construct,
  constructType: string,
  props: P,
  inCluster: ReadonlyArray<keyof P & string>,
): void {
  for (const prop of inCluster) {
    if (props[prop] !== undefined) {
      invalidProp(
        scope,
        constructType,
        prop,
        props[prop],
        "has no effect with 'external' (nothing is deployed); remove it or remove 'external'",
      );
    }
  }
}

/** A datastore the platform runs elsewhere. */
interface ExternalServer {
  readonly host: string;
  readonly port?: number | undefined;
  readonly secretName: string;
  readonly cidr: string;
}

/** How one kind of external datastore is named and read. */
interface ExternalKind {
  /** The ExternalName Service, named like the in-cluster one. */
  readonly serviceName: string;
  readonly portName: string;
  readonly defaultPort: number;
  /** What the Secret holds, for messages: "the connection URI". */
  readonly holds: string;
  /** The prop naming the Secret key, and its value. */
  readonly keyProp: string;
  readonly key: string;
}

/**
 * Checks an external datastore and creates the `ExternalName` Service that names it inside the
 * namespace; returns its endpoint for the network policies and the checked Secret key.
 */
export function externalDatastore(
  scope: Construct,
  constructType: string,
  o: ExternalServer,
  kind: ExternalKind,
): { endpoint: DatastoreEndpoint; secretKey: string } {
  if (isIpv4(o.host)) {
    invalidProp(
      scope,
      constructType,
      'external.host',
      o.host,
      `expected a DNS name (an ExternalName Service cannot point at an IP address); give the address to the Secret's ${kind.holds} and its range to 'external.cidr'`,
    );
  }
  requireDnsSubdomain(scope, constructType, 'external.host', o.host);
  const port = requirePort(scope, constructType, 'external.port', o.port ?? kind.defaultPort);
  if (o.secretName === undefined || o.secretName === '') {
    invalidProp(
      scope,
      constructType,
      'external.secretName',
      o.secretName,
      `expected the name of an existing Secret holding ${kind.holds} (key '${kind.key}'): credentials never go into the chart`,
    );
  }
  requireDnsSubdomain(scope, constructType, 'external.secretName', o.secretName);
  const secretKey = requireSecretKey(scope, constructType, `external.${kind.keyProp}`, kind.key);
  if (o.cidr === undefined) {
    invalidProp(
      scope,
      constructType,
      'external.cidr',
      o.cidr,
      "expected the server's address range, e.g. '10.20.0.0/16' ('/32' for one address): the network policies allow egress only there",
    );
  }
  const cidr = requireCidr(scope, constructType, 'external.cidr', o.cidr);
  new k8s.KubeService(scope, 'service', {
    metadata: { name: kind.serviceName },
    spec: {
      type: 'ExternalName',
      externalName: o.host,
      ports: [{ name: kind.portName, port, protocol: 'TCP' }],
    },
  });
  return { endpoint: { port, externalCidr: cidr }, secretKey };
}

/**
 * The node label of a node's zone, which cloud providers set (Kubernetes "Well-Known Labels,
 * Annotations and Taints": `topology.kubernetes.io/zone`).
 */
export const ZONE_TOPOLOGY_KEY = 'topology.kubernetes.io/zone';

/** Whether the datastore's pods must spread over zones: the level table's floor, or the prop above it. */
export function resolveZoneSpread(
  scope: Construct,
  constructType: string,
  profile: LevelProfile,
  zoneSpread: boolean | undefined,
  singlePod: boolean,
): boolean {
  const floor = profile.datastores.zoneSpread;
  if (zoneSpread === false && floor) {
    invalidProp(
      scope,
      constructType,
      'zoneSpread',
      zoneSpread,
      `Level ${profile.number} (${profile.environment}) must survive the loss of a zone: expected true (or leave it unset)`,
    );
  }
  if (zoneSpread === true && singlePod) {
    invalidProp(
      scope,
      constructType,
      'zoneSpread',
      zoneSpread,
      `one pod cannot spread over zones: expected false, or replicas (Levels 2 and 3 replicate)`,
    );
  }
  return zoneSpread ?? floor;
}

/**
 * One pod per zone before any zone gets a second (`maxSkew: 1`); a pod that would break this waits
 * (`DoNotSchedule`) rather than pile into a zone. `nodeTaintsPolicy: Honor` leaves a lost zone's
 * tainted (unreachable) nodes out of the count, so the surviving zones still schedule replacements
 * (Kubernetes "Pod Topology Spread Constraints").
 */
export function zoneSpreadConstraint(matchLabels: Record<string, string>) {
  return {
    maxSkew: 1,
    topologyKey: ZONE_TOPOLOGY_KEY,
    whenUnsatisfiable: 'DoNotSchedule',
    nodeTaintsPolicy: 'Honor',
    labelSelector: { matchLabels },
  };
}
