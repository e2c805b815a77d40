import { Construct } from 'constructs';
import { App, Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import {
  AvailabilityLevel,
  Level3ProductionChart,
  MerlaiApi,
  MerlaiDatastores,
  MerlaiLogging,
  MerlaiSecurity,
} from 'merlai-cdk8s';

/** The team's settings: what a platform team overrides on the library's defaults. */
export const TEAM = {
  namespace: 'music-prod',
  image: `registry.music.example.org/merlai@sha256:${'a'.repeat(64)}`,
  host: 'api.music.example.org',
  tlsSecretName: 'api-music-tls',
  storageClassName: 'ceph-filesystem',
  toleration: { key: 'dedicated', operator: 'Equal', value: 'music', effect: 'NoSchedule' },
  postgres: { host: 'pg.music.example.org', secretName: 'managed-postgres', cidr: '10.40.0.0/16' },
  redis: { host: 'cache.music.example.org', secretName: 'managed-redis', cidr: '10.41.0.0/16' },
};

/** Level 3 with the team's overrides, managed PostgreSQL and Redis. */
export function productionChart(scope: Construct, id: string): Level3ProductionChart {
  return new Level3ProductionChart(scope, id, {
    namespace: TEAM.namespace,
    labels: { team: 'music' },
    api: {
      image: TEAM.image,
      ingress: {
        host: TEAM.host,
        tlsSecretName: TEAM.tlsSecretName,
        annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
      },
      storageClassName: TEAM.storageClassName,
      tolerations: [TEAM.toleration],
      podAnnotations: { 'fluentbit.io/parser': 'json' },
      serviceAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' },
      serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/merlai' },
      imagePullSecrets: ['registry-music'],
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
    },
    datastores: {
      postgres: { external: TEAM.postgres },
      redis: { external: TEAM.redis },
      pgDumpBackup: false,
    },
  });
}

/** A chart the team already had, with its own objects; the Merlai API joins it. */
export class PlatformChart extends Chart {
  public readonly api: MerlaiApi;

  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
    new kplus.ConfigMap(this, 'team-settings', { data: { region: 'eu-west-1' } });
    new kplus.ServiceAccount(this, 'team-bot', { automountToken: false });

    this.api = new MerlaiApi(this, 'merlai-api', {
      level: AvailabilityLevel.STAGING,
      image: TEAM.image,
      ingress: { host: 'api.staging.music.example.org' },
      tolerations: [TEAM.toleration],
    });
    const datastores = new MerlaiDatastores(this, 'datastores', {
      level: AvailabilityLevel.STAGING,
      api: this.api,
      postgres: { external: TEAM.postgres },
      redis: { external: TEAM.redis },
      pgDumpBackup: false,
    });
    new MerlaiLogging(this, 'logging', { api: this.api });
    new MerlaiSecurity(this, 'security', { api: this.api, endpoints: datastores.endpoints });
  }
}

const app = new App();
productionChart(app, 'production');
new PlatformChart(app, 'platform', { namespace: 'music-platform' });
app.synth();
