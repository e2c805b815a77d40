// The module-level constants and functions as static members of MerlaiConstants and MerlaiFunctions (jsii). No objects.
import type { Chart } from 'cdk8s';
import { API_CONTAINER_PORT, DEFAULT_PINNED_IMAGE, DEVELOPMENT_IMAGE } from './api/constants';
import { DEFAULT_MODEL, HF_HOME, MODELS_MOUNT } from './api/model';
import { POD_SECURITY_VERSION, podSecurityLabels } from './charts/level-chart';
import { type ComposeOptions, type ComposeOutput, composeFromChart } from './compose/compose';
import { FLOATING_TAGS, type ImageReference, isPinned, parseImage } from './core/image';
import {
  type AvailabilityLevel,
  LEVEL_PROFILES,
  type LevelProfile,
  levelProfile,
  monthlyErrorBudgetMinutes,
} from './core/levels';
import { parseQuantity } from './core/validation';
import { GRAFANA_DASHBOARD_LABELS, GRAFANA_SCHEMA_VERSION } from './dashboard';
import {
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
import { redisCacheConfig } from './datastores/redis/config';
import {
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
import { GUIDE_LOG_CONFIG } from './logging/files';
import { POSTGRES_REPLICATION_LAG_SECONDS } from './observability/datastore-rules';
import { DEFAULT_PROMETHEUS_SELECTOR_LABELS } from './observability/observability';
import { DEFAULT_RUNBOOK_BASE_URL } from './observability/runbooks';
import {
  DEFAULT_INGRESS_NAMESPACE_LABEL,
  DEFAULT_INGRESS_NGINX_CLASSES,
  errorRatio,
  NGINX_DURATION_BUCKETS,
  requestRate,
  type SliScope,
  slowRatio,
} from './observability/sli';
import { BURN_RATE_ALERTS, type BurnRateAlert, SLI_WINDOWS } from './observability/slo';
import {
  DEFAULT_KUBERNETES_API_SERVER,
  KUBERNETES_API_SERVER_PORTS,
  type KubernetesApiServer,
  NODE_LOCAL_DNS_CIDR,
} from './security/security';

/*
 * The module-level constants and functions, as static members of classes: jsii (the Python, Java,
 * Go and C# bindings) carries classes, not a module's top-level values. TypeScript may use either;
 * test/statics.test.ts checks that every value export has its static twin.
 */

/** Names, images, ports and other constants of the library. */
export class MerlaiConstants {
  /** The image Levels 2 and 3 run unless told otherwise. */
  public static readonly DEFAULT_PINNED_IMAGE = DEFAULT_PINNED_IMAGE;
  /** The image of the guide's Level 1. */
  public static readonly DEVELOPMENT_IMAGE = DEVELOPMENT_IMAGE;
  /** The port Merlai's server listens on. */
  public static readonly API_CONTAINER_PORT = API_CONTAINER_PORT;
  /** Tags that move (`latest`, …): not a pinned image. */
  public static readonly FLOATING_TAGS: string[] = [...FLOATING_TAGS];
  /** The Kubernetes minor whose Pod Security "restricted" rules are enforced. */
  public static readonly POD_SECURITY_VERSION = POD_SECURITY_VERSION;
  /** The operations guide's `log-config.yaml`. */
  public static readonly GUIDE_LOG_CONFIG = GUIDE_LOG_CONFIG;
  public static readonly POSTGRES_NAME = POSTGRES_NAME;
  public static readonly POSTGRES_IMAGE = POSTGRES_IMAGE;
  public static readonly CNPG_POSTGRES_IMAGE = CNPG_POSTGRES_IMAGE;
  public static readonly POSTGRES_PORT = POSTGRES_PORT;
  public static readonly POSTGRES_IMAGE_UID = POSTGRES_IMAGE_UID;
  public static readonly POSTGRES_DATABASE = POSTGRES_DATABASE;
  public static readonly POSTGRES_URI_KEY = POSTGRES_URI_KEY;
  public static readonly CNPG_METRICS_PORT = CNPG_METRICS_PORT;
  public static readonly BARMAN_CLOUD_PLUGIN = BARMAN_CLOUD_PLUGIN;
  public static readonly BACKUP_NAME = BACKUP_NAME;
  public static readonly RESTORE_NAME = RESTORE_NAME;
  public static readonly BACKUP_MOUNT = BACKUP_MOUNT;
  public static readonly BACKUP_CLAIM = BACKUP_CLAIM;
  public static readonly REDIS_NAME = REDIS_NAME;
  public static readonly REDIS_IMAGE = REDIS_IMAGE;
  public static readonly REDIS_IMAGE_UID = REDIS_IMAGE_UID;
  public static readonly OPSTREE_REDIS_IMAGE = OPSTREE_REDIS_IMAGE;
  public static readonly OPSTREE_SENTINEL_IMAGE = OPSTREE_SENTINEL_IMAGE;
  public static readonly REDIS_EXPORTER_IMAGE = REDIS_EXPORTER_IMAGE;
  public static readonly REDIS_PORT = REDIS_PORT;
  public static readonly SENTINEL_PORT = SENTINEL_PORT;
  public static readonly REDIS_EXPORTER_PORT = REDIS_EXPORTER_PORT;
  public static readonly REDIS_MAXMEMORY_SHARE = REDIS_MAXMEMORY_SHARE;
  /** The burn-rate alerts of the SLO rules (Google SRE workbook). */
  public static readonly BURN_RATE_ALERTS: BurnRateAlert[] = [...BURN_RATE_ALERTS];
  /** The windows the SLO rules record. */
  public static readonly SLI_WINDOWS: string[] = [...SLI_WINDOWS];
  /** ingress-nginx's request-duration histogram buckets (seconds). */
  public static readonly NGINX_DURATION_BUCKETS: number[] = [...NGINX_DURATION_BUCKETS];
  /** The API server address the PostgreSQL pods may reach by default. */
  public static readonly DEFAULT_KUBERNETES_API_SERVER: KubernetesApiServer = DEFAULT_KUBERNETES_API_SERVER;
  /** The API server's ports the PostgreSQL pods may reach (443 on managed clouds, 6443 on kubeadm). */
  public static readonly KUBERNETES_API_SERVER_PORTS: number[] = [...KUBERNETES_API_SERVER_PORTS];
  /** NodeLocal DNSCache's link-local address range. */
  public static readonly NODE_LOCAL_DNS_CIDR = NODE_LOCAL_DNS_CIDR;
  /** The share of Redis's memory limit given to each replica's output buffer. */
  public static readonly REDIS_REPLICA_BUFFER_SHARE = REDIS_REPLICA_BUFFER_SHARE;
  /** The label that carries the Ingress's namespace on ingress-nginx's series by default. */
  public static readonly DEFAULT_INGRESS_NAMESPACE_LABEL = DEFAULT_INGRESS_NAMESPACE_LABEL;
  /** Ingress classes whose metrics the SLIs know (ingress-nginx). */
  public static readonly DEFAULT_INGRESS_NGINX_CLASSES: string[] = [...DEFAULT_INGRESS_NGINX_CLASSES];
  /** Labels kube-prometheus-stack's rule and monitor selectors pick by default. */
  public static readonly DEFAULT_PROMETHEUS_SELECTOR_LABELS: { [key: string]: string } = {
    ...DEFAULT_PROMETHEUS_SELECTOR_LABELS,
  };
  /** Replication lag (seconds) over which a PostgreSQL replica alerts. */
  public static readonly POSTGRES_REPLICATION_LAG_SECONDS = POSTGRES_REPLICATION_LAG_SECONDS;
  /** The name of CloudNativePG's ObjectStore (Barman Cloud plugin). */
  public static readonly POSTGRES_OBJECT_STORE_NAME = POSTGRES_OBJECT_STORE_NAME;
  /** How many dumps the backup volume keeps as a cache when an object store holds the backups. */
  public static readonly LOCAL_CACHE_DUMPS = LOCAL_CACHE_DUMPS;
  /** Where the restore Job downloads a dump. */
  public static readonly RESTORE_DOWNLOAD_DIR = RESTORE_DOWNLOAD_DIR;
  /** The image that uploads dumps to the object store. */
  public static readonly UPLOAD_IMAGE = UPLOAD_IMAGE;
  /** Where the alerts' runbook links point by default. */
  public static readonly DEFAULT_RUNBOOK_BASE_URL = DEFAULT_RUNBOOK_BASE_URL;
  /** The label kube-prometheus-stack's Grafana sidecar discovers dashboards by. */
  public static readonly GRAFANA_DASHBOARD_LABELS: { [key: string]: string } = {
    ...GRAFANA_DASHBOARD_LABELS,
  };
  /** The Grafana dashboard schema version the dashboards are written for. */
  public static readonly GRAFANA_SCHEMA_VERSION = GRAFANA_SCHEMA_VERSION;
  /** The model the `model` mode loads. */
  public static readonly DEFAULT_MODEL = DEFAULT_MODEL;
  /** Where the models volume is mounted. */
  public static readonly MODELS_MOUNT = MODELS_MOUNT;
  /** The Hugging Face cache (`HF_HOME`) of the `model` mode. */
  public static readonly HF_HOME = HF_HOME;

  private constructor() {}
}

/** The library's helper functions. */
export class MerlaiFunctions {
  /** The level table's row of `level` (`LEVEL_PROFILES[level]`). */
  public static levelProfile(level: AvailabilityLevel): LevelProfile {
    return levelProfile(level);
  }

  /** Every row of the level table, Level 1 first. */
  public static levelProfiles(): LevelProfile[] {
    return Object.values(LEVEL_PROFILES).sort((a, b) => a.number - b.number);
  }

  /** Minutes of a 30-day month an availability target (a fraction, e.g. 0.999) allows to fail. */
  public static monthlyErrorBudgetMinutes(availabilityTarget: number): number {
    return monthlyErrorBudgetMinutes(availabilityTarget);
  }

  /** Pod Security Admission labels that enforce, audit and warn "restricted" at `version`. */
  public static podSecurityLabels(version: string): { [key: string]: string } {
    return podSecurityLabels(version);
  }

  /** A Kubernetes quantity (`250m`, `512Mi`) in base units (cores or bytes); undefined when it is not one. */
  public static parseQuantity(quantity: string): number | undefined {
    return parseQuantity(quantity);
  }

  /** The parts of an image reference; undefined when it is not one. */
  public static parseImage(image: string): ImageReference | undefined {
    return parseImage(image);
  }

  /** Whether an image reference is pinned (a digest, or a tag that does not float). */
  public static isPinned(ref: ImageReference): boolean {
    return isPinned(ref);
  }

  /** The Redis cache settings (`maxmemory`, eviction) for a memory budget in bytes. */
  public static redisCacheConfig(maxMemoryBytes: number): string {
    return redisCacheConfig(maxMemoryBytes);
  }

  /** PromQL: the API's request rate over `window` at the ingress-nginx controller. */
  public static requestRate(scope: SliScope, window: string): string {
    return requestRate(scope, window);
  }

  /** PromQL: the share of 5xx responses over `window`. */
  public static errorRatio(scope: SliScope, window: string): string {
    return errorRatio(scope, window);
  }

  /** PromQL: the share of requests slower than `thresholdSeconds` over `window`. */
  public static slowRatio(scope: SliScope, window: string, thresholdSeconds: number): string {
    return slowRatio(scope, window, thresholdSeconds);
  }

  /** The Level 1 Compose file (and the files it mounts) generated from a Level 1 chart. */
  public static composeFromChart(chart: Chart, options?: ComposeOptions): ComposeOutput {
    return composeFromChart(chart, options);
  }

  private constructor() {}
}
