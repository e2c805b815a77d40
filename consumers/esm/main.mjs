// An ES module project ("type": "module") importing the package and a binding by name.
import { App, Chart } from 'cdk8s';
import { AvailabilityLevel, Level2StagingChart, MerlaiApi, MerlaiPropError } from 'merlai-cdk8s';
import { Cluster } from 'merlai-cdk8s/imports/postgresql.cnpg.io';

export { AvailabilityLevel, Cluster, MerlaiApi, MerlaiPropError };

/** Level 2 plus a MerlaiApi of a second team in its own chart. */
export function build(outdir) {
  const app = new App({ outdir });
  new Level2StagingChart(app, 'staging', { namespace: 'music-staging', api: { podLabels: { team: 'music' } } });
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) build('dist').synth();
export const unused = Chart;
