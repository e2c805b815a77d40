import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { IN_CI } from './support/ci';
import { projectShellFiles, scanShell } from './support/shell-commands';

/**
 * Issue 22: every command the project's scripts and tests run must come from a Debian package of
 * `.ci/packages` (the one list `.ci/run` installs), from Debian's base system, or from the
 * machine's own toolchains. The scan reads the scripts; the list is checked against dpkg itself
 * wherever the packages are installed (always under CI), so a wrong claim cannot pass.
 */
const ROOT = path.resolve(__dirname, '..');

interface ListEntry {
  pkg: string;
  provides: string[];
}
function readList(text: string): ListEntry[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => {
      const [pkg, ...provides] = l.split(/\s+/);
      return { pkg: pkg as string, provides };
    });
}
const LIST = readList(readFileSync(path.join(ROOT, '.ci/packages'), 'utf8'));

/** Debian 12's base system (Essential: yes or Priority required/important): on every machine. */
const BASE = new Set(
  'bash cat chmod comm cp cut date diff dirname basename du head id ln ls mkdir mktemp mv rm seq sha256sum sleep sort tail tee touch tr wc timeout sed grep awk find tar findmnt flock nsenter unshare umount sysctl dpkg dpkg-query apt-get apt-cache readlink env gzip xargs'.split(
    ' ',
  ),
);
/** The machine's toolchains, installed before any session (the `env` skill's machine page). */
const MACHINE = new Set(['node', 'npm', 'npx', 'go', 'python3']);
/** Built or installed by the project's own scripts, never from Debian (the script that does it). */
const SELF_INSTALLED: Record<string, string> = {
  'kube-apiserver': 'scripts/conformance/build-k8s.sh',
  kubectl: 'scripts/conformance/build-k8s.sh',
  moto_server: 'scripts/ci/backup-drill.sh',
};
/** Probed as alternatives by the container-runtime wrapper; CI uses podman, the others are optional. */
const OPTIONAL = new Set(['docker', 'nerdctl']);
/** Commands bats defines inside a .bats file. */
const BATS = new Set(['skip', 'run', 'load', 'bats_require_minimum_version']);

function sourceFiles(dir: string, pattern: RegExp, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(p).isDirectory()) sourceFiles(p, pattern, out);
    else if (pattern.test(name)) out.push(p);
  }
  return out;
}

/** Commands the TypeScript tests and scripts start: haveTool/spawnSync/execFileSync literals and absolute tool paths. */
function nodeCommands(): Map<string, string> {
  const found = new Map<string, string>();
  const files = [
    ...sourceFiles(path.join(ROOT, 'test'), /\.(ts|js|mjs)$/),
    ...sourceFiles(path.join(ROOT, 'scripts'), /\.(ts|js|mjs)$/),
  ];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const rel = path.relative(ROOT, file);
    for (const m of text.matchAll(/\b(?:haveTool|spawnSync|execFileSync|spawn|execFile)\(\s*'([^'/]+)'/g))
      found.set(m[1] as string, rel);
    for (const m of text.matchAll(/PG_BIN,\s*'([a-z_]+)'/g))
      found.set(`/usr/lib/postgresql/15/bin/${m[1]}`, rel);
    for (const m of text.matchAll(/'(\/usr\/(?:s?bin|lib\/cni)\/[A-Za-z0-9_.-]+)'/g))
      found.set(m[1] as string, rel);
  }
  return found;
}

