/**
 * Every TypeScript example of README.md and docs/*.md (docs/API.md excepted: jsii-docgen writes it)
 * compiles against the current library and, unless fenced as ```ts fragment, synthesizes objects.
 *
 * Each ```ts / ```typescript block is written to a temporary folder inside the project, with
 * `from 'merlai-cdk8s'` pointed at lib/index and `merlai-cdk8s/imports/…` at imports/…; one `tsc`
 * run type-checks them all (TypeScript 7 has no programmatic API) in the background while each
 * complete example runs with `CDK8S_OUTDIR` set to a folder of its own, where its `app.synth()`
 * must write at least one object. Errors name the Markdown file and line. A ```ts fragment block must still type-check on its own (its imports included) but is not
 * run. Two broken examples go through the same steps and must fail: one misspelt prop (tsc) and a
 * Level 3 chart without its object store (synth).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = path.resolve(__dirname, '..');

/** The Markdown files whose examples are checked. */
const DOC_FILES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md') && f !== 'API.md')
    .sort()
    .map((f) => `docs/${f}`),
];

interface DocExample {
  /** Markdown file, relative to the project root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** Type-checked only, not run (```ts fragment). */
  readonly fragment: boolean;
  readonly code: string;
}

/** The ```ts / ```typescript blocks of a Markdown text, indentation removed. */
function extractExamples(file: string, markdown: string): DocExample[] {
  const lines = markdown.split('\n');
  const examples: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang, info] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end].startsWith(`${indent}${fence}`)) end++;
    if (lang === 'ts' || lang === 'typescript') {
      const code = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
        .join('\n');
      examples.push({ file, line: i + 1, fragment: /\bfragment\b/.test(info), code });
    }
    i = end;
  }
  return examples;
}

