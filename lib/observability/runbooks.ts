// Where each alert's runbook is: runbook URLs and GitHub's heading anchors. No objects.
//
// Where each alert's runbook is: a section of `docs/runbooks.md` per alert, linked from the alert's
// `runbook_url` annotation as `<base URL>#<anchor>`, the anchor being GitHub's slug of the section's
// heading (the alert name).

/**
 * The runbook file of this repository on its default branch. Point `runbookBaseUrl` at your own
 * copy (a fork, an internal Git server, a wiki page with the same headings) when you deploy.
 */
export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/merlai/merlai-cdk8s/blob/main/docs/runbooks.md';

/**
 * The anchor GitHub gives a Markdown heading: lower case, every character other than a letter, a
 * digit, a space, `-` or `_` dropped, each space turned into `-` (a repeated heading gets `-1`,
 * `-2`, … which {@link markdownAnchors} adds).
 */
export function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown document's headings, as GitHub renders them (fenced code skipped). */
export function markdownAnchors(markdown: string): string[] {
  const anchors: string[] = [];
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const f = /^\s*(```|~~~)/.exec(line);
    if (f) {
      if (fence === undefined) fence = f[1];
      else if (f[1] === fence) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const h = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const text = h[1].replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = githubSlug(text);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.push(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** The runbook URL of an alert: `<base>#<GitHub slug of the alert name>`. */
export function runbookUrl(base: string, alert: string): string {
  return `${base}#${githubSlug(alert)}`;
}
