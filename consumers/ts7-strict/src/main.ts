// A strict TypeScript 7 project (exactOptionalPropertyTypes): optional values pass straight through.
import { App } from 'cdk8s';
import { type ApiIngressOptions, Level3ProductionChart, type MerlaiLevelChartProps } from 'merlai-cdk8s';
import type { ClusterSpec } from 'merlai-cdk8s/imports/postgresql.cnpg.io';

/** Settings read from the environment: each may be missing (string | undefined). */
const tlsSecretName: string | undefined = process.env['TLS_SECRET'] ?? 'api-tls';
const className: string | undefined = process.env['INGRESS_CLASS'];
const storageClassName: string | undefined = process.env['STORAGE_CLASS'] ?? 'cephfs';
const monitoringNamespace: string | undefined = process.env['MONITORING_NAMESPACE'];
const runbookBaseUrl: string | undefined = process.env['RUNBOOK_BASE_URL'];
const postgresImage: string | undefined = process.env['POSTGRES_IMAGE'];
const redisSecretName: string | undefined = process.env['REDIS_SECRET'];

const ingress: ApiIngressOptions = { host: 'api.example.org', tlsSecretName, className };
const props: MerlaiLevelChartProps = {
  namespace: process.env['NAMESPACE'],
  createNamespace: undefined,
  api: { ingress, storageClassName, tolerations: [{ key: 'gpu', operator: 'Exists' }] },
  // Level 3 pins every image by digest unless told otherwise (0.2.0): this consumer runs tags.
  allowUnpinnedImages: true,
  // Level 3's cluster facts and off-cluster backups (required).
  security: {
    kubernetesApiServer: { cidr: process.env['API_SERVER_CIDR'] ?? '10.0.0.0/24' },
    monitoringNamespace,
    ingressNamespace: undefined,
  },
  observability: { runbookBaseUrl, metricsPath: undefined },
  datastores: {
    postgres: { image: postgresImage, storageClassName, external: undefined },
    redis: { secretName: redisSecretName, mode: undefined },
    objectStore: {
      endpointUrl: 'https://s3.eu-west-1.amazonaws.com',
      bucket: 'team-backups',
      credentialsSecretName: 'backup-s3',
      cidr: '52.218.0.0/17',
    },
  },
};
export const spec: Partial<ClusterSpec> = { instances: 3 };

const app = new App({ outdir: 'dist' });
new Level3ProductionChart(app, 'production', props);
app.synth();
