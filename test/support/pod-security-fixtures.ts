import type { PodTemplate } from './pod-security';

/**
 * Pods that each break exactly one control of the Pod Security Standards (or, for the
 * `passes` fixtures, stay just inside one), derived from one compliant pod. `restricted` and
 * `baseline` are the admission controller's check ids each profile must report — nothing more.
 */
export interface PodSecurityFixture {
  readonly name: string;
  readonly pod: PodTemplate;
  readonly restricted: readonly string[];
  readonly baseline: readonly string[];
}

const secure = () => ({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });

/** A pod that passes "restricted": every allowed volume type, an init container, non-root, RuntimeDefault. */
export function compliantPod(): { metadata: any; spec: any } {
  return {
    metadata: { annotations: {} },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      initContainers: [{ name: 'init', image: 'busybox:1.36', securityContext: secure() }],
      containers: [
        {
          name: 'app',
          image: 'merlai:1.0.0',
          ports: [{ containerPort: 8000 }],
          securityContext: secure(),
        },
      ],
      volumes: [
        { name: 'tmp', emptyDir: {} },
        { name: 'config', configMap: { name: 'c' } },
        { name: 'secret', secret: { secretName: 's' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'd' } },
        { name: 'token', projected: { sources: [] } },
        { name: 'info', downwardAPI: { items: [] } },
        { name: 'csi', csi: { driver: 'secrets-store.csi.k8s.io' } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } },
      ],
    },
  };
}

function variant(
  name: string,
  restricted: string[],
  baseline: string[],
  change: (pod: any) => void,
): PodSecurityFixture {
  const pod = compliantPod();
  change(pod);
  return { name, pod, restricted, baseline };
}

const app = (pod: any) => pod.spec.containers[0];

