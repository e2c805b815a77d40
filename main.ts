import { App, YamlOutputType } from 'cdk8s';
import { Level1DevChart, Level2StagingChart, Level3ProductionChart, type MerlaiLevelChartProps } from './lib';
import { buildAppFromConfig, synthesize as synthesizeApp } from './lib/cli/app';
import { exampleObjectStore, findConfigFile, loadConfig } from './lib/cli/config';
import { AvailabilityLevel, LEVEL_PROFILES } from './lib/core/levels';

/** The example object store of the shipped charts (defined beside the default configuration). */
export { exampleObjectStore };

/**
 * The cluster facts Level 3 takes from the user, with example values for the shipped chart: set
 * yours. `kubernetesApiServer.cidr`: the endpoints of `kubectl get endpoints kubernetes -n default`
 * (here a /24 standing for an EKS cluster's control-plane subnet); `storageClassName`: a
 * ReadWriteMany class (here EFS CSI's `efs-sc` on EKS; `azurefile-csi` on AKS, `standard-rwx` on GKE).
 */
export const LEVEL3_CLUSTER_FACTS = {
  // Level 3 also requires an explicit host and TLS Secret (no placeholder host, no plain HTTP).
  api: {
    storageClassName: 'efs-sc',
    ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-api-tls' },
  },
  security: { kubernetesApiServer: { cidr: '10.0.0.0/24' } },
  // The example's images have no known digests, and Level 3 runs digests only: this opt-out runs
  // the tags and annotates each object `merlai.io/unpinned-images`. Give yours as `…@sha256:`.
  allowUnpinnedImages: true,
} as const satisfies MerlaiLevelChartProps;

/** Builds the app: one chart per availability level, written to `<outdir>/<level>.k8s.yaml`. */
export function buildApp(outdir: string): App {
  const app = new App({
    outdir,
    yamlOutputType: YamlOutputType.FILE_PER_CHART,
    outputFileExtension: '.k8s.yaml',
  });
  new Level1DevChart(app, LEVEL_PROFILES[AvailabilityLevel.DEVELOPMENT].chartId);
  new Level2StagingChart(app, LEVEL_PROFILES[AvailabilityLevel.STAGING].chartId, {
    datastores: { objectStore: exampleObjectStore(AvailabilityLevel.STAGING) },
  });
  new Level3ProductionChart(app, LEVEL_PROFILES[AvailabilityLevel.PRODUCTION].chartId, {
    ...LEVEL3_CLUSTER_FACTS,
    datastores: { objectStore: exampleObjectStore(AvailabilityLevel.PRODUCTION) },
  });
  return app;
}

/** Synthesizes `build`'s charts (default: `buildApp`) into `outdir`, atomically unless `atomic` is false. */
export function synthesize(outdir: string, atomic: boolean, build: (outdir: string) => App = buildApp): void {
  synthesizeApp(outdir, atomic, build);
}

/** The command line: `dist/` atomically, or the folder `cdk8s synth` passes in CDK8S_OUTDIR. */
export function main(): void {
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

// Run directly (`node -r esbuild-register main.ts`); scripts/synth.js calls main() of its bundle.
if (require.main === module) main();
