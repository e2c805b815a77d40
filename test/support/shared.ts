import { existsSync } from 'node:fs';
import path from 'node:path';

/** The project root. */
export const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** The project's own copy of the operators' CRDs (`crds/SOURCES.md`). */
export const CRDS_DIR = process.env.MERLAI_CRDS_DIR ?? path.join(PROJECT_ROOT, 'crds');

/** The project's copies of upstream material for tests that run the real thing (`third_party/SOURCES.md`). */
export const THIRD_PARTY_DIR = path.join(PROJECT_ROOT, 'third_party');

/**
 * The workplace's `../shared/` folder beside the project (`MERLAI_SHARED_DIR` to point elsewhere), or
 * undefined. It may only add optional checks: a test that uses it skips with a note when it is
 * absent (see {@link requireShared}). CI clones the repository into a temporary folder with
 * nothing beside it, so even under `CI=true` its absence is a note, not a failure.
 */
export const SHARED_DIR: string | undefined = [
  process.env.MERLAI_SHARED_DIR,
  path.resolve(PROJECT_ROOT, '../shared'),
]
  .filter((c): c is string => Boolean(c))
  .find((c) => existsSync(path.join(c, 'seed')));

/** `../shared` for an optional check: its path, or undefined after a note saying the check was skipped. */
export function requireShared(what: string): string | undefined {
  if (SHARED_DIR) return SHARED_DIR;
  console.warn(`skipped: ${what}: no ../shared folder beside the project (set MERLAI_SHARED_DIR)`);
  return undefined;
}
