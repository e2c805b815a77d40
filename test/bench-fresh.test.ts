import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

// bench/ (the kustomize side of `npm run bench`) is generated from dist/ by scripts/bench-synth.mjs:
// its base and each level's overlay together must hold exactly the level's objects in dist/.
const ROOT = path.resolve(__dirname, '..');
const objects = (file: string): string[] =>
  parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter(Boolean)
    .map((o) => JSON.stringify(o))
    .sort();

const levels = readdirSync(path.join(ROOT, 'dist'))
  .filter((f) => f.endsWith('.k8s.yaml'))
  .map((f) => f.replace('.k8s.yaml', ''));

test.each(levels)(
  'bench/overlays/%s with the base holds exactly dist/ (npm run bench, or node scripts/bench-synth.mjs --bench-only, regenerates it)',
  (level) => {
    const built = [
      ...objects(path.join(ROOT, 'bench', 'base', 'objects.yaml')),
      ...objects(path.join(ROOT, 'bench', 'overlays', level, 'objects.yaml')),
    ].sort();
    expect(built).toEqual(objects(path.join(ROOT, 'dist', `${level}.k8s.yaml`)));
  },
);
