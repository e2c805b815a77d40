// The public API of the library: the constructs, their props and enums, and the constants and
// functions the README documents, each named here on purpose (helpers stay internal).

export {
  type GuardedDisruptionBudget,
  MerlaiAdmissionPolicies,
  type MerlaiAdmissionPoliciesProps,
} from './admission/policies';
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
export type { ApiRouteOptions, GatewayReference } from './api/route';
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
export {
  Level1DevChart,
  Level2StagingChart,
  Level3ProductionChart,
  MerlaiLevelChart,
  type MerlaiLevelChartProps,
  POD_SECURITY_VERSION,
  podSecurityLabels,
} from './charts/level-chart';
export {
  type ComposeBuild,
  type ComposeOptions,
  type ComposeOutput,
  composeFromChart,
} from './compose/compose';
export { MerlaiPropError } from './core/errors';
export { FLOATING_TAGS, type ImageReference, isPinned, parseImage } from './core/image';
export {
  type AutoscalingProfile,
  AvailabilityLevel,
  type DatastoreProfile,
  LEVEL_PROFILES,
  type LevelProfile,
  levelProfile,
  monthlyErrorBudgetMinutes,
  type PlacementProfile,
  type ProbeTimings,
  RedisMode,
  type ResourceProfile,
  type ShutdownProfile,
} from './core/levels';
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
export {
  MerlaiDatastores,
  type MerlaiDatastoresOptions,
  type MerlaiDatastoresProps,
} from './datastores/datastores';
export type {
  DatastoreEndpoint,
  DatastoreEndpoints,
  DatastoreOperator,
  ObjectStoreAddress,
} from './datastores/endpoints';
export {
  BACKUP_CLAIM,
  BACKUP_MOUNT,
  BACKUP_NAME,
  BARMAN_CLOUD_PLUGIN,
  CNPG_METRICS_PORT,
  CNPG_POSTGRES_IMAGE,
  LOCAL_CACHE_DUMPS,
  POSTGRES_DATABASE,
  POSTGRES_IMAGE,
  POSTGRES_IMAGE_UID,
  POSTGRES_NAME,
  POSTGRES_OBJECT_STORE_NAME,
  POSTGRES_PORT,
  POSTGRES_URI_KEY,
  RESTORE_DOWNLOAD_DIR,
  RESTORE_NAME,
  UPLOAD_IMAGE,
} from './datastores/postgres/constants';
export type {
  BackupObjectStore,
  ObjectStoreCa,
  ResolvedObjectStore,
  ResolvedObjectStoreCa,
} from './datastores/postgres/object-store';
export {
  type ExternalPostgresOptions,
  MerlaiPostgres,
  type MerlaiPostgresProps,
  type PostgresConnection,
  type PostgresOptions,
} from './datastores/postgres/postgres';
export {
  MerlaiPostgresBackup,
  type MerlaiPostgresBackupProps,
  type PostgresBackupOptions,
} from './datastores/postgres/postgres-backup';
export { redisCacheConfig } from './datastores/redis/config';
export {
  OPSTREE_REDIS_IMAGE,
  OPSTREE_SENTINEL_IMAGE,
  REDIS_EXPORTER_IMAGE,
  REDIS_EXPORTER_PORT,
  REDIS_IMAGE,
  REDIS_IMAGE_UID,
  REDIS_MAXMEMORY_SHARE,
  REDIS_NAME,
  REDIS_PORT,
  REDIS_REPLICA_BUFFER_SHARE,
  SENTINEL_PORT,
} from './datastores/redis/constants';
export {
  type ExternalRedisOptions,
  MerlaiRedis,
  type MerlaiRedisProps,
  type RedisClientVariable,
  type RedisOptions,
} from './datastores/redis/redis';
export { GUIDE_LOG_CONFIG } from './logging/files';
export {
  LogFormat,
  MerlaiLogging,
  type MerlaiLoggingOptions,
  type MerlaiLoggingProps,
} from './logging/logging';
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
export { type IngressNginxSliOptions, SliSource, type TraefikSliOptions } from './observability/sli-source';
export {
  BURN_RATE_ALERTS,
  type BurnRateAlert,
  type BurnRateCondition,
  SLI_WINDOWS,
} from './observability/slo';
export {
  DEFAULT_KUBERNETES_API_SERVER,
  KUBERNETES_API_SERVER_PORTS,
  type KubernetesApiServer,
  MerlaiSecurity,
  type MerlaiSecurityOptions,
  type MerlaiSecurityProps,
  NODE_LOCAL_DNS_CIDR,
} from './security/security';
export { MerlaiConstants, MerlaiFunctions } from './statics';