export const POD_SECURITY_FIXTURES: readonly PodSecurityFixture[] = [
  // Baseline controls: every one also breaks "restricted".
  variant('HostProcess on the pod', ['windowsHostProcess'], ['windowsHostProcess'], (p) => {
    p.spec.securityContext.windowsOptions = { hostProcess: true };
  }),
  variant('HostProcess on a container', ['windowsHostProcess'], ['windowsHostProcess'], (p) => {
    app(p).securityContext.windowsOptions = { hostProcess: true };
  }),
  variant('hostNetwork', ['hostNamespaces'], ['hostNamespaces'], (p) => {
    p.spec.hostNetwork = true;
  }),
  variant('hostPID', ['hostNamespaces'], ['hostNamespaces'], (p) => {
    p.spec.hostPID = true;
  }),
  variant('hostIPC', ['hostNamespaces'], ['hostNamespaces'], (p) => {
    p.spec.hostIPC = true;
  }),
  variant('a privileged container', ['privileged'], ['privileged'], (p) => {
    app(p).securityContext.privileged = true;
  }),
  variant(
    'a capability beyond the baseline set (SYS_ADMIN)',
    ['capabilities_restricted'],
    ['capabilities_baseline'],
    (p) => {
      app(p).securityContext.capabilities.add = ['SYS_ADMIN'];
    },
  ),
  variant('a hostPath volume', ['restrictedVolumes'], ['hostPathVolumes'], (p) => {
    p.spec.volumes.push({ name: 'host', hostPath: { path: '/var/run' } });
  }),
  variant('a host port', ['hostPorts'], ['hostPorts'], (p) => {
    app(p).ports[0].hostPort = 8000;
  }),
  variant('an unconfined AppArmor profile', ['appArmorProfile'], ['appArmorProfile'], (p) => {
    p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/app'] = 'unconfined';
  }),
  variant('an SELinux type outside the container types', ['seLinuxOptions'], ['seLinuxOptions'], (p) => {
    p.spec.securityContext.seLinuxOptions = { type: 'spc_t' };
  }),
  variant('an SELinux user on a container', ['seLinuxOptions'], ['seLinuxOptions'], (p) => {
    app(p).securityContext.seLinuxOptions = { user: 'system_u' };
  }),
  variant('an unmasked /proc', ['procMount'], ['procMount'], (p) => {
    app(p).securityContext.procMount = 'Unmasked';
  }),
  variant(
    'seccomp Unconfined on the pod',
    ['seccompProfile_restricted'],
    ['seccompProfile_baseline'],
    (p) => {
      p.spec.securityContext.seccompProfile = { type: 'Unconfined' };
    },
  ),
  variant(
    'seccomp Unconfined on a container',
    ['seccompProfile_restricted'],
    ['seccompProfile_baseline'],
    (p) => {
      app(p).securityContext.seccompProfile = { type: 'Unconfined' };
    },
  ),
  variant('an unsafe sysctl', ['sysctls'], ['sysctls'], (p) => {
    p.spec.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '65536' }];
  }),
  // Restricted controls: baseline accepts each of these.
  variant('an nfs volume', ['restrictedVolumes'], [], (p) => {
    p.spec.volumes.push({ name: 'share', nfs: { server: 'nfs.example.com', path: '/' } });
  }),
  variant('allowPrivilegeEscalation unset', ['allowPrivilegeEscalation'], [], (p) => {
    delete app(p).securityContext.allowPrivilegeEscalation;
  }),
  variant('allowPrivilegeEscalation true in an init container', ['allowPrivilegeEscalation'], [], (p) => {
    p.spec.initContainers[0].securityContext.allowPrivilegeEscalation = true;
  }),
  variant('runAsNonRoot false on the pod', ['runAsNonRoot'], [], (p) => {
    p.spec.securityContext.runAsNonRoot = false;
  }),
  variant('runAsNonRoot set nowhere', ['runAsNonRoot'], [], (p) => {
    delete p.spec.securityContext.runAsNonRoot;
  }),
  variant('runAsUser 0 on a container', ['runAsUser'], [], (p) => {
    app(p).securityContext.runAsUser = 0;
  }),
  variant('no seccomp profile anywhere', ['seccompProfile_restricted'], [], (p) => {
    delete p.spec.securityContext.seccompProfile;
  }),
  variant('capabilities not dropped', ['capabilities_restricted'], [], (p) => {
    app(p).securityContext.capabilities = { drop: ['NET_RAW'] };
  }),
  variant('a baseline capability added (CHOWN)', ['capabilities_restricted'], [], (p) => {
    app(p).securityContext.capabilities.add = ['CHOWN'];
  }),
  variant('an ephemeral container that keeps its capabilities', ['capabilities_restricted'], [], (p) => {
    p.spec.ephemeralContainers = [
      { name: 'debug', image: 'busybox:1.36', securityContext: { allowPrivilegeEscalation: false } },
    ];
  }),
  // Just inside the rules.
  variant('passes: NET_BIND_SERVICE added', [], [], (p) => {
    app(p).securityContext.capabilities.add = ['NET_BIND_SERVICE'];
  }),
  variant('passes: AppArmor runtime/default, SELinux level only, safe sysctl', [], [], (p) => {
    p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/app'] = 'runtime/default';
    p.spec.securityContext.seLinuxOptions = { level: 's0:c123,c456' };
    p.spec.securityContext.sysctls = [{ name: 'net.ipv4.ip_local_reserved_ports', value: '30000' }];
  }),
  variant('passes: seccomp Localhost per container, none on the pod', [], [], (p) => {
    delete p.spec.securityContext.seccompProfile;
    for (const c of [...p.spec.initContainers, ...p.spec.containers]) {
      c.securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'profiles/merlai.json' };
    }
  }),
  variant(
    'passes: a Windows pod needs no seccomp, dropped capabilities or privilege-escalation setting',
    [],
    [],
    (p) => {
      p.spec.os = { name: 'windows' };
      delete p.spec.securityContext.seccompProfile;
      for (const c of [...p.spec.initContainers, ...p.spec.containers]) c.securityContext = {};
    },
  ),
];