const builtins = new Set(
  spawnSync('bash', ['-c', 'compgen -b; compgen -k'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean),
);

function required(): Map<string, string> {
  const scan = scanShell(projectShellFiles(ROOT), ROOT);
  const out = new Map<string, string>();
  for (const [cmd, where] of scan.commands) {
    if (builtins.has(cmd) || scan.functions.has(cmd)) continue;
    if (BATS.has(cmd) && where.every((w) => w.includes('.bats'))) continue;
    out.set(cmd, where[0] as string);
  }
  for (const m of projectShellFiles(ROOT).flatMap((f) => [
    ...readFileSync(f, 'utf8').matchAll(/(\/usr\/lib\/cni\/[a-z]+)/g),
  ]))
    out.set(m[1] as string, 'a script');
  for (const [cmd, where] of nodeCommands()) if (cmd !== '/usr/bin/env') out.set(cmd, where);
  return out;
}

function providerOf(cmd: string): string | undefined {
  if (BASE.has(cmd)) return '(base system)';
  if (MACHINE.has(cmd)) return '(machine)';
  if (cmd in SELF_INSTALLED) return `(${SELF_INSTALLED[cmd]})`;
  if (OPTIONAL.has(cmd)) return '(optional)';
  return LIST.find((e) => e.provides.includes(cmd))?.pkg;
}

describe('.ci/packages: the Debian packages CI installs', () => {
  const needs = required();

  test('the scan finds the tools the scripts run (it reads the scripts, not the list)', () => {
    for (const cmd of [
      'containerd',
      'etcd',
      'jq',
      'podman',
      'mmdebstrap',
      'promtool',
      'ip',
      'openssl',
      'iptables',
      '/usr/lib/cni/bridge',
    ])
      expect(needs.has(cmd)).toBe(true);
  });

  test('every command the scripts and tests run is provided by a listed package, the base system or the machine', () => {
    const orphans = [...needs]
      .filter(([cmd]) => providerOf(cmd) === undefined)
      .map(([cmd, where]) => `${cmd} (run at ${where})`);
    expect(orphans).toEqual([]);
  });

  test('the tools the scripts build or install themselves are built or installed there', () => {
    for (const [cmd, script] of Object.entries(SELF_INSTALLED))
      expect({ cmd, mentioned: readFileSync(path.join(ROOT, script), 'utf8').includes(cmd) }).toEqual({
        cmd,
        mentioned: true,
      });
  });

  test('.ci/run installs the list through scripts/ci/apt-install.sh and names no package of its own', () => {
    const run = readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    expect(run).toMatch(/^step "Debian packages" bash scripts\/ci\/apt-install\.sh$/m);
    expect(run).not.toMatch(/apt-get install/);
    for (const f of projectShellFiles(ROOT).filter((f) => !f.endsWith('apt-install.sh'))) {
      const code = readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => !/^\s*#/.test(l) && !/echo|die|fail|log|skip|"[^"]*apt-get install/.test(l));
      expect({
        file: path.relative(ROOT, f),
        installs: code.filter((l) => /apt-get install/.test(l)),
      }).toEqual({ file: path.relative(ROOT, f), installs: [] });
    }
  });

  test('every listed package exists in Debian and is named once', () => {
    const names = LIST.map((e) => e.pkg);
    expect(new Set(names).size).toBe(names.length);
    const policy = spawnSync('apt-cache', ['policy', ...names], { encoding: 'utf8' });
    if (policy.status !== 0) {
      if (IN_CI) throw new Error(`apt-cache policy failed: ${policy.stderr}`);
      return;
    }
    const unknown = names.filter(
      (n) =>
        !new RegExp(
          `^${n.replace(/[+.]/g, '\\$&')}:\\n\\s+Installed: [^\\n]+\\n\\s+Candidate: (?!\\(none\\))`,
          'm',
        ).test(policy.stdout),
    );
    expect(unknown).toEqual([]);
  });

  // dpkg is the real implementation: it says which package owns a command's file. Where the
  // packages are not installed (a developer machine before .ci/run) this is skipped with a note;
  // CI always has them.
  const installed = (pkg: string) =>
    spawnSync('dpkg-query', ['-W', `-f=\${Status}`, pkg], { encoding: 'utf8' }).stdout.includes(
      'install ok installed',
    );
  const allInstalled = LIST.every((e) => installed(e.pkg));
  if (!allInstalled && IN_CI)
    throw new Error('CI requires every package of .ci/packages installed (bash scripts/ci/apt-install.sh)');
  if (!allInstalled)
    console.warn(
      'ci-packages: packages of .ci/packages are not all installed; the dpkg ownership checks are skipped (run bash scripts/ci/apt-install.sh)',
    );
  (allInstalled ? test : test.skip)(
    'dpkg agrees: each listed command belongs to its package, each base command to the base system',
    () => {
      const wrong: string[] = [];
      // One dpkg call for every file: each command's path, its resolved path, and both without
      // /usr (Debian 12 merged /bin into /usr/bin; dpkg records some files under /bin).
      const all = [...LIST.flatMap((e) => e.provides), ...BASE];
      const located = spawnSync(
        'bash',
        [
          '-c',
          'for c in "$@"; do f=$(type -P "$c" || echo "$c"); echo "$c $f $(readlink -f "$f")"; done',
          '_',
          ...all,
        ],
        { encoding: 'utf8' },
      ).stdout;
      const candidates = new Map<string, string[]>();
      for (const line of located.trim().split('\n')) {
        const [cmd, file = '', real = ''] = line.split(' ');
        const files = [file, real, file.replace(/^\/usr/, ''), real.replace(/^\/usr/, '')];
        candidates.set(cmd as string, [...new Set(files.filter((f) => f.startsWith('/')))]);
      }
      const owners = new Map<string, string>();
      const search = spawnSync('dpkg', ['-S', ...new Set([...candidates.values()].flat())], {
        encoding: 'utf8',
      });
      for (const line of search.stdout.split('\n')) {
        const m = /^(.+?): (\/.*)$/.exec(line);
        if (m) owners.set(m[2] as string, ((m[1] as string).split(',')[0] as string).split(':')[0] as string);
      }
      const owner = (cmd: string) =>
        (candidates.get(cmd) ?? []).map((f) => owners.get(f)).find((p): p is string => p !== undefined);
      for (const e of LIST)
        for (const cmd of e.provides)
          if (owner(cmd) !== e.pkg)
            wrong.push(`${cmd}: listed under ${e.pkg}, dpkg says ${owner(cmd) ?? 'no package'}`);
      for (const cmd of BASE) {
        const pkg = owner(cmd);
        if (!pkg) {
          wrong.push(`${cmd}: not installed, listed as base`);
          continue;
        }
        const meta = spawnSync('dpkg-query', ['-W', `-f=\${Essential} \${Priority}`, pkg], {
          encoding: 'utf8',
        }).stdout;
        if (!/^yes|required|important/.test(meta))
          wrong.push(`${cmd}: from ${pkg} (${meta}), not the base system: list it in .ci/packages`);
      }
      expect(wrong).toEqual([]);
    },
  );
});
