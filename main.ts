import { App, YamlOutputType } from 'cdk8s';
import { Level1DevChart, Level2StagingChart, Level3ProductionChart, type MerlaiLevelChartProps } from './lib';
import { buildAppFromConfig, synthesize as synthesizeApp } from './lib/cli/app';
import { findConfigFile, loadConfig } from './lib/cli/config';
import { AvailabilityLevel, LEVEL_PROFILES } from './lib/levels';

/**
 * The cluster facts Level 3 takes from the user, with example values for the shipped chart: set
 * yours. `kubernetesApiServer.cidr`: the endpoints of `kubectl get endpoints kubernetes -n default`
 * (here a /24 standing for an EKS cluster's control-plane subnet); `storageClassName`: a
 * ReadWriteMany class (here EFS CSI's `efs-sc` on EKS; `azurefile-csi` on AKS, `standard-rwx` on GKE).
 */
export const LEVEL3_CLUSTER_FACTS = {
  api: { storageClassName: 'efs-sc' },
  security: { kubernetesApiServer: { cidr: '10.0.0.0/24' } },
} as const satisfies MerlaiLevelChartProps;

/** Builds the app: one chart per availability level, written to `<outdir>/<level>.k8s.yaml`. */
export function buildApp(outdir: string): App {
  const app = new App({
    outdir,
    yamlOutputType: YamlOutputType.FILE_PER_CHART,
    outputFileExtension: '.k8s.yaml',
  });
  new Level1DevChart(app, LEVEL_PROFILES[AvailabilityLevel.DEVELOPMENT].chartId);
  new Level2StagingChart(app, LEVEL_PROFILES[AvailabilityLevel.STAGING].chartId);
  new Level3ProductionChart(app, LEVEL_PROFILES[AvailabilityLevel.PRODUCTION].chartId, LEVEL3_CLUSTER_FACTS);
  return app;
}

/** Synthesizes `build`'s charts (default: `buildApp`) into `outdir`, atomically unless `atomic` is false. */
export function synthesize(outdir: string, atomic: boolean, build: (outdir: string) => App = buildApp): void {
  synthesizeApp(outdir, atomic, build);
}

if (require.main === module) {
  const cliOutdir = process.env.CDK8S_OUTDIR;
  try {
    // A configuration file (merlai.config.yaml, or MERLAI_CONFIG) declares the environments instead.
    const config = findConfigFile(undefined);
    const build = config ? (out: string) => buildAppFromConfig(out, loadConfig(config), config) : buildApp;
    synthesize(cliOutdir ?? 'dist', cliOutdir === undefined, build);
  } catch (error) {
    console.error(`merlai-cdk8s: synth failed, dist/ left as it was.\n${(error as Error).message}`);
    process.exit(1);
  }
}
