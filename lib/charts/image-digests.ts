// Level 3's image rule: every container image the chart emits pinned by digest, or the escape hatch
// written on the objects (`merlai.io/unpinned-images`). No objects of its own.
import { ApiObject, type Chart } from 'cdk8s';
import { invalidProp } from '../core/errors';
import { parseImage } from '../core/image';
import type { LevelProfile } from '../core/levels';

/** The annotation naming the images an object runs without a digest, under `allowUnpinnedImages`. */
export const UNPINNED_IMAGES_ANNOTATION = 'merlai.io/unpinned-images';

/** One image reference in an object: where, which, and the prop that sets it. */
interface ImageUse {
  readonly object: ApiObject;
  readonly path: string;
  readonly image: string;
  readonly prop: string;
}

/**
 * Every `image` (containers, the redis-operator's `kubernetesConfig`, `sentinel`, `redisExporter`)
 * and `imageName` (CloudNativePG's operand) in the chart's objects.
 */
function imageUses(chart: Chart): ImageUse[] {
  const uses: ImageUse[] = [];
  for (const object of chart.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c))) {
    const walk = (value: unknown, path: string, containerName?: string): void => {
      if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) walk(v, `${path}[${i}]`, containerName);
      } else if (value !== null && typeof value === 'object') {
        const record = value as Record<string, unknown>;
        const name = typeof record.name === 'string' ? record.name : containerName;
        for (const [key, v] of Object.entries(record)) {
          if ((key === 'image' || key === 'imageName') && typeof v === 'string') {
            const at = `${path}.${key}`;
            uses.push({ object, path: at, image: v, prop: propOf(object, at, name) });
          } else {
            walk(v, `${path}.${key}`, name);
          }
        }
      }
    };
    walk(object.toJson(), '');
  }
  return uses;
}

/** The level chart prop that sets an image, for the error message. */
function propOf(object: ApiObject, path: string, containerName: string | undefined): string {
  if (object.kind === 'Cluster') return 'datastores.postgres.image';
  if (object.kind === 'RedisReplication') {
    if (path.startsWith('.spec.sentinel.')) return 'datastores.redis.sentinelImage';
    if (path.startsWith('.spec.redisExporter.')) return 'datastores.redis.exporterImage';
    return 'datastores.redis.image';
  }
  if (object.name.startsWith('merlai-postgres-')) {
    return containerName === 'upload' || containerName === 'download'
      ? 'datastores.backup.uploadImage'
      : 'datastores.backup.image';
  }
  if (object.name === 'merlai-postgres') return 'datastores.postgres.image';
  if (object.name === 'merlai-redis') return 'datastores.redis.image';
  return 'api.image';
}

/**
 * At a level whose table requires digests (Level 3), refuses every image without `@sha256:`,
 * naming each with its object and prop; with `allowUnpinned`, annotates the objects instead, so
 * the exception stays visible in the YAML (and to admission policies or audits reading it).
 */
export function requireImageDigests(
  chart: Chart,
  type: string,
  profile: LevelProfile,
  allowUnpinned: boolean,
): void {
  if (!profile.requireImageDigests) return;
  const unpinned = imageUses(chart).filter((u) => parseImage(u.image)?.digest === undefined);
  if (unpinned.length === 0) return;
  if (!allowUnpinned) {
    const list = unpinned.map((u) => `${u.prop} '${u.image}' (${u.object.kind}/${u.object.name})`);
    invalidProp(
      chart,
      type,
      'allowUnpinnedImages',
      allowUnpinned,
      `Level ${profile.number} (${profile.environment}) runs images pinned by digest only ('<image>@sha256:<64 hex digits>'), so a tag moved in the registry cannot change what runs; not pinned: ${[...new Set(list)].join(', ')}. Give each as a digest, or set allowUnpinnedImages: true to run them as they are (annotated '${UNPINNED_IMAGES_ANNOTATION}')`,
    );
  }
  const byObject = new Map<ApiObject, Set<string>>();
  for (const u of unpinned) byObject.set(u.object, (byObject.get(u.object) ?? new Set()).add(u.image));
  for (const [object, images] of byObject) {
    object.metadata.addAnnotation(UNPINNED_IMAGES_ANNOTATION, [...images].join(','));
  }
}
