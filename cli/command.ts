import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LEVEL_PROFILES } from '../lib/core/levels';
import {
  ConfigError,
  DEFAULT_CONFIG,
  environmentLevel,
  findConfigFile,
  loadConfig,
  type MerlaiConfig,
} from './config';
import { differs, diffOutputs, formatJson, formatMarkdown, formatText } from './diff';
import { dotHash, picture, toDot, toMermaid } from './graph';
import { type KubeObject, parseObjects, readCharts } from './objects';
import { formatSummary, levelOf, summarize } from './summary';

/**
 * The synth side (the constructs and cdk8s-plus' bindings), loaded only by the commands that
 * synthesize: `summary --from` and `graph --from` start in a fraction of the time.
 */
function synthModule(): typeof import('./app') {
  return require('./app');
}

/** Where the command writes; tests pass their own. */
export interface Io {
  readonly cwd: string;
  out(text: string): void;
  err(text: string): void;
}

const PROCESS_IO: Io = {
  cwd: process.cwd(),
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** A mistake on the command line or in the input: reported in one message, exit code 2. */
class UsageError extends Error {}

const CONFIG_HELP = `  --config FILE    configuration file (default: $MERLAI_CONFIG, else ./merlai.config.yaml when it
                   exists, else today's three levels)`;

const HELP: Record<string, string> = {
  main: `Usage: merlai-cdk8s <command> [options]

Commands:
  synth     synthesize every environment into an output folder (like npm run synth)
  diff      semantic, per-object diff of a fresh synth against dist/, another folder or a git ref
  summary   per level: objects, replicas, CPU and memory at min and max scale, availability, backups, flows
  graph     a picture of a level: workloads, Services, Ingress, datastores and the allowed flows

Run "merlai-cdk8s <command> --help" for a command's options. Exit codes: 0 fine, 1 diff found
differences, 2 bad usage, configuration or synth error.
`,
  synth: `Usage: merlai-cdk8s synth [--config FILE] [--out DIR]

Synthesizes one chart per environment into DIR (default dist/): <chart id>.k8s.yaml, plus the
Compose file of each Level 1 environment. A failed synth leaves the previous DIR untouched.
${CONFIG_HELP}
  --out DIR        output folder (default: dist)
`,
  diff: `Usage: merlai-cdk8s diff [--base DIR|GIT_REF] [--level N] [--format text|markdown|json] [--config FILE]

Synthesizes afresh (in a temporary folder) and compares object by object with the base: objects
added, removed and changed, each change as a field path with old -> new; list items are matched
by name, not position. Changes to fields Kubernetes cannot change in place (selectors, claim
templates, a Service's clusterIP, a Job's template, a claim's storage class or access modes,
a smaller volume) are flagged as needing a migration. Exit code 1 when anything differs.
  --base DIR|REF   an output folder, or a git ref whose dist/ is compared (default: ./dist)
  --level N        only charts of level N (1, 2 or 3)
  --format F       text (default), markdown (for a pull-request comment) or json
${CONFIG_HELP}
`,
  summary: `Usage: merlai-cdk8s summary [--level N] [--from DIR] [--format text|json] [--config FILE]

Per chart: objects by kind; replicas or autoscaler bounds; total CPU and memory requests and
limits at minimum and maximum scale (every container, datastores included); availability target
and monthly error budget; backup schedule and recovery point; the flows the network policies allow.
  --level N        only charts of level N (1, 2 or 3)
  --from DIR       read an output folder instead of synthesizing
  --format F       text (default) or json
${CONFIG_HELP}
`,
  graph: `Usage: merlai-cdk8s graph [--level N | --chart ID] --out FILE [--from DIR] [--config FILE]

Draws one chart: workloads, Services, Ingress, datastores, and the connections the network
policies allow. FILE.svg is drawn with Graphviz dot; without dot, Mermaid text is written to
FILE.mmd instead. FILE.dot writes the DOT source, FILE.mmd the Mermaid text. $MERLAI_DOT names
another dot program.
  --level N        the chart of level N (when only one chart has that level)
  --chart ID       the chart with that id (file stem), e.g. level3-production
  --out FILE       where to write (required)
  --from DIR       read an output folder instead of synthesizing
${CONFIG_HELP}
`,
};

function configOf(explicit: string | undefined, io: Io): { config: MerlaiConfig; file?: string } {
  const file = findConfigFile(explicit, io.cwd);
  return file ? { config: loadConfig(file), file } : { config: DEFAULT_CONFIG };
}

function parseLevel(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!['1', '2', '3'].includes(value)) throw new UsageError(`--level is '${value}'; expected 1, 2 or 3`);
  return Number(value);
}

