/**
 * The linter gate of the conformance step (scripts/conformance/lint.mjs), run as run.sh runs it on
 * hand-made raw directories: a required linter that did not run fails the gate, an optional one is
 * a note, and a finding not exempted fails. The step itself (which builds Kubernetes) is not run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './support/shared';

const LINT = path.join(PROJECT_ROOT, 'scripts', 'conformance', 'lint.mjs');
const LEVEL_FILE = path.join(PROJECT_ROOT, 'conformance', 'fixtures', 'hardened.k8s.yaml');
const LEVEL = 'hardened';

/** What one linter left in the raw directory: its state and its JSON output (written when it ran). */
type Raw = Record<string, { state: 'ok' | 'unavailable' | 'error'; json?: unknown } | undefined>;

/** kube-score's and checkov's JSON when they find nothing (their documented output shapes). */
const CLEAN = {
  'kube-score': [],
  checkov: { check_type: 'kubernetes', results: { failed_checks: [] } },
};

function lint(raw: Raw, require?: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'merlai-lint-'));
  try {
    for (const [tool, r] of Object.entries(raw)) {
      if (!r) continue;
      writeFileSync(
        path.join(dir, `${tool}__${LEVEL}.status`),
        `${r.state}\n${r.state === 'ok' ? '' : 'detail'}\n`,
      );
      if (r.json !== undefined)
        writeFileSync(path.join(dir, `${tool}__${LEVEL}.json`), JSON.stringify(r.json));
    }
    const args = ['--raw', dir, '--exemptions', path.join(dir, 'none.yaml')];
    if (require !== undefined) args.push('--require', require);
    const run = spawnSync(process.execPath, [LINT, ...args, LEVEL_FILE], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    return { status: run.status, out: run.stdout + run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const GATE = 'kube-score,checkov'; // what run.sh requires under CI
const bothRan: Raw = {
  'kube-score': { state: 'ok', json: CLEAN['kube-score'] },
  checkov: { state: 'ok', json: CLEAN.checkov },
};

describe('conformance linter gate (lint.mjs)', () => {
  test('kube-score and checkov ran clean, kube-linter and Polaris absent: PASS, the absent ones are optional notes', () => {
    const { status, out } = lint(bothRan, GATE);
    expect(out).toContain('conformance linters: PASS (ran: kube-score, checkov;');
    expect(out).toMatch(/^NOT RUN kube-linter \(optional\): not run$/m);
    expect(out).toMatch(/^NOT RUN polaris \(optional\): not run$/m);
    expect(status).toBe(0);
  });

  test('no linter ran at all: the required ones fail the gate (before, this passed)', () => {
    const { status, out } = lint({}, GATE);
    expect(out).toContain('required linter(s) not run: kube-score, checkov');
    expect(status).toBe(1);
  });

  test('checkov could not be installed: FAIL, its cell says NOT RUN (required)', () => {
    const { status, out } = lint({ ...bothRan, checkov: { state: 'unavailable' } }, GATE);
    expect(out).toContain(
      'conformance linters: FAIL (0 finding(s) not exempted, 0 tool error(s), required linter(s) not run: checkov)',
    );
    expect(out).toMatch(/^checkov +NOT RUN \(required\)$/m);
    expect(status).toBe(1);
  });

  test('a required linter that ran but wrote no JSON is an error, not a pass', () => {
    const { status, out } = lint({ ...bothRan, 'kube-score': { state: 'error' } }, GATE);
    expect(out).toContain('1 tool error(s)');
    expect(status).toBe(1);
  });

  test('a kube-score finding not exempted fails the gate', () => {
    const finding = [
      {
        type_meta: { kind: 'Deployment' },
        object_meta: { name: 'merlai-api' },
        checks: [{ check: { id: 'container-security-context-privileged', name: 'Privileged' }, grade: 1 }],
      },
    ];
    const { status, out } = lint({ ...bothRan, 'kube-score': { state: 'ok', json: finding } }, GATE);
    expect(out).toMatch(
      /^FINDING hardened {2}kube-score {2}container-security-context-privileged {2}Deployment\/merlai-api$/m,
    );
    expect(status).toBe(1);
  });

  test('outside CI (no --require) a linter that did not run is a note and the gate judges the others', () => {
    const { status, out } = lint({ 'kube-score': bothRan['kube-score'] });
    expect(out).toMatch(/^NOT RUN checkov \(optional\): not run$/m);
    expect(out).toContain('conformance linters: PASS (ran: kube-score;');
    expect(status).toBe(0);
  });

  test('--require with a linter the gate does not know is a usage error', () => {
    const { status, out } = lint(bothRan, 'kube-scor');
    expect(out).toContain('--require names unknown linter(s) kube-scor');
    expect(status).toBe(2);
  });
});

describe('run.sh requires the linters under CI, through scripts/ci/in-ci.sh', () => {
  /** The lines of run.sh that pick the required linters, run with CI as given. */
  function requiredUnder(env: Record<string, string>): string {
    const script = `
      set -euo pipefail
      here=${JSON.stringify(path.join(PROJECT_ROOT, 'scripts', 'conformance'))}
      source "$here/../ci/in-ci.sh"
      eval "$(sed -n '/^required_linters=""$/,/^fi$/p' "$here/run.sh")"
      echo "required=$required_linters"`;
    const run = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    });
    if (run.status !== 0) throw new Error(run.stderr);
    return run.stdout.trim();
  }

  test.each([
    [{ CI: 'true' }, 'required=kube-score,checkov'],
    [{ CI: '1' }, 'required=kube-score,checkov'],
    [{ CI: 'false' }, 'required='],
    [{}, 'required='],
    [{ MERLAI_CONFORMANCE_REQUIRE_ALL_TOOLS: '1' }, 'required=kube-linter,kube-score,polaris,checkov'],
  ])('%j: %s', (env, expected) => {
    expect(requiredUnder(env)).toBe(expected);
  });
});
