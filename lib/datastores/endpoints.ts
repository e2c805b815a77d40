// Where each datastore's pods (or external address) are, as the network policies read it. No objects.

/** The operator that manages a datastore's pods: where it runs and the ports it reaches them on. */
export interface DatastoreOperator {
  readonly namespace: string;
  readonly podLabels: { readonly [key: string]: string };
  /**
   * Labels of the operator's pods as other installs set them (each set is one more peer), e.g.
   * the kustomize manifests' labels beside the Helm chart's.
   * @default - none
   */
  readonly alternativePodLabels?: { readonly [key: string]: string }[] | undefined;
  readonly ports: number[];
}

/**
 * What the security construct needs to know about a datastore, whoever runs it: where its pods are
 * (or its external address), which ports clients, peers, the operator and Prometheus use.
 */
export interface DatastoreEndpoint {
  /** Client port (5432 for PostgreSQL, 6379 for Redis). */
  readonly port: number;
  /**
   * Labels of the pods serving it, in `namespace`.
   * @default - none: the datastore is external
   */
  readonly podLabels?: { readonly [key: string]: string } | undefined;
  /**
   * Namespace of those pods.
   * @default - the chart's namespace
   */
  readonly namespace?: string | undefined;
  /**
   * CIDR of an external datastore (`external` mode), e.g. `10.20.0.0/16`.
   * @default - none
   */
  readonly externalCidr?: string | undefined;
  /**
   * Ports the datastore's own pods use between themselves (replication, cluster bus).
   * @default - none
   */
  readonly peerPorts?: number[] | undefined;
  /**
   * The operator that manages the pods and must reach them.
   * @default - no operator (plain workload or external)
   */
  readonly operator?: DatastoreOperator | undefined;
  /**
   * Port a metrics exporter listens on, for scraping from the monitoring namespace.
   * @default - no metrics
   */
  readonly metricsPort?: number | undefined;
  /**
   * Whether the pods must reach the Kubernetes API server (CloudNativePG's instance manager does).
   * @default false
   */
  readonly needsApiServer?: boolean | undefined;
  /**
   * The object store the pods archive to (CloudNativePG's WAL archiving and base backups): an
   * address range and TCP port outside the cluster.
   * @default - none
   */
  readonly objectStore?: ObjectStoreAddress | undefined;
}

/** Where an off-cluster object store listens, for egress rules. */
export interface ObjectStoreAddress {
  readonly cidr: string;
  /**
   * Every address range of the store (`cidr` is the first).
   * @default - [cidr]
   */
  readonly cidrs?: string[] | undefined;
  readonly port: number;
}

/** The datastores of one level, as seen by the network policies. */
export interface DatastoreEndpoints {
  readonly postgres: DatastoreEndpoint;
  /**
   * Where Redis is; leave it out when the team runs no Redis: the API then gets no Redis egress
   * rule and no warning about a missing `REDIS_URL`.
   * @default - no Redis
   */
  readonly redis?: DatastoreEndpoint | undefined;
  /**
   * Labels of the backup job's pods (they reach PostgreSQL).
   * @default - no backup job
   */
  readonly backupPodLabels?: { readonly [key: string]: string } | undefined;
  /**
   * The object store the backup pods upload dumps to and download them from.
   * @default - none: the dumps stay in the cluster
   */
  readonly backupObjectStore?: ObjectStoreAddress | undefined;
}
