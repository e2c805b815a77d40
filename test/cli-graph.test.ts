import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../cli/command';
import { dotHash, picture, toDot, toMermaid } from '../cli/graph';
import { readCharts } from '../cli/objects';
import { LEVEL_PROFILES } from '../lib/core/levels';
import { PROJECT_ROOT } from './support/shared';
import { haveTool } from './support/tools';

const DIST = readCharts(path.join(PROJECT_ROOT, 'dist'));
const CHARTS = Object.values(LEVEL_PROFILES).map((p) => p.chartId);

function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = run(args, { cwd: PROJECT_ROOT, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'merlai-graph-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the README pictures', () => {
  test.each(CHARTS)(
    'docs/%s.svg is drawn from the current dist/ (else run scripts/docs-graphs.sh)',
    (chart) => {
      const svg = readFileSync(path.join(PROJECT_ROOT, 'docs', `${chart}.svg`), 'utf8');
      expect(svg).toContain(
        `<!-- merlai-cdk8s graph ${dotHash(toDot(picture(chart, DIST.get(chart)!)))} -->`,
      );
      expect(readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8')).toContain(`(docs/${chart}.svg)`);
    },
  );
});

describe('the freshness check', () => {
  test('fails for a picture of other objects: a changed replica count changes the hash', () => {
    const objects = JSON.parse(JSON.stringify(DIST.get('level2-staging')!));
    objects.find((o: { kind: string }) => o.kind === 'Deployment').spec.replicas = 3;
    const svg = readFileSync(path.join(PROJECT_ROOT, 'docs', 'level2-staging.svg'), 'utf8');
    expect(svg).not.toContain(
      `<!-- merlai-cdk8s graph ${dotHash(toDot(picture('level2-staging', objects)))} -->`,
    );
  });
});

describe('the picture of a level', () => {
  test('Level 3: Ingress → Service → API, datastores, and the flows the policies allow', () => {
    const p = picture('level3-production', DIST.get('level3-production')!);
    const label = (id: string) => p.nodes.find((n) => n.id === id)?.label;
    expect(label('ing:merlai-api')).toBe('Ingress merlai-api\nHTTPS merlai.example.com');
    expect(label('svc:merlai-api')).toBe('Service merlai-api\nClusterIP :80');
    expect(label('api')).toBe('api\nDeployment/merlai-api\n3–10 pods');
    expect(label('postgres')).toBe('postgres\nCluster/merlai-postgres\n3 pods');
    expect(label('redis')).toBe('redis\nRedisReplication/merlai-redis\n3 pods');
    const edge = (from: string, to: string) =>
      p.edges.find((e) => e.from === from && e.to === to) &&
      p.edges.find((e) => e.from === from && e.to === to)!.label;
    expect(edge('ing:merlai-api', 'svc:merlai-api')).toBe('/');
    expect(edge('svc:merlai-api', 'api')).toBe('');
    expect(edge('ingress-controller', 'api')).toBe('8000');
    expect(edge('api', 'postgres')).toBe('5432');
    expect(edge('api', 'kube-dns')).toBe('53 TCP+UDP');
    // Denied flows are not drawn.
    expect(edge('prometheus', 'api')).toBeUndefined();
    expect(edge('api', 'internet')).toBeUndefined();
  });

  test('Level 1 has no Ingress and no monitoring flows', () => {
    const p = picture('level1-dev', DIST.get('level1-dev')!);
    expect(p.nodes.filter((n) => n.id.startsWith('ing:'))).toEqual([]);
    expect(p.edges.filter((e) => e.from === 'prometheus')).toEqual([]);
    expect(p.nodes.find((n) => n.id === 'postgres')!.label).toBe(
      'postgres\nStatefulSet/merlai-postgres\n1 pod',
    );
  });

  test('Mermaid text for places without Graphviz', () => {
    const text = toMermaid(picture('level2-staging', DIST.get('level2-staging')!));
    expect(text.split('\n')[0]).toBe('flowchart LR');
    expect(text).toContain('[("postgres<br/>Cluster/merlai-postgres<br/>2 pods")]');
    expect(text).toMatch(/ -\.->\|"5432"\| /);
  });

  const dot = haveTool('dot', ['-V'], 'apt-get install graphviz');
  (dot ? test : test.skip)('graph --out FILE.svg draws with Graphviz dot', () => {
    const out = path.join(tmp, 'level2.svg');
    expect(cli(['graph', '--level', '2', '--from', 'dist', '--out', out])).toMatchObject({
      code: 0,
      err: '',
    });
    const svg = readFileSync(out, 'utf8');
    expect(svg).toMatch(/<svg /);
    expect(svg).toContain('Deployment/merlai&#45;api');
    expect(svg).toContain('RedisReplication/merlai&#45;redis');
  });

  test('without dot, graph writes Mermaid text next to the requested file', () => {
    process.env.MERLAI_DOT = path.join(tmp, 'no-such-dot');
    try {
      const out = path.join(tmp, 'level1.svg');
      const result = cli(['graph', '--level', '1', '--from', 'dist', '--out', out]);
      expect(result.code).toBe(0);
      expect(result.err).toContain('Graphviz dot is not installed');
      expect(existsSync(out)).toBe(false);
      expect(readFileSync(path.join(tmp, 'level1.mmd'), 'utf8')).toBe(
        toMermaid(picture('level1-dev', DIST.get('level1-dev')!)),
      );
    } finally {
      delete process.env.MERLAI_DOT;
    }
  });

  test('graph draws one chart and says which exist', () => {
    expect(cli(['graph', '--from', 'dist', '--out', path.join(tmp, 'x.svg')]).err).toBe(
      'merlai-cdk8s graph: graph draws one chart; 3 matched. Charts: level1-dev, level2-staging, level3-production (choose with --chart ID or --level N)\n',
    );
    expect(cli(['graph', '--level', '2', '--from', 'dist']).err).toContain('graph needs --out FILE');
  });
});
