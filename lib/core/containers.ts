// Building blocks of the library's pod specs: quantities, Pod Security "restricted" security
// contexts, and a container's requests and limits (resolved from the level table and checked).
// Generates no objects itself.
import { k8s } from 'cdk8s-plus-28';
import type { IConstruct } from 'constructs';
import { invalidProp } from './errors';
import type { ResourceProfile } from './levels';
import { parseQuantity, requirePositiveQuantity } from './validation';

/** A Kubernetes quantity. */
export function quantity(value: string): k8s.Quantity {
  return k8s.Quantity.fromString(value);
}

/**
 * Pod-level settings of Pod Security "restricted": a fixed non-root user and group, group
 * ownership of volumes, and the runtime's default seccomp profile.
 */
export function restrictedPodSecurityContext(uid: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level settings of Pod Security "restricted", with a read-only root filesystem. */
export function restrictedContainerSecurityContext(uid: number): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Local disk a container may use: its writable layer, logs and emptyDir volumes. */
export interface EphemeralStorage {
  readonly request: string;
  readonly limit: string;
}

/** Requests and limits of a container, local disk included. */
export function resourceRequirements(r: ResourceProfile, disk: EphemeralStorage): k8s.ResourceRequirements {
  return {
    requests: {
      cpu: quantity(r.cpuRequest),
      memory: quantity(r.memoryRequest),
      'ephemeral-storage': quantity(disk.request),
    },
    limits: {
      cpu: quantity(r.cpuLimit),
      memory: quantity(r.memoryLimit),
      'ephemeral-storage': quantity(disk.limit),
    },
  };
}

/** The level table's resources with overrides applied; every value a positive quantity, limits ≥ requests. */
export function resolveResources(
  scope: IConstruct,
  constructType: string,
  prop: string,
  overrides: Partial<ResourceProfile> | undefined,
  base: ResourceProfile,
): ResourceProfile {
  const merged: ResourceProfile = {
    cpuRequest: overrides?.cpuRequest ?? base.cpuRequest,
    memoryRequest: overrides?.memoryRequest ?? base.memoryRequest,
    cpuLimit: overrides?.cpuLimit ?? base.cpuLimit,
    memoryLimit: overrides?.memoryLimit ?? base.memoryLimit,
  };
  for (const [key, value] of Object.entries(merged)) {
    requirePositiveQuantity(
      scope,
      constructType,
      `${prop}.${key}`,
      value,
      "'250m' or '1' (CPU), '512Mi' (memory)",
    );
  }
  for (const kind of ['cpu', 'memory'] as const) {
    const request = merged[`${kind}Request`];
    const limit = merged[`${kind}Limit`];
    if ((parseQuantity(limit) ?? 0) < (parseQuantity(request) ?? 0)) {
      invalidProp(
        scope,
        constructType,
        `${prop}.${kind}Limit`,
        limit,
        `expected a limit at least the request (${request}); raise the limit or lower '${prop}.${kind}Request'`,
      );
    }
  }
  return merged;
}
