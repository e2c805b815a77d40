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
  return props.api?.ingress ? props : { ...props, api: { ...props.api, ingress: LEVEL3_INGRESS } };
}

/** A level chart in a fresh test app (Level 3 with the app's host and TLS Secret unless given). */
export function levelChart(level: AvailabilityLevel, props: MerlaiLevelChartProps = {}): MerlaiLevelChart {
  const p = level === AvailabilityLevel.PRODUCTION ? withLevel3Ingress(props) : props;
  return new CHARTS[level](Testing.app(), LEVEL_PROFILES[level].chartId, p);
}

/** The objects one level synthesizes. */
export function synthLevel(level: AvailabilityLevel, props: MerlaiLevelChartProps = {}): KubeObject[] {
  return Testing.synth(levelChart(level, props)) as KubeObject[];
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
