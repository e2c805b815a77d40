export * from './api';
export { type ComposeBuild, type ComposeOptions, type ComposeOutput, composeFromChart } from './compose';
export {
  type DashboardPanel,
  type DashboardQuery,
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
export { type ApiModelOptions, DEFAULT_MODEL, HF_HOME, MODELS_MOUNT, ModelMode } from './model';
export type { BackupObjectStore } from './object-store';
export * from './observability';
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
