import { Testing } from 'cdk8s';
import {
  AvailabilityLevel,
  LEVEL_PROFILES,
  Level1DevChart,
  Level2StagingChart,
  Level3ProductionChart,
  type MerlaiLevelChart,
  type MerlaiLevelChartProps,
} from '../../lib';
import { exampleObjectStore } from '../../main';

/** A Kubernetes object as synthesized. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: any };
  [k: string]: any;
};

export const LEVELS = [
  AvailabilityLevel.DEVELOPMENT,
  AvailabilityLevel.STAGING,
  AvailabilityLevel.PRODUCTION,
];

const CHARTS = {
  [AvailabilityLevel.DEVELOPMENT]: Level1DevChart,
  [AvailabilityLevel.STAGING]: Level2StagingChart,
  [AvailabilityLevel.PRODUCTION]: Level3ProductionChart,
};

/** The host and TLS Secret that Level 3 requires (the app's own, `main.ts`). */
export const LEVEL3_INGRESS = { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' } as const;

/**
 * Props with Level 3's required host and TLS Secret added when the test gives no ingress of its
 * own, so tests of other features build a valid production chart.
 */
export function withLevel3Ingress(props: MerlaiLevelChartProps = {}): MerlaiLevelChartProps {
  return props.api?.ingress || props.api?.route
    ? props
    : { ...props, api: { ...props.api, ingress: LEVEL3_INGRESS } };
}

/**
 * The cluster facts Level 3 requires, as the tests' cluster model has them: the API server's
 * endpoint (test/support/cluster-model.ts `api-server`) and a ReadWriteMany StorageClass.
 */
export const TEST_CLUSTER_FACTS = {
  storageClassName: 'cephfs',
  kubernetesApiServer: { cidr: '172.18.0.2/32' },
} as const;

/**
 * A level chart in a fresh test app. At a level that requires cluster facts, the tests' facts fill
 * the props the caller leaves unset (`rawFacts: true` passes the props as they are).
 */
export function levelChart(
  level: AvailabilityLevel,
  props: MerlaiLevelChartProps = {},
  rawFacts = false,
): MerlaiLevelChart {
  const profile = LEVEL_PROFILES[level];
  // Levels 2 and 3 get the shipped charts' example object store (main.ts), as `dist/` does,
  // unless the props give one or opt out with `localBackupsOnly`.
  // Level 3 also takes the shipped chart's allowUnpinnedImages (main.ts) unless the props say otherwise.
  const base =
    level === AvailabilityLevel.PRODUCTION
      ? withLevel3Ingress({ allowUnpinnedImages: true, ...props })
      : props;
  const withFacts: MerlaiLevelChartProps =
    rawFacts || !profile.apiServerCidrRequired
      ? base
      : {
          ...base,
          api: { storageClassName: TEST_CLUSTER_FACTS.storageClassName, ...base.api },
          security: { kubernetesApiServer: TEST_CLUSTER_FACTS.kubernetesApiServer, ...base.security },
        };
  const d = withFacts.datastores;
  const withStore =
    level !== AvailabilityLevel.DEVELOPMENT && d?.objectStore === undefined && d?.localBackupsOnly !== true
      ? { ...withFacts, datastores: { ...d, objectStore: exampleObjectStore(level) } }
      : withFacts;
  return new CHARTS[level](Testing.app(), profile.chartId, withStore);
}

/** The objects one level synthesizes. */
export function synthLevel(
  level: AvailabilityLevel,
  props: MerlaiLevelChartProps = {},
  rawFacts = false,
): KubeObject[] {
  return Testing.synth(levelChart(level, props, rawFacts)) as KubeObject[];
}

/** The one object of a kind and name; fails the test when it is missing. */
export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) {
    const have = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new Error(`no ${kind}/${name} among: ${have}`);
  }
  return found;
}

/** The first container of a workload's pod template. */
export function apiContainer(objects: KubeObject[]): KubeObject {
  return find(objects, 'Deployment', 'merlai-api').spec.template.spec.containers[0];
}
