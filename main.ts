import type { App } from 'cdk8s';
// The app's side of the command: synthesis (dashboards and Compose files beside the charts) and
// the configuration file's environments. The library (lib/) loads none of cli/.
import { type Apps, buildAppsFromConfig, newApp, synthAll, synthesize as synthesizeApp } from './cli/app';
import { findConfigFile, loadConfig } from './cli/config';
import { exampleObjectStore } from './cli/examples';
import {
  AvailabilityLevel,
  LEVEL_PROFILES,
  Level1DevChart,
  Level2StagingChart,
  Level3ProductionChart,
  type MerlaiLevelChartProps,
} from './lib';

/** The example object store of the shipped charts (shared with the command's default configuration). */
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

const LEVELS = [AvailabilityLevel.DEVELOPMENT, AvailabilityLevel.STAGING, AvailabilityLevel.PRODUCTION];

/** Adds the shipped chart of `level` to `app`, as `<level chart id>`. */
function addLevelChart(app: App, level: AvailabilityLevel): void {
  const id = LEVEL_PROFILES[level].chartId;
  if (level === AvailabilityLevel.DEVELOPMENT) new Level1DevChart(app, id);
  else if (level === AvailabilityLevel.STAGING)
    new Level2StagingChart(app, id, { datastores: { objectStore: exampleObjectStore(level) } });
  else
    new Level3ProductionChart(app, id, {
      ...LEVEL3_CLUSTER_FACTS,
      datastores: { objectStore: exampleObjectStore(level) },
    });
}

/** The three level charts in one app, each written to `<outdir>/<level>.k8s.yaml`. */
export function buildApp(outdir: string): App {
  const app = newApp(outdir);
  for (const level of LEVELS) addLevelChart(app, level);
  return app;
}

/**
 * The same charts, one app per level: what the synth writes (cdk8s validates a whole app for
 * each chart it writes; see `Apps` in cli/app.ts).
 */
export function buildApps(outdir: string): App[] {
  return LEVELS.map((level) => {
    const app = newApp(outdir);
    addLevelChart(app, level);
    return app;
  });
}

/** Synthesizes `build`'s charts (default: `buildApps`) into `outdir`, atomically unless `atomic` is false. */
export function synthesize(
  outdir: string,
  atomic: boolean,
  build: (outdir: string) => Apps = buildApps,
): void {
  synthesizeApp(outdir, atomic, (dir) => synthAll(build(dir)));
}

/** The command line: `dist/` atomically, or the folder `cdk8s synth` passes in CDK8S_OUTDIR. */
export function main(): void {
  const cliOutdir = process.env.CDK8S_OUTDIR;
  try {
    // A configuration file (merlai.config.yaml, or MERLAI_CONFIG) declares the environments instead.
    const config = findConfigFile(undefined);
    const outdir = cliOutdir ?? 'dist';
    if (config)
      synthesizeApp(outdir, cliOutdir === undefined, (dir) =>
        synthAll(buildAppsFromConfig(dir, loadConfig(config), config)),
      );
    else synthesize(outdir, cliOutdir === undefined);
  } catch (error) {
    console.error(`merlai-cdk8s: synth failed, dist/ left as it was.\n${(error as Error).message}`);
    process.exit(1);
  }
}

// Run directly (`node -r esbuild-register main.ts`); scripts/synth.js calls main() of its bundle.
if (require.main === module) main();
