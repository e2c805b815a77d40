// The API container's requests and limits: the level table's, the model's and the team's, and its disk.
import type { k8s } from 'cdk8s-plus-28';
import type { IConstruct } from 'constructs';
import { resolveResources, resourceRequirements } from '../core/containers';
import type { ResourceProfile } from '../core/levels';
import { stripUndefined } from '../core/objects';
import { parseQuantity } from '../core/validation';
import { API_TYPE } from './constants';
import type { ApiVolumeMount } from './storage';

/** Overrides of the container's requests and limits (Kubernetes quantities). */
export interface ApiResourceOverrides {
  /** @default - the level table (Level 3: '250m') */
  readonly cpuRequest?: string | undefined;
  /** @default - the level table (Level 3: '512Mi') */
  readonly memoryRequest?: string | undefined;
  /** @default - the level table (Level 3: '500m') */
  readonly cpuLimit?: string | undefined;
  /** @default - the level table (Level 3: '1Gi') */
  readonly memoryLimit?: string | undefined;
}

/** Node disk the scheduler reserves for a pod: logs and the scratch it usually uses. */
const EPHEMERAL_STORAGE_REQUEST = '1Gi';
/** Room for container logs on top of the emptyDirs, within the ephemeral-storage limit. */
const LOG_ALLOWANCE_BYTES = 2 ** 30;

/** The level table's resources under the model's defaults, under the team's `resources`. */
export function resolveApiResources(
  scope: IConstruct,
  overrides: ApiResourceOverrides | undefined,
  modelDefaults: ApiResourceOverrides,
  base: ResourceProfile,
): ResourceProfile {
  return resolveResources(
    scope,
    API_TYPE,
    'resources',
    { ...modelDefaults, ...stripUndefined(overrides ?? {}) },
    base,
  );
}

/** The container's requests and limits, local disk sized from its emptyDirs. */
export function apiResourceRequirements(
  resources: ResourceProfile,
  volumes: ApiVolumeMount[],
): k8s.ResourceRequirements {
  return resourceRequirements(resources, {
    request: EPHEMERAL_STORAGE_REQUEST,
    limit: ephemeralStorageLimit(volumes),
  });
}

/**
 * The pod's node-disk ceiling: every emptyDir at its `sizeLimit` plus room for logs, so the kubelet
 * evicts a runaway pod before the node fills, but never one that stays within its volumes.
 */
function ephemeralStorageLimit(volumes: ApiVolumeMount[]): string {
  const emptyDirBytes = volumes
    .map((v) => v.volume.emptyDir?.sizeLimit?.value)
    .filter((size): size is string => typeof size === 'string')
    .reduce((sum, size) => sum + (parseQuantity(size) ?? 0), 0);
  return `${Math.ceil((emptyDirBytes + LOG_ALLOWANCE_BYTES) / 2 ** 20)}Mi`;
}
