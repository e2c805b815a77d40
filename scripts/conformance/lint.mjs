#!/usr/bin/env node
// Normalizes the raw output of kube-linter, kube-score, Polaris and checkov into findings
// (tool, check, object Kind/name, level), applies conformance/exemptions.yaml, prints the
// findings that are not exempted and a summary table, and exits 1 when any remains.
//
// Usage: node lint.mjs --raw DIR --exemptions FILE [--markdown OUT.md] [--require TOOL,...] LEVEL_FILE...
// DIR holds, per tool and level, <tool>__<level>.json (the tool's JSON output) and
// <tool>__<level>.status: a first line `ok`, `unavailable` or `error`, then details.
// --require names the gate's linters: each must have run (`ok`) on every level, or the step fails.
// A linter not required that did not run is a note (run.sh requires kube-score and checkov under
// CI; kube-linter and Polaris are optional extras, refused by this environment's Go module proxy).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseAllDocuments, parse as parseYaml } from 'yaml';

export const TOOLS = ['kube-linter', 'kube-score', 'polaris', 'checkov'];

export function levelOf(file) {
  return basename(file).replace(/\.k8s\.ya?ml$/, '');
}

/** The objects of a multi-document YAML file: [{kind, name, namespace, line}], line 1-based. */
export function objectsOf(text) {
  const objects = [];
  const lines = new LineCounter();
  for (const doc of parseAllDocuments(text, { lineCounter: lines })) {
    const o = doc.toJS();
    if (o && typeof o === 'object' && o.kind) {
      const line = doc.contents?.range ? lines.linePos(doc.contents.range[0]).line : 0;
      objects.push({
        kind: o.kind,
        name: o.metadata?.name ?? '',
        namespace: o.metadata?.namespace ?? '',
        line,
      });
    }
  }
  return objects;
}

const ref = (kind, name) => `${kind}/${name}`;

// kube-linter `lint --format json`: {Reports: [{Check, Diagnostic: {Message}, Object: {K8sObject: {Name, GroupVersionKind: {Kind}}}}]}
export function fromKubeLinter(json) {
  return (json.Reports ?? []).map((r) => ({
    check: r.Check,
    object: ref(r.Object?.K8sObject?.GroupVersionKind?.Kind ?? '?', r.Object?.K8sObject?.Name ?? '?'),
    message: r.Diagnostic?.Message ?? '',
  }));
}

// kube-score `score --output-format json`: [{type_meta: {kind}, object_meta: {name}, checks: [{check: {id}, grade, skipped, comments}]}]
// Grades: 1 critical, 5 warning, 7 almost OK, 10 all OK. Anything below 10 that ran is a finding.
export function fromKubeScore(json) {
  const out = [];
  for (const o of json ?? []) {
    for (const c of o.checks ?? []) {
      if (c.skipped || c.grade >= 10) continue;
      const comments = (c.comments ?? []).map((x) => [x.path, x.summary].filter(Boolean).join(': '));
      out.push({
        check: c.check.id,
        object: ref(o.type_meta?.kind ?? '?', o.object_meta?.name ?? '?'),
        message: comments.join('; ') || c.check.name,
      });
    }
  }
  return out;
}

// Polaris `audit --format json`: {Results: [{Kind, Name, Results: {id: {Success, Severity, Message}},
// PodResult: {Results, ContainerResults: [{Name, Results}]}}]}. Failed checks of severity warning or danger.
export function fromPolaris(json) {
  const out = [];
  const add = (obj, results, where) => {
    for (const [id, r] of Object.entries(results ?? {})) {
      if (r.Success || !['warning', 'danger'].includes(r.Severity)) continue;
      out.push({ check: r.ID ?? id, object: obj, message: `${where}${r.Message} (${r.Severity})` });
    }
  };
  for (const o of json.Results ?? []) {
    const obj = ref(o.Kind, o.Name);
    add(obj, o.Results, '');
    add(obj, o.PodResult?.Results, '');
    for (const c of o.PodResult?.ContainerResults ?? []) add(obj, c.Results, `container ${c.Name}: `);
  }
  return out;
}

// checkov `-o json`: one report object, or a list of them (one per framework). A result names its
// object as "Kind.namespace.name", except graph checks (CKV2_*), which name a Pod built from a
// workload's template ("Pod.ns.name.label-value..."): those are mapped back by line range.
export function fromCheckov(json, objects) {
  const reports = Array.isArray(json) ? json : [json];
  const out = [];
  for (const rep of reports) {
    for (const c of rep.results?.failed_checks ?? []) {
      out.push({
        check: c.check_id,
        object: checkovObject(c.resource, c.file_line_range?.[0], objects),
        message: c.check_name,
      });
    }
  }
  return out;
}

