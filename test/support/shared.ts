import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The project's `../shared/` folder (DESIGN.md, the guide, the CRDs): `MERLAI_SHARED_DIR`, else the
 * sibling of the project root, else the workplace's `/work/shared` (a CI clone in a temporary
 * folder has no sibling).
 */
export const SHARED_DIR = resolveSharedDir();

function resolveSharedDir(): string {
  const candidates = [
    process.env.MERLAI_SHARED_DIR,
    path.resolve(__dirname, '../../../shared'),
    '/work/shared',
  ].filter((c): c is string => Boolean(c));
  const found = candidates.find((c) => existsSync(path.join(c, 'crds')));
  if (!found)
    throw new Error(`No shared folder found; set MERLAI_SHARED_DIR. Tried: ${candidates.join(', ')}`);
  return found;
}
