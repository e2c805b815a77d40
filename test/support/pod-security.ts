/**
 * The Pod Security Standards, "baseline" and "restricted" profiles as of Kubernetes v1.28
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/), checked the way Pod
 * Security Admission checks them: one check per control, named with the admission controller's
 * check ids (`k8s.io/pod-security-admission/policy`), so a finding reads like the API server's
 * warning and can be compared with the reference implementation.
 *
 * "restricted" = every restricted check plus the baseline checks it does not replace
 * (`restrictedVolumes` replaces `hostPathVolumes`, `capabilities_restricted` replaces
 * `capabilities_baseline`, `seccompProfile_restricted` replaces `seccompProfile_baseline`).
 */

export type PodSecurityLevel = 'baseline' | 'restricted';

/** A pod's metadata and spec, as in a Pod or a pod template. */
export interface PodTemplate {
  readonly metadata?: { readonly annotations?: Record<string, string>; readonly [k: string]: any };
  readonly spec: any;
}

export interface Violation {
  /** The admission controller's check id, e.g. `allowPrivilegeEscalation`. */
  readonly check: string;
  /** What is wrong, naming the containers or volumes. */
  readonly detail: string;
}

interface Check {
  readonly id: string;
  readonly level: PodSecurityLevel;
  /** Baseline checks this restricted check replaces. */
  readonly overrides?: readonly string[];
  /** The problem, or undefined when the pod passes. */
  readonly run: (metadata: PodTemplate['metadata'], spec: any) => string | undefined;
}

type Container = { name: string; securityContext?: any; ports?: any[] };

/** Init containers, containers and ephemeral containers, as the admission controller visits them. */
function containers(spec: any): Container[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

function names(list: Container[]): string {
  return list.map((c) => `"${c.name}"`).join(', ');
}

function failing(spec: any, bad: (c: Container) => boolean, problem: string): string | undefined {
  const found = containers(spec).filter(bad);
  return found.length > 0 ? `container(s) ${names(found)} ${problem}` : undefined;
}

const isWindows = (spec: any) => spec.os?.name === 'windows';

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
// v1.27 added net.ipv4.ip_local_reserved_ports to the safe set.
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const RESTRICTED_VOLUME_SOURCES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];
const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const validSeccomp = (type: string | undefined) => type === 'RuntimeDefault' || type === 'Localhost';

