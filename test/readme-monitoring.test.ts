import { readFileSync } from 'node:fs';
import { README, renderReadme } from '../scripts/readme-monitoring';

test('the README lists every alert and dashboard panel of each level as the charts generate them (run `npm run readme` when this fails)', () => {
  const readme = readFileSync(README, 'utf8');
  expect(renderReadme(readme)).toBe(readme);
});

test('a stale README fails the check', () => {
  const readme = readFileSync(README, 'utf8');
  const stale = readme.replace('| Redis cache hit ratio', '| Redis hit ratio      ');
  expect(stale).not.toBe(readme);
  expect(renderReadme(stale)).not.toBe(stale);
});
