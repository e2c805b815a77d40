// The datastores' alerts: CloudNativePG and redis_exporter metrics (rule group
// `merlai-datastore-alerts`), and the WAL archiving and base backup alerts of PrometheusRule
// `<instance>-backup-alerts`. Also adds the Prometheus selector labels to the datastores' PodMonitors.
import { type ApiObject, Chart } from 'cdk8s';
import type { MerlaiDatastores } from '../datastores/datastores';
import { promNumber, promSelector } from './promql';
import { NO_DATA_FOR, type Rule } from './rules';

/** Replication lag of a CloudNativePG replica (`cnpg_pg_replication_lag`, seconds) that alerts. */
export const POSTGRES_REPLICATION_LAG_SECONDS = 30;

/** A datastore's PodMonitor and which pods it scrapes. */
export interface DatastoreMonitor {
  readonly kind: 'postgres' | 'redis';
  readonly object: ApiObject;
  readonly namespace: string;
  /** Name prefix of the instance pods (CloudNativePG's `<cluster>-<n>`, the Redis StatefulSet's `<name>-<n>`). */
  readonly name: string;
}

export function datastoreMonitors(datastores: MerlaiDatastores | undefined): DatastoreMonitor[] {
  if (!datastores) return [];
  const found: DatastoreMonitor[] = [];
  for (const [kind, store] of [
    ['postgres', datastores.postgres],
    ['redis', datastores.redis],
  ] as const) {
    const object = store.podMonitor;
    if (!object) continue;
    found.push({
      kind,
      object,
      namespace: object.metadata.namespace ?? Chart.of(store).namespace ?? '',
      name: store.name,
    });
  }
  return found;
}

/**
 * Alerts on the metrics the datastores' PodMonitors scrape: CloudNativePG's exporter
 * (`cnpg_collector_up`, `cnpg_pg_replication_lag`) and redis_exporter (`redis_up`,
 * `redis_master_link_up`), and on their absence (the exporter is not scraped).
 */
export function datastoreRules(monitors: DatastoreMonitor[]): Rule[] {
  const rules: Rule[] = [];
  for (const m of monitors) {
    const pods = `{namespace="${m.namespace}",pod=~"${m.name}-[0-9]+"}`;
    const where = `${m.namespace}/${m.name}`;
    if (m.kind === 'postgres') {
      rules.push(
        {
          alert: 'MerlaiPostgresDown',
          expr: `cnpg_collector_up${pods} == 0`,
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'A Merlai PostgreSQL instance is down',
            description: `CloudNativePG's exporter in pod {{ $labels.namespace }}/{{ $labels.pod }} of cluster ${where} has not reached PostgreSQL for 5 minutes (cnpg_collector_up is 0).`,
          },
        },
        {
          alert: 'MerlaiPostgresReplicationLagging',
          expr: `cnpg_pg_replication_lag${pods} > ${POSTGRES_REPLICATION_LAG_SECONDS}`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: `A Merlai PostgreSQL replica lags more than ${POSTGRES_REPLICATION_LAG_SECONDS} s`,
            description: `Replica {{ $labels.namespace }}/{{ $labels.pod }} of cluster ${where} has replayed WAL more than ${POSTGRES_REPLICATION_LAG_SECONDS} s behind the primary for 5 minutes: a failover now would lose or wait for that much.`,
          },
        },
        noDataDatastoreRule(
          'MerlaiPostgresMetricsAbsent',
          'cnpg_collector_up',
          pods,
          `CloudNativePG cluster ${where}`,
        ),
      );
    } else {
      rules.push(
        {
          alert: 'MerlaiRedisDown',
          expr: `redis_up${pods} == 0`,
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'A Merlai Redis server is down',
            description: `redis_exporter in pod {{ $labels.namespace }}/{{ $labels.pod }} of ${where} has not reached Redis for 5 minutes (redis_up is 0).`,
          },
        },
        {
          alert: 'MerlaiRedisMasterLinkDown',
          expr: `redis_master_link_up${pods} == 0`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'A Merlai Redis replica lost its primary',
            description: `Replica {{ $labels.namespace }}/{{ $labels.pod }} of ${where} has had no link to its primary for 5 minutes (redis_master_link_up is 0): it serves stale data and cannot take over.`,
          },
        },
        noDataDatastoreRule('MerlaiRedisMetricsAbsent', 'redis_up', pods, `Redis ${where}`),
      );
    }
  }
  return rules;
}

function noDataDatastoreRule(alert: string, metric: string, pods: string, what: string): Rule {
  return {
    alert,
    expr: `absent(${metric}${pods})`,
    for: NO_DATA_FOR,
    labels: { severity: 'warning' },
    annotations: {
      summary: `No metrics from ${what}: its alerts cannot fire`,
      description: `Prometheus has had no ${metric} series from the pods of ${what} for ${NO_DATA_FOR}: the pods are gone, or their PodMonitor is not selected or cannot scrape them.`,
    },
  };
}

/**
 * Off-cluster backups of CloudNativePG: the primary's WAL archiving (CloudNativePG's default
 * `pg_stat_archiver` and `pg_replication` metrics; a standby archives nothing, so only the
 * instance not in recovery counts) and the newest base backup in the object store.
 */
export function backupRules(namespace: string, walSeconds: number, baseBackupSeconds: number): Rule[] {
  const ns = promSelector({ namespace });
  const primary = `and on (namespace, pod)\n  cnpg_pg_replication_in_recovery${ns} == 0`;
  const walMinutes = promNumber(walSeconds / 60, 4);
  const hours = promNumber(baseBackupSeconds / 3600, 4);
  return [
    {
      alert: 'MerlaiPostgresWalArchiveStale',
      expr: `cnpg_pg_stat_archiver_seconds_since_last_archival${ns} > ${walSeconds}\n${primary}`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: `No WAL archived to the object store for ${walMinutes} minutes`,
        description: `PostgreSQL primary {{ $labels.namespace }}/{{ $labels.pod }} has archived no WAL segment for more than ${walMinutes} minutes: point-in-time recovery would lose everything since. Check the plugin-barman-cloud sidecar's logs and the object store.`,
      },
    },
    {
      alert: 'MerlaiPostgresWalArchiveFailing',
      expr: `cnpg_pg_stat_archiver_last_failed_time${ns} > cnpg_pg_stat_archiver_last_archived_time${ns}\n${primary}`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'WAL archiving to the object store is failing',
        description:
          'The last WAL archiving attempt of {{ $labels.namespace }}/{{ $labels.pod }} failed and none has succeeded since; WAL accumulates on the instance volume until it works again.',
      },
    },
    {
      alert: 'MerlaiPostgresBaseBackupTooOld',
      expr: `time() - max by (namespace) (barman_cloud_cloudnative_pg_io_last_available_backup_timestamp${ns}) > ${baseBackupSeconds}`,
      labels: { severity: 'warning' },
      annotations: {
        summary: `No base backup in the object store for ${hours} hours`,
        description: `The newest base backup of {{ $labels.namespace }} is older than ${hours} hours: check the ScheduledBackup and the Backup objects.`,
      },
    },
  ];
}
