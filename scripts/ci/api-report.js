#!/usr/bin/env node
// The public API report (api/merlai-cdk8s.api.json): every exported type of the jsii assembly
// (.jsii, written by `npx jsii`) with its properties, methods, parameters and enum members — the
// surface a user compiles against, without the docs. CI checks the committed report is what the
// assembly says; `--update` rewrites it, and refuses while the surface changed but the version in
// package.json did not (semantic versioning for a construct library: docs/releasing.md).
// Usage: node scripts/ci/api-report.js [--update [--amend]]   (--amend: the version is not tagged yet)
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '../..');
const reportPath = path.join(root, 'api/merlai-cdk8s.api.json');

function typeRef(t) {
  if (!t) return 'void';
  if (t.primitive) return t.primitive;
  if (t.fqn) return t.fqn;
  if (t.collection) return `${t.collection.kind}<${typeRef(t.collection.elementtype)}>`;
  if (t.union) return t.union.types.map(typeRef).sort().join(' | ');
  return JSON.stringify(t);
}
const param = (p) => `${p.name}${p.optional ? '?' : ''}: ${typeRef(p.type)}${p.variadic ? '...' : ''}`;

function surface(assembly) {
  const types = {};
  for (const [fqn, t] of Object.entries(assembly.types ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const entry = { kind: t.kind };
    if (t.base) entry.base = t.base;
    if (t.interfaces?.length) entry.interfaces = [...t.interfaces].sort();
    if (t.abstract) entry.abstract = true;
    if (t.initializer) entry.initializer = (t.initializer.parameters ?? []).map(param);
    if (t.properties?.length)
      entry.properties = t.properties
        .map(
          (p) =>
            `${p.static ? 'static ' : ''}${p.immutable ? 'readonly ' : ''}${p.name}${p.optional ? '?' : ''}: ${typeRef(p.type)}`,
        )
        .sort();
    if (t.methods?.length)
      entry.methods = t.methods
        .map(
          (m) =>
            `${m.static ? 'static ' : ''}${m.name}(${(m.parameters ?? []).map(param).join(', ')}): ${typeRef(m.returns?.type)}`,
        )
        .sort();
    if (t.members?.length) entry.members = t.members.map((m) => m.name);
    types[fqn] = entry;
  }
  return types;
}

/** What changed between two surfaces: additions only (minor) or anything removed or changed (major). */
function compare(before, after) {
  const added = [];
  const broken = [];
  for (const fqn of Object.keys(before)) if (!(fqn in after)) broken.push(`removed ${fqn}`);
  for (const [fqn, t] of Object.entries(after)) {
    const old = before[fqn];
    if (!old) {
      added.push(`added ${fqn}`);
      continue;
    }
    for (const key of new Set([...Object.keys(old), ...Object.keys(t)])) {
      const a = old[key];
      const b = t[key];
      if (JSON.stringify(a) === JSON.stringify(b)) continue;
      if (Array.isArray(a) && Array.isArray(b) && key !== 'initializer') {
        for (const x of a) if (!b.includes(x)) broken.push(`${fqn}: ${key} lost ${x}`);
        for (const x of b)
          if (!a.includes(x)) {
            // A new required property of a props interface (a struct) breaks its users too.
            const required = t.kind === 'interface' && key === 'properties' && !/\?:/.test(x);
            (required ? broken : added).push(`${fqn}: ${key} gained ${x}`);
          }
      } else if (
        key === 'initializer' &&
        Array.isArray(a) &&
        Array.isArray(b) &&
        a.every((x, i) => b[i] === x) &&
        b.slice(a.length).every((x) => x.includes('?:'))
      ) {
        added.push(`${fqn}: initializer gained ${b.slice(a.length).join(', ')}`);
      } else broken.push(`${fqn}: ${key} ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
    }
  }
  return { added, broken };
}

/** The smallest version a change needs (0.x: a breaking change bumps the minor, an addition the patch). */
function requiredBump(version, { added, broken }) {
  const [major, minor, patch] = version.split('.').map(Number);
  if (broken.length) return major === 0 ? `0.${minor + 1}.0` : `${major + 1}.0.0`;
  if (added.length) return major === 0 ? `0.${minor}.${patch + 1}` : `${major}.${minor + 1}.0`;
  return version;
}
const newer = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i];
  return false;
};
const atLeast = (a, b) => a === b || newer(a, b);

function main() {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const jsiiFile = path.join(root, '.jsii');
  if (!existsSync(jsiiFile))
    throw new Error('api-report: no .jsii assembly: run `npx jsii` first (scripts/ci/jsii.sh does)');
  const current = surface(JSON.parse(readFileSync(jsiiFile, 'utf8')));
  const report = existsSync(reportPath)
    ? JSON.parse(readFileSync(reportPath, 'utf8'))
    : { version: '0.0.0', types: {} };
  const diff = compare(report.types, current);
  const changed = diff.added.length + diff.broken.length > 0;
  const changelog = readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
  if (!new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\]`, 'm').test(changelog))
    throw new Error(
      `api-report: CHANGELOG.md has no "## [${pkg.version}]" section for package.json's version`,
    );
  if (process.argv.includes('--update')) {
    const need = requiredBump(report.version, diff);
    // A version is released when its tag exists; until then its report may be amended (--amend).
    const tag = spawnSync('git', ['rev-parse', '-q', '--verify', `refs/tags/v${pkg.version}`], { cwd: root });
    const amend = process.argv.includes('--amend') && report.version === pkg.version && tag.status !== 0;
    if (changed && !amend && !atLeast(pkg.version, need)) {
      console.error(
        [...diff.broken.map((l) => `  BREAKING ${l}`), ...diff.added.map((l) => `  ${l}`)].join('\n'),
      );
      throw new Error(
        `api-report: the public API changed since ${report.version}; package.json says ${pkg.version}, the change needs at least ${need} (docs/releasing.md)`,
      );
    }
    writeFileSync(reportPath, `${JSON.stringify({ version: pkg.version, types: current }, null, 2)}\n`);
    console.log(
      `api-report: wrote api/merlai-cdk8s.api.json for ${pkg.version}${changed ? ` (${diff.broken.length} breaking, ${diff.added.length} added)` : ''}`,
    );
    return;
  }
  if (report.version !== pkg.version)
    throw new Error(
      `api-report: the report is for ${report.version}, package.json says ${pkg.version}: run node scripts/ci/api-report.js --update`,
    );
  if (changed) {
    console.error(
      [...diff.broken.map((l) => `  BREAKING ${l}`), ...diff.added.map((l) => `  ${l}`)].join('\n'),
    );
    throw new Error(
      `api-report: the public API differs from api/merlai-cdk8s.api.json (${report.version}): bump the version if needed (at least ${requiredBump(report.version, diff)}), add a CHANGELOG entry, then run node scripts/ci/api-report.js --update`,
    );
  }
  console.log(
    `api-report: the public API is the one recorded for ${pkg.version} (${Object.keys(current).length} types)`,
  );
}

module.exports = { surface, compare, requiredBump };

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
