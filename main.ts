import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { App, YamlOutputType } from 'cdk8s';
import { Level1DevChart, Level2StagingChart, Level3ProductionChart } from './lib';
import { AvailabilityLevel, LEVEL_PROFILES } from './lib/levels';

/** Builds the app: one chart per availability level, written to `<outdir>/<level>.k8s.yaml`. */
export function buildApp(outdir: string): App {
  const app = new App({
    outdir,
    yamlOutputType: YamlOutputType.FILE_PER_CHART,
    outputFileExtension: '.k8s.yaml',
  });
  new Level1DevChart(app, LEVEL_PROFILES[AvailabilityLevel.DEVELOPMENT].chartId);
  new Level2StagingChart(app, LEVEL_PROFILES[AvailabilityLevel.STAGING].chartId);
  new Level3ProductionChart(app, LEVEL_PROFILES[AvailabilityLevel.PRODUCTION].chartId);
  return app;
}

/**
 * Synthesizes into a fresh folder beside `outdir` and swaps it in only when everything succeeded,
 * so a failed synth leaves the previous output untouched. Under `cdk8s synth` the CLI owns
 * (and has already emptied) the folder it passes in CDK8S_OUTDIR.
 */
export function synthesize(outdir: string, atomic: boolean, build: (outdir: string) => App = buildApp): void {
  if (!atomic) {
    build(outdir).synth();
    return;
  }
  const parent = path.dirname(path.resolve(outdir));
  const staging = mkdtempSync(path.join(parent, '.dist-tmp-'));
  try {
    build(staging).synth();
    const previous = `${staging}-previous`;
    try {
      renameSync(outdir, previous);
    } catch {
      // no previous output
    }
    renameSync(staging, outdir);
    rmSync(previous, { recursive: true, force: true });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

if (require.main === module) {
  const cliOutdir = process.env.CDK8S_OUTDIR;
  try {
    synthesize(cliOutdir ?? 'dist', cliOutdir === undefined);
  } catch (error) {
    console.error(`merlai-cdk8s: synth failed, dist/ left as it was.\n${(error as Error).message}`);
    process.exit(1);
  }
}
