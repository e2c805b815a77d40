import { App, YamlOutputType } from 'cdk8s';
import {
  type BackupObjectStore,
  Level1DevChart,
  Level2StagingChart,
  Level3ProductionChart,
  type MerlaiLevelChartProps,
} from './lib';
import { buildAppFromConfig, synthesize as synthesizeApp } from './lib/cli/app';
import { findConfigFile, loadConfig } from './lib/cli/config';
import { AvailabilityLevel, LEVEL_PROFILES } from './lib/levels';

/**
 * Where the shipped Level 2 and 3 charts put their backups: an EXAMPLE (a documentation address,
 * RFC 5737) to replace with your bucket. The Secret `merlai-backup-s3` in the namespace holds the
 * key pair (`ACCESS_KEY_ID`, `ACCESS_SECRET_KEY`); `cidr` is the endpoint's address range, which
 * the network policies open on the URL's port. README "Backup and restore".
 */
export function exampleObjectStore(level: AvailabilityLevel): BackupObjectStore {
  return {
    endpointUrl: 'https://s3.backup.example.com',
    bucket: 'merlai-backups',
    path: `merlai/${LEVEL_PROFILES[level].environment}`,
    credentialsSecretName: 'merlai-backup-s3',
    cidr: '198.51.100.20/32',
  };
}

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