export const CHECKS: readonly Check[] = [
  {
    id: 'windowsHostProcess',
    level: 'baseline',
    run: (_m, spec) => {
      const pod = spec.securityContext?.windowsOptions?.hostProcess === true;
      const bad = failing(
        spec,
        (c) => c.securityContext?.windowsOptions?.hostProcess === true,
        'set hostProcess',
      );
      if (pod || bad) return [pod ? 'pod sets hostProcess' : '', bad ?? ''].filter(Boolean).join('; ');
      return undefined;
    },
  },
  {
    id: 'hostNamespaces',
    level: 'baseline',
    run: (_m, spec) => {
      const set = ['hostNetwork', 'hostPID', 'hostIPC'].filter((f) => spec[f] === true);
      return set.length > 0 ? set.map((f) => `${f}=true`).join(', ') : undefined;
    },
  },
  {
    id: 'privileged',
    level: 'baseline',
    run: (_m, spec) => failing(spec, (c) => c.securityContext?.privileged === true, 'set privileged=true'),
  },
  {
    id: 'capabilities_baseline',
    level: 'baseline',
    run: (_m, spec) =>
      failing(
        spec,
        (c) =>
          (c.securityContext?.capabilities?.add ?? []).some((cap: string) => !BASELINE_CAPABILITIES.has(cap)),
        'add capabilities outside the baseline set',
      ),
  },
  {
    id: 'hostPathVolumes',
    level: 'baseline',
    run: (_m, spec) => {
      const bad = (spec.volumes ?? []).filter((v: any) => v.hostPath !== undefined).map((v: any) => v.name);
      return bad.length > 0 ? `hostPath volume(s) ${bad.join(', ')}` : undefined;
    },
  },
  {
    id: 'hostPorts',
    level: 'baseline',
    run: (_m, spec) =>
      failing(spec, (c) => (c.ports ?? []).some((p: any) => (p.hostPort ?? 0) !== 0), 'use hostPort'),
  },
  {
    id: 'appArmorProfile',
    level: 'baseline',
    run: (metadata) => {
      const bad = Object.entries(metadata?.annotations ?? {}).filter(
        ([k, v]) =>
          k.startsWith(APPARMOR_PREFIX) &&
          !(v === '' || v === 'runtime/default' || v.startsWith('localhost/')),
      );
      return bad.length > 0
        ? `forbidden AppArmor profile(s) ${bad.map(([k, v]) => `${k}=${v}`).join(', ')}`
        : undefined;
    },
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    run: (_m, spec) => {
      const bad = (o: any) => o && (!SELINUX_TYPES.has(o.type ?? '') || !!o.user || !!o.role);
      const pod = bad(spec.securityContext?.seLinuxOptions);
      const found = failing(
        spec,
        (c) => bad(c.securityContext?.seLinuxOptions),
        'set forbidden seLinuxOptions',
      );
      if (pod || found)
        return [pod ? 'pod sets forbidden seLinuxOptions' : '', found ?? ''].filter(Boolean).join('; ');
      return undefined;
    },
  },
  {
    id: 'procMount',
    level: 'baseline',
    run: (_m, spec) =>
      failing(
        spec,
        (c) => c.securityContext?.procMount !== undefined && c.securityContext.procMount !== 'Default',
        'set a procMount other than Default',
      ),
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    run: (_m, spec) => {
      const podType = spec.securityContext?.seccompProfile?.type;
      const pod = podType !== undefined && !validSeccomp(podType);
      const found = failing(
        spec,
        (c) =>
          c.securityContext?.seccompProfile !== undefined &&
          !validSeccomp(c.securityContext.seccompProfile.type),
        'set seccompProfile.type to Unconfined',
      );
      if (pod || found)
        return [pod ? `pod sets seccompProfile.type ${podType}` : '', found ?? ''].filter(Boolean).join('; ');
      return undefined;
    },
  },
  {
    id: 'sysctls',
    level: 'baseline',
    run: (_m, spec) => {
      const bad = (spec.securityContext?.sysctls ?? [])
        .map((s: any) => s.name)
        .filter((n: string) => !SAFE_SYSCTLS.has(n));
      return bad.length > 0 ? `forbidden sysctls ${bad.join(', ')}` : undefined;
    },
  },
  {
    id: 'restrictedVolumes',
    level: 'restricted',
    overrides: ['hostPathVolumes'],
    run: (_m, spec) => {
      const bad = (spec.volumes ?? []).filter(
        (v: any) => !RESTRICTED_VOLUME_SOURCES.some((s) => v[s] !== undefined),
      );
      return bad.length > 0
        ? `volume(s) ${bad.map((v: any) => v.name).join(', ')} use restricted volume types`
        : undefined;
    },
  },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    run: (_m, spec) =>
      isWindows(spec)
        ? undefined
        : failing(
            spec,
            (c) => c.securityContext?.allowPrivilegeEscalation !== false,
            'must set allowPrivilegeEscalation=false',
          ),
  },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    run: (_m, spec) => {
      const podValue = spec.securityContext?.runAsNonRoot;
      const explicit = containers(spec).filter((c) => c.securityContext?.runAsNonRoot === false);
      if (podValue === false || explicit.length > 0) {
        return [podValue === false ? 'pod' : '', explicit.length ? `container(s) ${names(explicit)}` : '']
          .filter(Boolean)
          .join(' and ')
          .concat(' must not set runAsNonRoot=false');
      }
      const implicit = containers(spec).filter(
        (c) => c.securityContext?.runAsNonRoot === undefined && podValue !== true,
      );
      return implicit.length > 0
        ? `pod or container(s) ${names(implicit)} must set runAsNonRoot=true`
        : undefined;
    },
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    run: (_m, spec) => {
      const pod = spec.securityContext?.runAsUser === 0;
      const found = failing(spec, (c) => c.securityContext?.runAsUser === 0, 'set runAsUser=0');
      if (pod || found) return [pod ? 'pod sets runAsUser=0' : '', found ?? ''].filter(Boolean).join('; ');
      return undefined;
    },
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    overrides: ['seccompProfile_baseline'],
    run: (_m, spec) => {
      if (isWindows(spec)) return undefined;
      const podProfile = spec.securityContext?.seccompProfile;
      if (podProfile !== undefined && !validSeccomp(podProfile.type))
        return `pod sets seccompProfile.type ${podProfile.type}`;
      const explicit = failing(
        spec,
        (c) =>
          c.securityContext?.seccompProfile !== undefined &&
          !validSeccomp(c.securityContext.seccompProfile.type),
        'set seccompProfile.type to something other than RuntimeDefault or Localhost',
      );
      if (explicit) return explicit;
      return podProfile === undefined
        ? failing(
            spec,
            (c) => c.securityContext?.seccompProfile === undefined,
            'must set seccompProfile (or the pod must)',
          )
        : undefined;
    },
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    overrides: ['capabilities_baseline'],
    run: (_m, spec) => {
      if (isWindows(spec)) return undefined;
      const noDrop = failing(
        spec,
        (c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL'),
        'must drop ALL capabilities',
      );
      const adds = failing(
        spec,
        (c) => (c.securityContext?.capabilities?.add ?? []).some((cap: string) => cap !== 'NET_BIND_SERVICE'),
        'may add only NET_BIND_SERVICE',
      );
      return noDrop || adds ? [noDrop, adds].filter(Boolean).join('; ') : undefined;
    },
  },
];

/** The checks a level applies (restricted: its own plus the baseline ones it does not replace). */
export function checksOf(level: PodSecurityLevel): readonly Check[] {
  if (level === 'baseline') return CHECKS.filter((c) => c.level === 'baseline');
  const replaced = new Set(CHECKS.flatMap((c) => c.overrides ?? []));
  return CHECKS.filter((c) => !replaced.has(c.id));
}

/** What keeps a pod from being admitted at `level` (empty when it passes). */
export function podSecurityViolations(pod: PodTemplate, level: PodSecurityLevel = 'restricted'): Violation[] {
  const violations: Violation[] = [];
  for (const check of checksOf(level)) {
    const detail = check.run(pod.metadata, pod.spec);
    if (detail !== undefined) violations.push({ check: check.id, detail });
  }
  return violations;
}
