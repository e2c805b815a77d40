import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RUNBOOK_BASE_URL, LEVEL_PROFILES } from '../lib';
import { githubSlug, markdownAnchors } from '../lib/observability/runbooks';
import { type KubeObject, LEVELS, synthLevel } from './support/synth';

const RUNBOOKS = path.resolve(__dirname, '..', 'docs', 'runbooks.md');
const markdown = readFileSync(RUNBOOKS, 'utf8');
const anchors = markdownAnchors(markdown);
const MONITORED = LEVELS.filter((l) => LEVEL_PROFILES[l].monitoring);

interface Alert {
  alert: string;
  annotations?: Record<string, string>;
}

function alerts(objects: KubeObject[]): Alert[] {
  return objects
    .filter((o) => o.kind === 'PrometheusRule')
    .flatMap((o) => o.spec.groups.flatMap((g: { rules: Alert[] }) => g.rules))
    .filter((r: Alert) => r.alert !== undefined);
}

/** In-page links (`](#anchor)`) of a Markdown text that name no heading of it. */
function brokenLinks(md: string): string[] {
  const have = markdownAnchors(md);
  return [...md.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]).filter((link) => !have.includes(link));
}

/** The alerts whose runbook link (`#` + GitHub's slug of the name) names no heading of the text. */
function alertsWithoutRunbook(md: string, names: string[]): string[] {
  const have = markdownAnchors(md);
  return names.filter((name) => !have.includes(githubSlug(name)));
}

/** Every alert any level can emit: the defaults, and the options that add alerts. */
const ALL_ALERTS = [
  ...new Set(MONITORED.flatMap((level) => alerts(synthLevel(level)).map((a) => a.alert))),
].sort();

describe.each(MONITORED)('runbooks at %s', (level) => {
  const emitted = alerts(synthLevel(level));

  test.each(emitted.map((a) => [a.alert, a] as const))('%s links to its runbook section', (name, alert) => {
    const url = alert.annotations?.runbook_url;
    expect(url).toBe(`${DEFAULT_RUNBOOK_BASE_URL}#${githubSlug(name)}`);
    expect(anchors).toContain(url?.split('#')[1]);
  });
});

test('runbookBaseUrl moves every link', () => {
  const base = 'https://git.example.com/ops/merlai/-/blob/main/docs/runbooks.md';
  const emitted = alerts(synthLevel(MONITORED[0], { observability: { runbookBaseUrl: base } }));
  expect(emitted.length).toBeGreaterThan(0);
  for (const a of emitted) expect(a.annotations?.runbook_url).toBe(`${base}#${githubSlug(a.alert)}`);
});

test('every runbook section is an alert the rules emit (no stale runbook)', () => {
  const sections = [...markdown.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  expect(sections.sort()).toEqual(ALL_ALERTS);
});

test('every in-page link of the runbooks points at an existing section', () => {
  const links = [...markdown.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
  expect(links.length).toBeGreaterThan(0);
  expect(brokenLinks(markdown)).toEqual([]);
  expect(alertsWithoutRunbook(markdown, ALL_ALERTS)).toEqual([]);
});

test('each runbook says what the alert means, how to confirm it, the causes and fix, and when to escalate', () => {
  const sections = markdown.split(/^## /m).slice(1);
  for (const section of sections) {
    const name = section.split('\n')[0];
    for (const part of ['**Meaning.**', '**Confirm.**', '**Likely causes and fix.**', '**Escalate**']) {
      if (!section.includes(part)) throw new Error(`runbook ${name} has no ${part}`);
    }
  }
});

describe('GitHub heading anchors', () => {
  test.each([
    ['MerlaiApiSliNoData', 'merlaiapislinodata'],
    ['Runbooks: Merlai alerts', 'runbooks-merlai-alerts'],
    ['`kubectl` and friends (v1.28)', 'kubectl-and-friends-v128'],
    ['Level 2 — staging', 'level-2--staging'],
  ])('%s → #%s', (heading, slug) => {
    expect(markdownAnchors(`# ${heading}\n`)).toEqual([slug]);
  });

  test('repeated headings get -1, -2; headings inside code fences do not count', () => {
    expect(markdownAnchors('## A\n## A\n```sh\n## B\n```\n## A\n')).toEqual(['a', 'a-1', 'a-2']);
  });

  test('a link to a missing section is caught', () => {
    // The checks above, on the runbooks with one link added to a section that does not exist.
    const withLink = `${markdown}\nSee [the other alert](#merlaiapisomethingelse).\n`;
    expect(brokenLinks(withLink)).toEqual(['merlaiapisomethingelse']);
  });

  test('an alert whose runbook section is removed is caught', () => {
    const name = 'MerlaiApiSliNoData';
    expect(ALL_ALERTS).toContain(name);
    const without = markdown.replace(new RegExp(`^## ${name}$`, 'm'), '## (section removed)');
    expect(without).not.toBe(markdown);
    expect(alertsWithoutRunbook(without, ALL_ALERTS)).toEqual([name]);
  });
});
