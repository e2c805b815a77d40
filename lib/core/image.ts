// Container image references: parsing, and whether a reference is pinned. No objects.

/** A parsed container image reference (`[registry/]repository[:tag][@digest]`). */
export interface ImageReference {
  readonly repository: string;
  readonly tag?: string | undefined;
  readonly digest?: string | undefined;
}

// The grammar of github.com/distribution/reference, reduced to what Kubernetes accepts.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?)`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`,
);

/** Tags that are moved by convention and so do not pin what runs. */
export const FLOATING_TAGS: readonly string[] = ['latest', 'stable', 'main', 'master', 'edge', 'nightly'];

/** Parses an image reference; undefined when it is malformed. */
export function parseImage(image: string): ImageReference | undefined {
  const match = REFERENCE.exec(image);
  if (!match || image.length > 255) return undefined;
  const [, repository, tag, digest] = match;
  return { repository, tag, digest };
}

/** True when the reference names exactly one image: a digest, or an explicit tag that is not floating. */
export function isPinned(ref: ImageReference): boolean {
  if (ref.digest) return true;
  return ref.tag !== undefined && !FLOATING_TAGS.includes(ref.tag);
}
