// The workload alerts of one level: API replicas, crash loops, the autoscaler, volumes, and the
// backup CronJob. Rule group `merlai-workload-alerts` of PrometheusRule `<instance>-workload-alerts`.
import type { MerlaiApi } from '../api/api';
import { promDuration, promNumber, promSelector } from './promql';
import type { Rule } from './rules';

export function workloadRules(
  api: MerlaiApi,
  namespace: string,
  backupCronJob: string | undefined,
  backupMaxAgeSeconds: number,
): Rule[] {
  const ns = { namespace };
  const rules: Rule[] = [
    {
      alert: 'MerlaiApiReplicasUnavailable',
      expr: `kube_deployment_status_replicas_unavailable${promSelector({ ...ns, deployment: api.name })} > 0`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Merlai API replicas are unavailable',
        description: `Deployment {{ $labels.namespace }}/${api.name} has had unavailable replicas for 15 minutes.`,
      },
    },
    {
      alert: 'MerlaiPodCrashLooping',
      expr: `max_over_time(kube_pod_container_status_waiting_reason${promSelector({ ...ns, reason: 'CrashLoopBackOff' })}[5m]) >= 1`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'A Merlai pod is crash-looping',
        description:
          'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been in CrashLoopBackOff for 15 minutes.',
      },
    },
  ];
  if (api.autoscaling) {
    const hpa = promSelector({ ...ns, horizontalpodautoscaler: `${api.name}-hpa` });
    rules.push({
      alert: 'MerlaiApiAutoscalerAtMaximum',
      expr: `kube_horizontalpodautoscaler_status_current_replicas${hpa}\n  >= kube_horizontalpodautoscaler_spec_max_replicas${hpa}`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'The Merlai API autoscaler has run at its maximum for 15 minutes',
        description: `HorizontalPodAutoscaler {{ $labels.namespace }}/${api.name}-hpa has held ${api.autoscaling.maxReplicas} replicas (its maximum) for 15 minutes: the API may be short of capacity. Raise 'autoscaling.maxReplicas' or find the load.`,
      },
    });
  }
  rules.push({
    alert: 'MerlaiPersistentVolumeClaimNearlyFull',
    expr: `kubelet_volume_stats_available_bytes${promSelector(ns)}\n  / kubelet_volume_stats_capacity_bytes${promSelector(ns)}\n  < 0.1`,
    for: '5m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'A Merlai volume is more than 90 % full',
      description:
        'PersistentVolumeClaim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has less than 10 % free space.',
    },
  });
  if (backupCronJob !== undefined) {
    const hours = promNumber(backupMaxAgeSeconds / 3600, 4);
    const lastSuccess = `kube_cronjob_status_last_successful_time${promSelector({ ...ns, cronjob: backupCronJob })}`;
    rules.push(
      {
        alert: 'MerlaiBackupFailed',
        expr: `kube_job_failed${promSelector({ ...ns, condition: 'true' })} > 0\nand on (namespace, job_name)\n  kube_job_owner${promSelector({ ...ns, owner_kind: 'CronJob', owner_name: backupCronJob })}`,
        labels: { severity: 'warning' },
        annotations: {
          summary: `A backup Job of CronJob ${backupCronJob} failed`,
          description: `Job {{ $labels.namespace }}/{{ $labels.job_name }} of CronJob ${backupCronJob} failed. Read its logs, then delete the Job to clear this alert.`,
        },
      },
      {
        alert: 'MerlaiBackupNotSuccessful',
        expr: `time() - ${lastSuccess} > ${backupMaxAgeSeconds}`,
        labels: { severity: 'warning' },
        annotations: {
          summary: `No successful backup in ${hours} hours`,
          description: `CronJob {{ $labels.namespace }}/${backupCronJob} has not completed a backup in ${hours} hours.`,
        },
      },
      {
        alert: 'MerlaiBackupNeverSucceeded',
        expr: `absent(${lastSuccess})`,
        for: promDuration(backupMaxAgeSeconds),
        labels: { severity: 'warning' },
        annotations: {
          summary: `No successful backup recorded for ${hours} hours`,
          description: `kube-state-metrics has reported no successful run of CronJob ${namespace}/${backupCronJob} for ${hours} hours: the CronJob is missing, has never succeeded, or is not monitored.`,
        },
      },
    );
  }
  return rules;
}
