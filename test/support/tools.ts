import { spawnSync } from 'node:child_process';
import { IN_CI } from './ci';

/**
 * Whether a command-line tool the tests drive is installed. Locally a missing tool skips its
 * tests (with a note); under CI (`CI` set) it fails loudly, so CI never passes by skipping.
 */
export function haveTool(command: string, args: string[], install: string): boolean {
  const probe = spawnSync(command, args, { encoding: 'utf8' });
  if (probe.status === 0) return true;
  const message = `${command} is not available (${probe.error?.message ?? probe.stderr.trim()}); install it: ${install}`;
  if (IN_CI) throw new Error(`CI requires ${message}`);
  console.warn(`Skipping tests that need ${message}`);
  return false;
}