/** The example with the package's import paths pointed at this checkout (one folder below the root). */
function rewriteImports(code: string): string {
  return code
    .replace(/(from\s+['"])merlai-cdk8s\/imports\//g, '$1../imports/')
    .replace(/(from\s+['"])merlai-cdk8s(['"])/g, '$1../lib$2');
}

/** A broken example the pipeline must reject, and how. */
interface Fixture extends DocExample {
  readonly failsWith: RegExp;
}

const BROKEN_TYPE: Fixture = {
  file: 'fixture: misspelt prop',
  line: 0,
  fragment: false,
  failsWith: /error TS\d+: .*'port'/,
  code: [
    "import { App } from 'cdk8s';",
    "import { Level1DevChart } from 'merlai-cdk8s';",
    'const app = new App();',
    "new Level1DevChart(app, 'dev', { security: { kubernetesApiServer: { cidr: '10.0.0.10/32', port: 6443 } } });",
    'app.synth();',
  ].join('\n'),
};

const BROKEN_SYNTH: Fixture = {
  file: 'fixture: Level 3 without its object store',
  line: 0,
  fragment: false,
  failsWith: /'objectStore' is undefined/,
  code: [
    "import { App } from 'cdk8s';",
    "import { Level3ProductionChart } from 'merlai-cdk8s';",
    'const app = new App();',
    "new Level3ProductionChart(app, 'prod', {",
    "  api: { storageClassName: 'rwx', ingress: { host: 'merlai.example.com', tlsSecretName: 'merlai-tls' } },",
    "  security: { kubernetesApiServer: { cidr: '10.0.0.0/24' } },",
    '});',
    'app.synth();',
  ].join('\n'),
};

const EXAMPLES = DOC_FILES.flatMap((f) => extractExamples(f, readFileSync(path.join(ROOT, f), 'utf8')));
const ALL: DocExample[] = [...EXAMPLES, BROKEN_TYPE, BROKEN_SYNTH];

let tmp: string;
/** Example → its file in `tmp`. */
const fileOf = new Map<DocExample, string>();
/**
 * tsc's errors per example file. tsc runs in the background while the examples synthesize (it is
 * a native program; jest waits for it only in the type-check tests, which come last).
 */
let typeCheck: Promise<Map<string, string[]>>;

beforeAll(() => {
  tmp = mkdtempSync(path.join(ROOT, '.doc-examples-'));
  ALL.forEach((example, i) => {
    const name = `example${String(i).padStart(3, '0')}.ts`;
    writeFileSync(path.join(tmp, name), `${rewriteImports(example.code)}\nexport {};\n`);
    fileOf.set(example, path.join(tmp, name));
  });
  writeFileSync(
    path.join(tmp, 'tsconfig.json'),
    JSON.stringify({
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, types: ['node'], noUnusedLocals: false, noUnusedParameters: false },
      include: ['*.ts'],
    }),
  );
  typeCheck = new Promise((resolve, reject) => {
    const tsc = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tmp, '--pretty', 'false'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    tsc.stdout.on('data', (d) => {
      output += d;
    });
    tsc.stderr.on('data', (d) => {
      output += d;
    });
    tsc.on('error', reject);
    tsc.on('close', () => {
      const errors = new Map<string, string[]>();
      for (const m of output.matchAll(/^(?:.*[/\\])?(example\d+\.ts)\((\d+),(\d+)\): (error .*)$/gm)) {
        errors.set(m[1], [...(errors.get(m[1]) ?? []), `${m[2]}:${m[3]} ${m[4]}`]);
      }
      // Errors outside the examples (a tsconfig problem, lib/ itself) must not go unnoticed.
      const stray = output.split('\n').filter((l) => /error TS/.test(l) && !/example\d+\.ts\(/.test(l));
      if (stray.length > 0) reject(new Error(`tsc failed outside the examples:\n${stray.join('\n')}`));
      else resolve(errors);
    });
  });
  // Reported by the type-check tests; keep an early failure from being an unhandled rejection.
  typeCheck.catch(() => undefined);
});

afterAll(async () => {
  await typeCheck?.catch(() => undefined);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** tsc's errors of one example, at the Markdown's line numbers. */
async function typeErrors(example: DocExample): Promise<string[]> {
  const errors = await typeCheck;
  return (errors.get(path.basename(fileOf.get(example)!)) ?? []).map((e) => {
    const [pos, ...rest] = e.split(' ');
    const [line, col] = pos.split(':').map(Number);
    return `${example.file}:${example.line + line}:${col} ${rest.join(' ')}`;
  });
}

/** Runs a complete example with its own output folder; returns the objects it wrote. */
function synthesize(example: DocExample): unknown[] {
  const outdir = path.join(tmp, 'out', path.basename(fileOf.get(example)!, '.ts'));
  mkdirSync(outdir, { recursive: true });
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir;
  try {
    require(fileOf.get(example)!);
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR;
    else process.env.CDK8S_OUTDIR = previous;
  }
  return readdirSync(outdir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(path.join(outdir, f), 'utf8')).map((d) => d.toJS()))
    .filter((o) => o !== null);
}

test('the documentation has TypeScript examples, in the README and in docs/', () => {
  expect(EXAMPLES.some((e) => e.file === 'README.md' && !e.fragment)).toBe(true);
  expect(EXAMPLES.some((e) => e.file.startsWith('docs/'))).toBe(true);
});

const NAMED = EXAMPLES.map((e) => [`${e.file}:${e.line}${e.fragment ? ' (fragment)' : ''}`, e] as const);

describe.each(NAMED.filter(([, e]) => !e.fragment))('example %s', (_name, example) => {
  test('synthesizes objects', () => {
    expect(synthesize(example).length).toBeGreaterThan(0);
  });
});

describe('a broken example fails', () => {
  test('a Level 3 chart without its object store fails the synth', () => {
    expect(() => synthesize(BROKEN_SYNTH)).toThrow(BROKEN_SYNTH.failsWith);
  });
  test('a misspelt prop fails the type-check', async () => {
    expect((await typeErrors(BROKEN_TYPE)).join('\n')).toMatch(BROKEN_TYPE.failsWith);
  });
  test('the Level 3 fixture itself type-checks', async () => {
    expect(await typeErrors(BROKEN_SYNTH)).toEqual([]);
  });
});

describe.each(NAMED)('example %s', (_name, example) => {
  test('type-checks against the library', async () => {
    expect(await typeErrors(example)).toEqual([]);
  }, 60_000);
});
