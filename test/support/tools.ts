import { spawnSync } from 'node:child_process';

/**
 * Whether an external tool is on PATH. Under CI a missing tool fails the run (CI installs them all
 * through `.ci/run`); on a developer machine the tests that need it are skipped with a note.
 */
export function haveTool(bin: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
  if (!found && process.env.CI) throw new Error(`${bin} is missing under CI: .ci/run must install it`);
  if (!found) console.warn(`${bin} not found: skipping the tests that need it (CI installs it)`);
  return found;
}
