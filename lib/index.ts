export { MerlaiApi } from './api/api';
export type { ApiAutoscalingOverrides } from './api/autoscaling';
export { API_CONTAINER_PORT, DEFAULT_PINNED_IMAGE, DEVELOPMENT_IMAGE } from './api/constants';
export { EnvValue } from './api/env';
export { type ApiIngressOptions, ApiServiceType } from './api/ingress';
export {
  type ApiModelOptions,
  DEFAULT_MODEL,
  HF_HOME,
  MODELS_MOUNT,
  ModelMode,
  type ResolvedModel,
} from './api/model';
export type { ProbeOverrides } from './api/probes';
export type { MerlaiApiOptions, MerlaiApiProps } from './api/props';
export type { ApiResourceOverrides } from './api/resources';
export { PreStopPause, PreStopPauseType } from './api/shutdown';
export type { ApiVolumeMount, ApiVolumeSource } from './api/storage';
export {
  type BlueGreenOptions,
  type CanaryOptions,
  CanaryStep,
  DeploymentStrategy,
  type RollingUpdateOptions,
  StrategyType,
} from './api/strategy';
export * from './charts/level-chart';
export {
  type ComposeBuild,
  type ComposeOptions,
  type ComposeOutput,
  composeFromChart,
} from './compose/compose';
export { MerlaiPropError } from './core/errors';
export * from './core/image';
export * from './core/levels';
export { parseQuantity } from './core/validation';
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
export * from './datastores/datastores';
export * from './datastores/endpoints';
export type {
  BackupObjectStore,
  ObjectStoreCa,
  ResolvedObjectStore,
  ResolvedObjectStoreCa,
} from './datastores/postgres/object-store';
export * from './datastores/postgres/postgres';
export * from './datastores/postgres/postgres-backup';
export * from './datastores/redis/redis';
export * from './logging/logging';
export { POSTGRES_REPLICATION_LAG_SECONDS } from './observability/datastore-rules';
export {
  DEFAULT_PROMETHEUS_SELECTOR_LABELS,
  MerlaiObservability,
  type MerlaiObservabilityOptions,
  type MerlaiObservabilityProps,
} from './observability/observability';
export { DEFAULT_RUNBOOK_BASE_URL } from './observability/runbooks';
export {
  DEFAULT_INGRESS_NAMESPACE_LABEL,
  DEFAULT_INGRESS_NGINX_CLASSES,
  errorRatio,
  NGINX_DURATION_BUCKETS,
  requestRate,
  type SliScope,
  slowRatio,
} from './observability/sli';
export {
  BURN_RATE_ALERTS,
  type BurnRateAlert,
  type BurnRateCondition,
  SLI_WINDOWS,
} from './observability/slo';
export * from './security/security';
export * from './statics';
