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

/**
 * A level chart in a fresh test app. Levels 2 and 3 get the shipped charts' example object store
 * (main.ts), as `dist/` does, unless the props give one or opt out with `localBackupsOnly`.
 */
export function levelChart(level: AvailabilityLevel, props: MerlaiLevelChartProps = {}): MerlaiLevelChart {
  const d = props.datastores;
  const withStore =
    level !== AvailabilityLevel.DEVELOPMENT && d?.objectStore === undefined && d?.localBackupsOnly !== true
      ? { ...props, datastores: { ...d, objectStore: exampleObjectStore(level) } }
      : props;
  return new CHARTS[level](Testing.app(), LEVEL_PROFILES[level].chartId, withStore);
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