function checkovObject(resource, line, objects) {
  for (const o of objects) {
    if (resource === `${o.kind}.${o.namespace || 'default'}.${o.name}`) return ref(o.kind, o.name);
  }
  const at = objects.filter((o) => line && o.line && o.line <= line).at(-1);
  if (at) return ref(at.kind, at.name);
  const [kind, , ...name] = String(resource).split('.');
  return ref(kind, name.join('.'));
}

const PARSERS = {
  'kube-linter': fromKubeLinter,
  'kube-score': fromKubeScore,
  polaris: fromPolaris,
  checkov: fromCheckov,
};

/** Validates the exemptions file and returns its entries. Throws with every problem found. */
export function loadExemptions(text, file = 'exemptions.yaml') {
  const doc = parseYaml(text) ?? {};
  const list = doc.exemptions ?? [];
  const problems = [];
  if (!Array.isArray(list)) problems.push(`${file}: 'exemptions' must be a list`);
  const entries = Array.isArray(list) ? list : [];
  for (const [i, e] of entries.entries()) {
    const at = `${file}: exemptions[${i}]`;
    if (!e || typeof e !== 'object') {
      problems.push(`${at} is not a mapping`);
      continue;
    }
    if (!TOOLS.includes(e.tool))
      problems.push(`${at}: 'tool' is '${e.tool}', expected one of ${TOOLS.join(', ')}`);
    if (typeof e.check !== 'string' || !e.check) problems.push(`${at}: 'check' is missing`);
    if (typeof e.object !== 'string' || !(e.object === '*' || /^[A-Za-z]+\/(\*|[a-z0-9.-]+)$/.test(e.object)))
      problems.push(`${at}: 'object' is '${e.object}', expected Kind/name, Kind/* or *`);
    if (e.level !== undefined && (typeof e.level !== 'string' || !e.level))
      problems.push(`${at}: 'level' must be a level name such as level3-production or level3`);
    if (
      typeof e.reason !== 'string' ||
      e.reason.trim().length < 20 ||
      /^(todo|tbd|fixme|n\/a)\b/i.test(e.reason.trim())
    )
      problems.push(
        `${at}: 'reason' must say why the finding is by design (at least 20 characters, not a placeholder)`,
      );
    const extra = Object.keys(e).filter((k) => !['tool', 'check', 'object', 'level', 'reason'].includes(k));
    if (extra.length) problems.push(`${at}: unknown key(s) ${extra.join(', ')}`);
  }
  if (problems.length) throw new Error(problems.join('\n'));
  return entries;
}

export function exemptionMatches(e, f) {
  if (e.tool !== f.tool || e.check !== f.check) return false;
  if (e.level && !(f.level === e.level || f.level.startsWith(`${e.level}-`))) return false;
  if (e.object === '*') return true;
  const [kind, name] = e.object.split('/');
  return kind === f.object.split('/')[0] && (name === '*' || e.object === f.object);
}