function onlyLevel(charts: Map<string, KubeObject[]>, level: number | undefined): Map<string, KubeObject[]> {
  if (level === undefined) return charts;
  return new Map([...charts].filter(([, objects]) => levelOf(objects)?.number === level));
}

/** The charts of a fresh synth (only the environments of `level`, when given), or of `--from DIR`. */
function charts(
  values: { config?: string; from?: string },
  io: Io,
  level?: number,
): Map<string, KubeObject[]> {
  if (values.from) {
    const dir = path.resolve(io.cwd, values.from);
    if (!existsSync(dir)) throw new UsageError(`--from ${values.from}: no such folder`);
    return onlyLevel(readCharts(dir), level);
  }
  const { config, file } = configOf(values.config, io);
  const environments = Object.entries(config.environments).filter(
    ([, env]) => level === undefined || LEVEL_PROFILES[environmentLevel(env)].number === level,
  );
  return synthModule().synthToObjects({ environments: Object.fromEntries(environments) }, file);
}

/** The base of a diff: an output folder, or the dist/ folder of a git ref. */
function baseCharts(base: string, io: Io): Map<string, KubeObject[]> {
  const dir = path.resolve(io.cwd, base);
  if (existsSync(dir) && statSync(dir).isDirectory()) return readCharts(dir);
  const git = (args: string[]) =>
    spawnSync('git', args, { cwd: io.cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  const list = git(['ls-tree', '--name-only', `${base}:./dist`]);
  if (list.status !== 0) {
    throw new UsageError(
      `--base ${base}: neither a folder nor a git ref with a dist/ folder (${list.stderr.trim() || list.error?.message})`,
    );
  }
  const out = new Map<string, KubeObject[]>();
  for (const file of list.stdout
    .split('\n')
    .filter((f) => f.endsWith('.k8s.yaml'))
    .sort()) {
    const shown = git(['show', `${base}:./dist/${file}`]);
    if (shown.status !== 0)
      throw new UsageError(`--base ${base}: cannot read dist/${file}: ${shown.stderr.trim()}`);
    out.set(file.slice(0, -'.k8s.yaml'.length), parseObjects(shown.stdout));
  }
  return out;
}

function synthVerb(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return help('synth', io);
  const { config, file } = configOf(values.config, io);
  const outdir = path.resolve(io.cwd, values.out ?? 'dist');
  try {
    const { synthesize, synthAll, buildAppsFromConfig } = synthModule();
    synthesize(outdir, true, (dir) => synthAll(buildAppsFromConfig(dir, config, file)));
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
    throw new ConfigError(file ?? 'synth', [
      `synth failed, ${path.relative(io.cwd, outdir) || '.'}/ left as it was`,
      ...problems,
    ]);
  }
  const ids = Object.keys(config.environments);
  io.out(
    `synthesized ${ids.length} chart(s) into ${path.relative(io.cwd, outdir) || '.'}/: ${ids.join(', ')}${file ? ` (from ${path.relative(io.cwd, file)})` : ''}\n`,
  );
  return 0;
}

function diffVerb(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    options: {
      base: { type: 'string' },
      level: { type: 'string' },
      format: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return help('diff', io);
  const format = values.format ?? 'text';
  if (!['text', 'markdown', 'json'].includes(format)) {
    throw new UsageError(`--format is '${format}'; expected text, markdown or json`);
  }
  const level = parseLevel(values.level);
  const base = onlyLevel(baseCharts(values.base ?? 'dist', io), level);
  const head = charts({ config: values.config }, io, level);
  const d = diffOutputs(base, head);
  io.out(format === 'json' ? formatJson(d) : format === 'markdown' ? formatMarkdown(d) : formatText(d));
  return differs(d) ? 1 : 0;
}

function summaryVerb(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    options: {
      level: { type: 'string' },
      from: { type: 'string' },
      format: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return help('summary', io);
  const format = values.format ?? 'text';
  if (!['text', 'json'].includes(format))
    throw new UsageError(`--format is '${format}'; expected text or json`);
  const selected = charts(values, io, parseLevel(values.level));
  if (selected.size === 0) throw new UsageError(`no chart of level ${values.level}`);
  const summaries = [...selected].map(([chart, objects]) => summarize(chart, objects));
  io.out(
    format === 'json' ? `${JSON.stringify(summaries, null, 2)}\n` : summaries.map(formatSummary).join('\n'),
  );
  return 0;
}

/** The Graphviz program: `dot` on the PATH, or `$MERLAI_DOT`. */
function dotCommand(): string {
  return process.env.MERLAI_DOT ?? 'dot';
}

/** Whether Graphviz `dot` runs here. */
export function haveDot(): boolean {
  return spawnSync(dotCommand(), ['-V'], { encoding: 'utf8' }).status === 0;
}

function graphVerb(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    options: {
      level: { type: 'string' },
      chart: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return help('graph', io);
  if (!values.out) throw new UsageError('graph needs --out FILE (.svg, .dot or .mmd)');
  const all = charts(values, io, parseLevel(values.level));
  let selected = all;
  if (values.chart) selected = new Map([...selected].filter(([id]) => id === values.chart));
  if (selected.size !== 1) {
    throw new UsageError(
      `graph draws one chart; ${selected.size === 0 ? 'none' : selected.size} matched. Charts: ${[...all.keys()].join(', ')} (choose with --chart ID or --level N)`,
    );
  }
  const [[chart, objects]] = [...selected];
  const p = picture(chart, objects);
  const out = path.resolve(io.cwd, values.out);
  mkdirSync(path.dirname(out), { recursive: true });
  const ext = path.extname(out);
  if (ext === '.mmd' || ext === '.md') {
    writeFileSync(out, ext === '.md' ? `\`\`\`mermaid\n${toMermaid(p)}\`\`\`\n` : toMermaid(p));
  } else if (ext === '.dot') {
    writeFileSync(out, toDot(p));
  } else if (ext === '.svg') {
    if (!haveDot()) {
      const mmd = `${out.slice(0, -ext.length)}.mmd`;
      writeFileSync(mmd, toMermaid(p));
      io.err(
        `Graphviz dot is not installed (Debian: apt-get install graphviz): wrote Mermaid text to ${path.relative(io.cwd, mmd)}\n`,
      );
      return 0;
    }
    const dot = toDot(p);
    const drawn = spawnSync(dotCommand(), ['-Tsvg'], { input: dot, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (drawn.status !== 0) throw new Error(`dot failed: ${drawn.stderr}`);
    // The source's hash, so a test can tell a stale picture without running Graphviz.
    writeFileSync(out, drawn.stdout.replace(/(<svg\b)/, `<!-- merlai-cdk8s graph ${dotHash(dot)} -->\n$1`));
  } else {
    throw new UsageError(`--out ${values.out}: expected a .svg, .dot, .mmd or .md file`);
  }
  io.out(`drew ${chart} into ${path.relative(io.cwd, out)}\n`);
  return 0;
}

function help(verb: string, io: Io): number {
  io.out(HELP[verb]);
  return 0;
}

const VERBS: Record<string, (args: string[], io: Io) => number> = {
  synth: synthVerb,
  diff: diffVerb,
  summary: summaryVerb,
  graph: graphVerb,
};

/** Runs the command; returns the exit code. */
export function run(argv: string[], io: Io = PROCESS_IO): number {
  const [verb, ...args] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    io.out(HELP.main);
    return verb === undefined ? 2 : 0;
  }
  const command = VERBS[verb];
  if (!command) {
    io.err(`merlai-cdk8s: unknown command '${verb}'; expected one of: ${Object.keys(VERBS).join(', ')}\n`);
    return 2;
  }
  try {
    return command(args, io);
  } catch (error) {
    const e = error as Error & { code?: string };
    const known = e instanceof ConfigError || e instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS');
    io.err(`merlai-cdk8s ${verb}: ${known ? e.message : (e.stack ?? e.message)}\n`);
    if (e.code?.startsWith('ERR_PARSE_ARGS')) io.err(`Run "merlai-cdk8s ${verb} --help" for its options.\n`);
    return 2;
  }
}
