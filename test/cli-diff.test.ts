import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../cli/command';
import { diffObject, diffOutputs, diffValues, formatMarkdown } from '../cli/diff';
import { type KubeObject, readCharts } from '../cli/objects';
import { PROJECT_ROOT } from './support/shared';

const DIST = readCharts(path.join(PROJECT_ROOT, 'dist'));

function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = run(args, { cwd: PROJECT_ROOT, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'merlai-diff-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Level 3 as main.ts builds it (its cluster facts), with `api` and `datastores` merged in. */
function config(name: string, api: string, datastores = ''): string {
  const file = path.join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    `environments:
  level3-production:
    level: 3
    allowUnpinnedImages: true
    api: { ingress: { host: merlai.example.com, tlsSecretName: merlai-api-tls }, ${api.includes('storageClassName') ? '' : 'storageClassName: efs-sc, '}${api} }
    security: { kubernetesApiServer: { cidr: 10.0.0.0/24 } }
    datastores: { objectStore: { endpointUrl: 'https://s3.backup.example.com', bucket: merlai-backups, path: merlai/production, credentialsSecretName: merlai-backup-s3, cidr: 198.51.100.20/32 }, ${datastores} }
`,
  );
  return file;
}

describe('merlai-cdk8s diff against the committed dist/', () => {
  test('a changed image tag is the image and its merlai.io/unpinned-images annotation, exit code 1', () => {
    const file = config('image', "image: 'merlai:1.0.1'");
    const { code, out } = cli(['diff', '--config', file, '--level', '3', '--format', 'json']);
    expect(code).toBe(1);
    const d = JSON.parse(out);
    expect(d.charts).toEqual({ added: [], removed: [] });
    expect(d.objects).toEqual([
      {
        chart: 'level3-production',
        key: 'Deployment/merlai/merlai-api',
        change: 'changed',
        fields: [
          // Level 3 runs this tag under allowUnpinnedImages, which names it on the object.
          {
            path: 'metadata.annotations["merlai.io/unpinned-images"]',
            old: 'merlai:1.0.0',
            new: 'merlai:1.0.1',
          },
          {
            path: 'spec.template.spec.containers[merlai-api].image',
            old: 'merlai:1.0.0',
            new: 'merlai:1.0.1',
          },
        ],
      },
    ]);
    expect(d.immutableChanges).toBe(0);
  });

  test('a changed selector is flagged as an immutable-field change needing a migration', () => {
    // A different instance label (same object names) changes the selectors of the API.
    const file = config('instance', 'instance: blue, name: merlai-api', 'instance: blue');
    const { code, out } = cli(['diff', '--config', file, '--level', '3', '--format', 'json']);
    expect(code).toBe(1);
    const d = JSON.parse(out);
    const deployment = d.objects.find((o: { key: string }) => o.key === 'Deployment/merlai/merlai-api');
    const selector = deployment.fields.filter((f: { path: string }) => f.path.startsWith('spec.selector'));
    expect(selector).toEqual([
      {
        path: 'spec.selector.matchLabels["app.kubernetes.io/instance"]',
        old: 'merlai',
        new: 'blue',
        immutable: 'immutable: delete and recreate the object (plan a migration)',
      },
    ]);
    // The pod template's labels may change in place: not flagged.
    const template = deployment.fields.find(
      (f: { path: string }) => f.path === 'spec.template.metadata.labels["app.kubernetes.io/instance"]',
    );
    expect(template).toEqual({
      path: 'spec.template.metadata.labels["app.kubernetes.io/instance"]',
      old: 'merlai',
      new: 'blue',
    });

    const text = cli(['diff', '--config', file, '--level', '3']).out;
    expect(text).toContain(
      '    spec.selector.matchLabels["app.kubernetes.io/instance"]: "merlai" → "blue"  [MIGRATION NEEDED: immutable: delete and recreate the object (plan a migration)]',
    );
    expect(text).toMatch(/immutable-field change\(s\) need a migration\n$/);
  });

  test('a claim with another storage class needs a migration; markdown says so for the pull request', () => {
    const file = config('storage', 'storageClassName: fast-rwx');
    const { code, out } = cli(['diff', '--config', file, '--level', '3', '--format', 'markdown']);
    expect(code).toBe(1);
    expect(out).toContain('> [!WARNING]\n> 2 change(s) to immutable fields');
    expect(out).toContain(
      '| `PersistentVolumeClaim/merlai/merlai-api-data` | `spec.storageClassName` | "efs-sc" → "fast-rwx" | ⚠️ immutable: delete and recreate the object (plan a migration) |',
    );
  });

  test('no differences: exit code 0; the base may be a git ref', () => {
    expect(cli(['diff', '--level', '1'])).toEqual({ code: 0, out: 'No differences.\n', err: '' });
    // A git ref's dist/ reads as the same objects as the folder (committed with the last change).
    const head = cli(['diff', '--base', 'HEAD', '--level', '1', '--format', 'markdown']);
    expect(head.err).toBe('');
    expect(head.out).toMatch(/^### merlai-cdk8s diff\n/);
  });

  test('bad usage is exit code 2 with what is valid', () => {
    expect(cli(['diff', '--format', 'html']).err).toBe(
      "merlai-cdk8s diff: --format is 'html'; expected text, markdown or json\n",
    );
    expect(cli(['diff', '--level', '4']).code).toBe(2);
    expect(cli(['diff', '--base', 'no-such-ref-or-folder']).err).toMatch(
      /--base no-such-ref-or-folder: neither a folder nor a git ref with a dist\/ folder/,
    );
    expect(cli(['diff', '--frobnicate']).code).toBe(2);
    for (const verb of ['diff', 'summary', 'graph', 'synth']) {
      expect(cli([verb, '--help'])).toMatchObject({
        code: 0,
        out: expect.stringContaining(`merlai-cdk8s ${verb}`),
      });
    }
  });
});

describe('the semantic diff', () => {
  const level3 = DIST.get('level3-production')!;
  const clone = (o: KubeObject): KubeObject => JSON.parse(JSON.stringify(o));

  test('list items are matched by name: a reordered or inserted env var is one change', () => {
    const before = level3.find((o) => o.kind === 'Deployment')!;
    const after = clone(before);
    const env = after.spec.template.spec.containers[0].env;
    env.unshift({ name: 'FEATURE_X', value: 'on' });
    env.reverse();
    const fields = diffObject(before, after);
    expect(fields.filter((f) => !f.path.endsWith('(order)'))).toEqual([
      {
        path: 'spec.template.spec.containers[merlai-api].env[FEATURE_X]',
        new: { name: 'FEATURE_X', value: 'on' },
      },
    ]);
  });

  test('objects added and removed, charts added and removed', () => {
    const base = new Map([['a', level3]]);
    const head = new Map([
      [
        'a',
        level3
          .filter((o) => o.kind !== 'PodDisruptionBudget')
          .concat([{ ...clone(level3[0]), metadata: { name: 'new' } } as KubeObject]),
      ],
      ['b', []],
    ]);
    const d = diffOutputs(base, head);
    expect(d.charts).toEqual({ added: ['b'], removed: [] });
    expect(d.objects.map((o) => `${o.change} ${o.key}`)).toEqual([
      'added Namespace/new',
      'removed PodDisruptionBudget/merlai/merlai-api',
    ]);
    expect(formatMarkdown(d)).toContain('| `Namespace/new` | | **added** | |');
  });

  test('a smaller claim is immutable, a larger one is not', () => {
    const claim = level3.find((o) => o.kind === 'PersistentVolumeClaim')!;
    const resized = (size: string) => {
      const c = clone(claim);
      c.spec.resources.requests.storage = size;
      return diffObject(claim, c)[0];
    };
    expect(resized('1Gi').immutable).toBe('a claim can grow, never shrink');
    expect(resized('1Ti').immutable).toBeUndefined();
  });

  test.each([
    ['Service', { spec: { clusterIP: '10.0.0.1' } }, { spec: { clusterIP: '10.0.0.2' } }, 'spec.clusterIP'],
    [
      'Job',
      { spec: { template: { spec: { containers: [{ name: 'a', image: 'x:1' }] } } } },
      { spec: { template: { spec: { containers: [{ name: 'a', image: 'x:2' }] } } } },
      'spec.template.spec.containers[a].image',
    ],
    [
      'StatefulSet',
      { spec: { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { storageClassName: 'a' } }] } },
      { spec: { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { storageClassName: 'b' } }] } },
      'spec.volumeClaimTemplates[0].spec.storageClassName',
    ],
    [
      'PersistentVolumeClaim',
      { spec: { accessModes: ['ReadWriteOnce'] } },
      { spec: { accessModes: ['ReadWriteMany'] } },
      'spec.accessModes',
    ],
  ])('%s: %j → %j changes an immutable field', (kind, before, after, field) => {
    const wrap = (o: object) => ({ apiVersion: 'v1', kind, metadata: { name: 'x' }, ...o }) as KubeObject;
    expect(diffObject(wrap(before), wrap(after))).toEqual([
      expect.objectContaining({ path: field, immutable: expect.any(String) }),
    ]);
    // The same field of a kind that allows the change is not flagged.
    const other = (o: object) =>
      ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, ...o }) as KubeObject;
    expect(diffObject(other(before), other(after))[0].immutable).toBeUndefined();
  });

  test('scalars and plain lists compare as values', () => {
    expect(diffValues({ a: [1, 2], b: 'x' }, { a: [2, 1], b: 'x' })).toEqual([
      { path: 'a', old: [1, 2], new: [2, 1] },
    ]);
    expect(diffValues({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