/** Reads the raw directory for the given level files and returns {findings, status}. */
export function collect(rawDir, files) {
  const findings = [];
  const status = {}; // status[tool][level] = {state, detail}
  for (const tool of TOOLS) {
    status[tool] = {};
    for (const file of files) {
      const level = levelOf(file);
      const base = join(rawDir, `${tool}__${level}`);
      const st = existsSync(`${base}.status`)
        ? readFileSync(`${base}.status`, 'utf8')
        : 'unavailable\nnot run';
      const [state, ...rest] = st.split('\n');
      status[tool][level] = { state: state.trim(), detail: rest.join('\n').trim() };
      if (state.trim() !== 'ok') continue;
      let json;
      try {
        const text = readFileSync(`${base}.json`, 'utf8').trim();
        json = text ? JSON.parse(text) : {};
      } catch (err) {
        status[tool][level] = { state: 'error', detail: `unreadable JSON output: ${err.message}` };
        continue;
      }
      const objects = objectsOf(readFileSync(file, 'utf8'));
      const seen = new Map();
      for (const f of PARSERS[tool](json, objects)) {
        const key = `${f.check}\0${f.object}`;
        if (seen.has(key)) {
          const prev = seen.get(key);
          if (f.message && !prev.message.includes(f.message)) prev.message += `; ${f.message}`;
          continue;
        }
        const finding = { tool, check: f.check, object: f.object, level, message: f.message };
        seen.set(key, finding);
        findings.push(finding);
      }
    }
  }
  return { findings, status };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => String(c).padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function main(argv) {
  const args = { files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--raw') args.raw = argv[++i];
    else if (a === '--exemptions') args.exemptions = argv[++i];
    else if (a === '--markdown') args.markdown = argv[++i];
    else if (a === '--require') args.require = (argv[++i] ?? '').split(',').filter(Boolean);
    else args.files.push(a);
  }
  const usage =
    'usage: lint.mjs --raw DIR --exemptions FILE [--markdown OUT.md] [--require TOOL,...] LEVEL_FILE...';
  if (!args.raw || !args.exemptions || args.files.length === 0) {
    console.error(usage);
    return 2;
  }
  const required = args.require ?? [];
  const unknown = required.filter((t) => !TOOLS.includes(t));
  if (unknown.length) {
    console.error(
      `conformance: --require names unknown linter(s) ${unknown.join(', ')}; expected ${TOOLS.join(', ')}\n${usage}`,
    );
    return 2;
  }
  let exemptions;
  try {
    exemptions = existsSync(args.exemptions)
      ? loadExemptions(readFileSync(args.exemptions, 'utf8'), args.exemptions)
      : [];
  } catch (err) {
    console.error(`conformance: invalid exemptions file\n${err.message}`);
    return 1;
  }
  const { findings, status } = collect(args.raw, args.files);
  const levels = args.files.map(levelOf);
  const used = new Set();
  for (const f of findings) {
    const i = exemptions.findIndex((e) => exemptionMatches(e, f));
    f.exempt = i >= 0;
    if (i >= 0) used.add(i);
  }

  const open = findings.filter((f) => !f.exempt);
  for (const f of open) {
    console.log(`FINDING ${f.level}  ${f.tool}  ${f.check}  ${f.object}\n        ${f.message}`);
  }

  const ran = (tool) => levels.some((l) => status[tool][l].state === 'ok');
  exemptions.forEach((e, i) => {
    if (used.has(i)) return;
    const what = `${e.tool} ${e.check} ${e.object}${e.level ? ` (${e.level})` : ''}`;
    if (!ran(e.tool)) console.log(`note: exemption not checked, ${e.tool} did not run: ${what}`);
    else console.log(`warning: stale exemption, matches no finding: ${what}`);
  });

  const rows = [['tool', ...levels]];
  const md = [`| tool | ${levels.join(' | ')} |`, `| --- | ${levels.map(() => '---').join(' | ')} |`];
  let errors = 0;
  const missing = []; // required linters that did not run on some level
  for (const tool of TOOLS) {
    const gate = required.includes(tool);
    const cells = levels.map((level) => {
      const st = status[tool][level];
      if (st.state === 'unavailable') {
        if (gate && !missing.includes(tool)) missing.push(tool);
        return gate ? 'NOT RUN (required)' : 'not run (optional)';
      }
      if (st.state !== 'ok') {
        errors++;
        return 'ERROR';
      }
      const all = findings.filter((f) => f.tool === tool && f.level === level);
      const ex = all.filter((f) => f.exempt).length;
      return `${all.length - ex} open, ${ex} exempted`;
    });
    rows.push([tool, ...cells]);
    md.push(`| ${tool} | ${cells.join(' | ')} |`);
  }
  console.log(`\nLinter findings per tool per level (open = fails the step):\n${table(rows)}`);
  for (const tool of TOOLS) {
    for (const level of levels) {
      const st = status[tool][level];
      if (st.state === 'error') console.log(`ERROR ${tool} on ${level}: ${st.detail}`);
    }
    const un = levels.map((l) => status[tool][l]).find((s) => s.state === 'unavailable');
    if (un)
      console.log(`NOT RUN ${tool}${required.includes(tool) ? ' (required)' : ' (optional)'}: ${un.detail}`);
  }
  if (args.markdown) writeFileSync(args.markdown, `${md.join('\n')}\n`);

  if (open.length || errors || missing.length) {
    const why = [
      `${open.length} finding(s) not exempted`,
      `${errors} tool error(s)`,
      ...(missing.length ? [`required linter(s) not run: ${missing.join(', ')}`] : []),
    ];
    console.log(`\nconformance linters: FAIL (${why.join(', ')})`);
    return 1;
  }
  const ranAll = TOOLS.filter((t) => levels.every((l) => status[t][l].state === 'ok'));
  console.log(
    `\nconformance linters: PASS (ran: ${ranAll.join(', ') || 'none'}; ${findings.length - open.length} exempted finding(s))`,
  );
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
