// The API's volumes: scratch emptyDirs, and /app/data and /app/models as claims (Levels 2, 3) or emptyDirs.
// Objects: PersistentVolumeClaims `<api>-data` and `<api>-models`.
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { quantity as q } from '../core/containers';
import { invalidProp } from '../core/errors';
import type { LevelProfile } from '../core/levels';
import { requireDnsSubdomain, requirePositiveQuantity } from '../core/validation';
import { API_TYPE, CACHE_DIR } from './constants';

/** Where an extra volume's data comes from: one of the fields (a `k8s.Volume` without its name). */
export interface ApiVolumeSource {
  /** @default - not this kind */
  readonly emptyDir?: k8s.EmptyDirVolumeSource | undefined;
  /** @default - not this kind */
  readonly configMap?: k8s.ConfigMapVolumeSource | undefined;
  /** @default - not this kind */
  readonly secret?: k8s.SecretVolumeSource | undefined;
  /** @default - not this kind */
  readonly persistentVolumeClaim?: k8s.PersistentVolumeClaimVolumeSource | undefined;
  /** @default - not this kind */
  readonly projected?: k8s.ProjectedVolumeSource | undefined;
  /** @default - not this kind */
  readonly csi?: k8s.CsiVolumeSource | undefined;
  /** @default - not this kind */
  readonly ephemeral?: k8s.EphemeralVolumeSource | undefined;
  /** @default - not this kind */
  readonly downwardApi?: k8s.DownwardApiVolumeSource | undefined;
}

/** An extra volume mounted into the API container. */
export interface ApiVolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly volume: ApiVolumeSource;
  /** @default true */
  readonly readOnly?: boolean | undefined;
}

/** Claims every API pod mounts, from pods on any node. */
export const ACCESS_MODE_SHARED = 'ReadWriteMany';
/** Claims only pods on one node can mount. */
export const ACCESS_MODE_SINGLE_NODE = 'ReadWriteOnce';

/** What the API's storage is made of. */
export interface ApiStorageProps {
  /** The API's name: the claims are `<name>-data` and `<name>-models`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly profile: LevelProfile;
  readonly storageClassName?: string | undefined;
  readonly dataStorageSize?: string | undefined;
  readonly modelsStorageSize?: string | undefined;
  /** Each pod its own volumes (generic ephemeral) instead of the shared claims. */
  readonly perPod: boolean;
}

/** The API's own volumes, in mount order; creates the claims in `scope` at Levels 2 and 3. */
export function apiStorageVolumes(scope: Construct, p: ApiStorageProps): ApiVolumeMount[] {
  const profile = p.profile;
  const scratch: ApiVolumeMount[] = [
    { name: 'tmp', mountPath: '/tmp', readOnly: false, volume: { emptyDir: { sizeLimit: q('1Gi') } } },
    { name: 'cache', mountPath: CACHE_DIR, readOnly: false, volume: { emptyDir: { sizeLimit: q('2Gi') } } },
  ];
  const claims = [
    {
      name: 'data',
      mountPath: '/app/data',
      size: p.dataStorageSize ?? '10Gi',
      prop: 'dataStorageSize',
    },
    {
      name: 'models',
      mountPath: '/app/models',
      size: p.modelsStorageSize ?? '20Gi',
      prop: 'modelsStorageSize',
    },
  ];
  const accessMode = profile.claimAccessMode ?? ACCESS_MODE_SINGLE_NODE;
  if (p.storageClassName !== undefined)
    requireDnsSubdomain(scope, API_TYPE, 'storageClassName', p.storageClassName);
  if (
    profile.persistentStorage &&
    !p.perPod &&
    accessMode === ACCESS_MODE_SHARED &&
    p.storageClassName === undefined
  ) {
    invalidProp(
      scope,
      API_TYPE,
      'storageClassName',
      undefined,
      `Level ${profile.number}'s API pods on several nodes share the ${accessMode} claims of /app/data and /app/models, and the default StorageClass of EKS, GKE and AKS is ReadWriteOnce only: name a ReadWriteMany class, e.g. 'efs-sc' (EKS, EFS CSI), 'azurefile-csi' (AKS), 'standard-rwx' (GKE Filestore), 'cephfs' (Rook) or an NFS provisioner's class ('kubectl get storageclass')`,
    );
  }
  const durable = claims.map(({ name, mountPath, size, prop }): ApiVolumeMount => {
    requirePositiveQuantity(scope, API_TYPE, prop, size);
    if (!profile.persistentStorage) {
      return { name, mountPath, readOnly: false, volume: { emptyDir: { sizeLimit: q(size) } } };
    }
    if (p.perPod) {
      // Kubernetes "Ephemeral Volumes" (generic): the pod's own claim, created and deleted with it.
      const ephemeral = {
        volumeClaimTemplate: {
          metadata: { labels: p.labels },
          spec: {
            accessModes: [ACCESS_MODE_SINGLE_NODE],
            storageClassName: p.storageClassName,
            resources: { requests: { storage: q(size) } },
          },
        },
      };
      return { name, mountPath, readOnly: false, volume: { ephemeral } };
    }
    const claimName = `${p.name}-${name}`;
    new k8s.KubePersistentVolumeClaim(scope, `${name}-claim`, {
      metadata: { name: claimName, labels: p.labels },
      spec: {
        // Several API pods share the claims: one node at Level 2, many nodes at Level 3.
        accessModes: [accessMode],
        storageClassName: p.storageClassName,
        resources: { requests: { storage: q(size) } },
      },
    });
    return { name, mountPath, readOnly: false, volume: { persistentVolumeClaim: { claimName } } };
  });
  return [...scratch, ...durable];
}
