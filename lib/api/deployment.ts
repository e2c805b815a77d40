// The API's Deployment: the pod template every strategy runs (Argo Rollouts takes it from there).
// Objects: Deployment `<api>`.
import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../core/containers';
import { annotations } from '../core/objects';
import { requireDnsSubdomain } from '../core/validation';
import { API_CONTAINER_PORT, API_TYPE, API_UID } from './constants';

/** What the API's Deployment is made of; the container's command, env and volumes are read at synth. */
export interface ApiDeploymentProps {
  readonly name: string;
  readonly selectorLabels: Readonly<Record<string, string>>;
  /** Extra labels of the pod template (the selector's keys stay the selector's). */
  readonly podLabels: Readonly<Record<string, string>>;
  readonly podAnnotations?: { readonly [key: string]: string } | undefined;
  readonly serviceAccountName: string;
  readonly image: string;
  /** The fixed count; undefined when an autoscaler or an Argo Rollouts `Rollout` owns it. */
  readonly replicas?: number | undefined;
  readonly rollingUpdate: { readonly maxUnavailable: number; readonly maxSurge: number };
  readonly terminationGracePeriodSeconds?: number | undefined;
  readonly preStopCommand?: string[] | undefined;
  /** Spread and affinity of the pods. */
  readonly placement: Pick<k8s.PodSpec, 'topologySpreadConstraints' | 'affinity'>;
  readonly imagePullSecrets?: string[] | undefined;
  readonly nodeSelector?: { readonly [key: string]: string } | undefined;
  readonly tolerations?: k8s.Toleration[] | undefined;
  readonly priorityClassName?: string | undefined;
  readonly resources: k8s.ResourceRequirements;
  readonly probes: Pick<k8s.Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'>;
  /** The container's command, once every `overrideCommand()` has run. */
  readonly command: () => string[] | undefined;
  readonly env: () => k8s.EnvVar[];
  readonly volumeMounts: () => k8s.VolumeMount[];
  readonly volumes: () => k8s.Volume[];
}

/** The Deployment of the API container, with the Pod Security "restricted" settings. */
export function createApiDeployment(scope: Construct, p: ApiDeploymentProps): k8s.KubeDeployment {
  return new k8s.KubeDeployment(scope, 'deployment', {
    metadata: { name: p.name, labels: p.selectorLabels },
    spec: {
      replicas: p.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: p.selectorLabels },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: {
          maxUnavailable: k8s.IntOrString.fromNumber(p.rollingUpdate.maxUnavailable),
          maxSurge: k8s.IntOrString.fromNumber(p.rollingUpdate.maxSurge),
        },
      },
      template: {
        metadata: {
          labels: { ...p.podLabels, ...p.selectorLabels },
          annotations: annotations(p.podAnnotations),
        },
        spec: {
          serviceAccountName: p.serviceAccountName,
          imagePullSecrets: p.imagePullSecrets?.map((name) => ({
            name: requireDnsSubdomain(scope, API_TYPE, 'imagePullSecrets', name),
          })),
          nodeSelector: annotations(p.nodeSelector),
          tolerations: p.tolerations,
          automountServiceAccountToken: false,
          priorityClassName: p.priorityClassName,
          terminationGracePeriodSeconds: p.terminationGracePeriodSeconds,
          ...p.placement,
          securityContext: {
            ...restrictedPodSecurityContext(API_UID),
            fsGroupChangePolicy: 'OnRootMismatch',
          },
          containers: [
            {
              name: p.name,
              image: p.image,
              // IfNotPresent at every level: Level 1 runs a locally built `merlai:latest` that no
              // registry holds (Always would fail to pull it); Levels 2 and 3 are pinned.
              imagePullPolicy: 'IfNotPresent',
              command: Lazy.any({ produce: p.command }),
              ports: [{ name: 'http', containerPort: API_CONTAINER_PORT, protocol: 'TCP' }],
              env: Lazy.any({ produce: p.env }),
              resources: p.resources,
              ...p.probes,
              securityContext: restrictedContainerSecurityContext(API_UID),
              volumeMounts: Lazy.any({ produce: p.volumeMounts }),
              lifecycle: p.preStopCommand ? { preStop: { exec: { command: p.preStopCommand } } } : undefined,
            },
          ],
          volumes: Lazy.any({ produce: p.volumes }),
        },
      },
    },
  });
}
