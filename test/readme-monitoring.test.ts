import { readFileSync } from 'node:fs';
import { MONITORING_DOC, renderMonitoringDoc } from '../scripts/readme-monitoring';

test('docs/observability.md lists every alert and dashboard panel of each level as the charts generate them (run `npm run readme` when this fails)', () => {
  const page = readFileSync(MONITORING_DOC, 'utf8');
  expect(renderMonitoringDoc(page)).toBe(page);
});

test('a stale page fails the check', () => {
  const page = readFileSync(MONITORING_DOC, 'utf8');
  const stale = page.replace('| Redis cache hit ratio', '| Redis hit ratio      ');
  expect(stale).not.toBe(page);
  expect(renderMonitoringDoc(stale)).not.toBe(stale);
});
