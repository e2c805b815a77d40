import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Consumers with `exactOptionalPropertyTypes` (on in new TypeScript 7 projects) pass optional
// values straight through (`prop: maybeString`) only when the prop says `| undefined` itself.
// consumers/ts7-strict compiles such a project against the packed tarball in CI; this keeps every
// optional member of the library's own types that way.
const LIB = path.resolve(__dirname, '..', 'lib');

test('every optional member of the library types allows undefined', () => {
  const files = readdirSync(LIB, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
  let members = 0;
  const missing: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const m = /^\s*readonly (\w+)\?: (.+);$/.exec(line);
        if (!m) return;
        members++;
        if (!/\| undefined$/.test(m[2] ?? '')) missing.push(`${path.relative(LIB, file)}:${i + 1} ${m[1]}`);
      });
  }
  expect(members).toBeGreaterThan(150);
  expect(missing).toEqual([]);
});
