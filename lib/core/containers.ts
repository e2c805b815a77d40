import { isIPv4, isIPv6 } from 'node:net';
import { k8s } from 'cdk8s-plus-28';
import type { IConstruct } from 'constructs';
import type { ApiResourceOverrides } from '../api/api';
import { invalidProp, requireInteger } from './errors';
import { isPinned, parseImage } from './image';
import type { ResourceProfile } from './levels';
import { parseQuantity } from './validation';

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
  overrides: ApiResourceOverrides | undefined,
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

/** Checks a positive Kubernetes quantity; returns its value in base units (bytes or cores). */
export function requirePositiveQuantity(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
  example = "'10Gi'",
): number {
  const parsed = parseQuantity(value);
  if (parsed === undefined || !(parsed > 0)) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      `expected a positive Kubernetes quantity such as ${example}`,
    );
  }
  return parsed;
}

/** Checks that an image reference names exactly one image: an explicit tag other than `latest`, or a digest. */
export function requirePinnedImage(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
): string {
  const ref = parseImage(value);
  if (!ref || !isPinned(ref)) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      "expected a pinned image: an explicit version tag (not 'latest') or a digest, e.g. 'postgres:15.20-bookworm'",
    );
  }
  return value;
}

/** Checks an integer count against the level's floor. */
export function requireAtLeast(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: number,
  floor: number,
  why: string,
): number {
  requireInteger(scope, constructType, prop, value, 1);
  if (value < floor) invalidProp(scope, constructType, prop, value, `expected at least ${floor}: ${why}`);
  return value;
}

/** A DNS-1123 subdomain (host names, Secret and StorageClass names, label-key prefixes). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Checks a DNS-1123 subdomain (host names, Secret and StorageClass names). */
export function requireDnsSubdomain(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
): string {
  if (typeof value !== 'string' || value.length > 253 || !DNS1123_SUBDOMAIN.test(value)) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      'expected a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", at most 253 characters',
    );
  }
  return value;
}

/** Parses `address/prefix`; undefined unless both parts are valid (IPv4 or IPv6). */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  if (typeof cidr !== 'string') return undefined;
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!match) return undefined;
  const [, address, prefixText] = match;
  const prefix = Number(prefixText);
  if (isIPv4(address) && prefix <= 32) return { address, prefix, family: 4 };
  if (isIPv6(address) && prefix <= 128) return { address, prefix, family: 6 };
  return undefined;
}

/** Checks a CIDR, IPv4 (`10.20.0.0/16`) or IPv6 (`fd00::/64`). */
export function requireCidr(scope: IConstruct, constructType: string, prop: string, value: string): string {
  if (typeof value !== 'string' || parseCidr(value) === undefined) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      "expected a CIDR such as '10.20.0.0/16' or 'fd00::/64' (address/prefix length)",
    );
  }
  return value;
}

/** True for an IPv4 address literal. */
export function isIpv4(value: string): boolean {
  return isIPv4(value);
}

/** Checks a TCP or UDP port number. */
export function requirePort(scope: IConstruct, constructType: string, prop: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    invalidProp(scope, constructType, prop, value, 'expected a port number, an integer between 1 and 65535');
  }
  return value;
}

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Checks the key of a Secret (`[-._a-zA-Z0-9]+`). */
export function requireSecretKey(
  scope: IConstruct,
  constructType: string,
  prop: string,
  value: string,
): string {
  if (typeof value !== 'string' || value.length > 253 || !SECRET_KEY.test(value)) {
    invalidProp(
      scope,
      constructType,
      prop,
      value,
      'expected a Secret key: letters, digits, "-", "_" and "."',
    );
  }
  return value;
}
