export * from './api';
export { type ComposeBuild, type ComposeOptions, type ComposeOutput, composeFromChart } from './compose';
export {
  type DashboardPanel,
  type DashboardQuery,
  type DashboardThreshold,
  GRAFANA_DASHBOARD_LABELS,
  GRAFANA_SCHEMA_VERSION,
  MerlaiDashboard,
  type MerlaiDashboardOptions,
  type MerlaiDashboardProps,
} from './dashboard';
export * from './datastores';
export * from './endpoints';
export { MerlaiPropError } from './errors';
export * from './image';
export * from './level-chart';
export * from './levels';
export * from './logging';
export {
  type ApiModelOptions,
  DEFAULT_MODEL,
  HF_HOME,
  MODELS_MOUNT,
  ModelMode,
  type ResolvedModel,
} from './model';
export type {
  BackupObjectStore,
  ObjectStoreCa,
  ResolvedObjectStore,
  ResolvedObjectStoreCa,
} from './object-store';
export {
  BURN_RATE_ALERTS,
  type BurnRateAlert,
  type BurnRateCondition,
  DEFAULT_PROMETHEUS_SELECTOR_LABELS,
  MerlaiObservability,
  type MerlaiObservabilityOptions,
  type MerlaiObservabilityProps,
  POSTGRES_REPLICATION_LAG_SECONDS,
  SLI_WINDOWS,
} from './observability';
export * from './postgres';
export * from './postgres-backup';
export { parseQuantity } from './quantity';
export * from './redis';
export { DEFAULT_RUNBOOK_BASE_URL } from './runbooks';
export * from './security';
export * from './shutdown';
export {
  DEFAULT_INGRESS_NAMESPACE_LABEL,
  DEFAULT_INGRESS_NGINX_CLASSES,
  errorRatio,
  NGINX_DURATION_BUCKETS,
  requestRate,
  type SliScope,
  slowRatio,
} from './sli';
export * from './statics';
export * from './strategy';
