import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { load as parseYaml } from 'js-yaml';
import { AvailabilityLevel } from '../lib';
import { composeFromChart } from '../lib/compose/compose';
import { type KubeObject, synthLevel } from './support/synth';
import { haveTool } from './support/tools';

const ROOT = path.resolve(__dirname, '..');
const COMPOSE = path.join(ROOT, 'dist', 'level1-dev.compose.yaml');
const chartObjects = synthLevel(AvailabilityLevel.DEVELOPMENT);
const workloads = chartObjects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));

/** The Compose file as docker-compose itself resolves it (interpolation and defaults applied). */
function dockerComposeConfig(): KubeObject {
  const run = spawnSync('docker-compose', ['-f', COMPOSE, 'config'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return parseYaml(run.stdout) as KubeObject;
}

// podman-compose answers --help without a podman binary (its --version asks podman).
const describeWith = (bin: string, probe: string, install: string) =>
  haveTool(bin, [probe], install) ? describe : describe.skip;

describeWith(
  'docker-compose',
  '--version',
  'apt-get install docker-compose',
)('dist/level1-dev.compose.yaml under docker-compose', () => {
  test('docker-compose config -q accepts the file', () => {
    const run = spawnSync('docker-compose', ['-f', COMPOSE, 'config', '-q'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  describe('agrees with the Level 1 chart', () => {
    const compose = dockerComposeConfig();

    test('one Compose service per Level 1 workload, named after its Service', () => {
      expect(Object.keys(compose.services).sort()).toEqual(workloads.map((w) => w.metadata.name).sort());
    });

    test.each(workloads.map((w) => [w.metadata.name, w]))(
      '%s: image, environment names and values',
      (name, w) => {
        const container = w.spec.template.spec.containers[0];
        const service = compose.services[name];
        expect(service.image).toBe(container.image);
        const secrets = new Map(
          chartObjects.filter((o) => o.kind === 'Secret').map((s) => [s.metadata.name, s]),
        );
        const expected = Object.fromEntries(
          container.env.map((e: KubeObject) => {
            if (e.value !== undefined) return [e.name, e.value];
            const ref = e.valueFrom.secretKeyRef;
            const secret = secrets.get(ref.name)!;
            const value =
              secret.stringData?.[ref.key] ?? Buffer.from(secret.data[ref.key], 'base64').toString();
            return [e.name, value];
          }),
        );
        expect(service.environment).toEqual(expected);
      },
    );

    test.each(workloads.map((w) => [w.metadata.name, w]))(
      '%s: the same mount paths, user and hardening',
      (name, w) => {
        const pod = w.spec.template.spec;
        const container = pod.containers[0];
        const service = compose.services[name];
        const composePaths = [
          ...(service.volumes ?? []).map((v: KubeObject) => v.target ?? v.split(':')[1]),
          ...(service.tmpfs ?? []).map((t: string) => t.split(':')[0]),
        ].sort();
        // /var/run is /run in Debian-based images; Compose mounts there (lib/compose.ts composeTarget).
        expect(composePaths).toEqual(
          container.volumeMounts.map((m: KubeObject) => m.mountPath.replace(/^\/var\/run\//, '/run/')).sort(),
        );
        const security = { ...pod.securityContext, ...container.securityContext };
        expect(service.user).toBe(`${security.runAsUser}:${security.runAsGroup}`);
        expect(service.read_only).toBe(security.readOnlyRootFilesystem === true);
        expect(service.cap_drop).toEqual(['ALL']);
        expect(service.restart).toBe('unless-stopped');
      },
    );

    test("the API: the guide's 8000:8000, ENVIRONMENT=development, ./data at /app/data", () => {
      const api = compose.services['merlai-api'];
      expect(api.ports).toEqual([expect.objectContaining({ published: 8000, target: 8000 })]);
      const apiPort = workloads.find((w) => w.metadata.name === 'merlai-api')?.spec.template.spec
        .containers[0].ports[0];
      expect(apiPort.containerPort).toBe(8000);
      expect(api.environment.ENVIRONMENT).toBe('development');
      // docker-compose resolves the bind source against the Compose file's folder (dist/).
      expect(api.volumes).toContain(`${path.join(ROOT, 'data')}:/app/data:rw`);
    });

    test('every host an environment URL names is a Compose service (same names as the cluster)', () => {
      const hosts = Object.values<KubeObject>(compose.services).flatMap((service) =>
        Object.values<string>(service.environment ?? {}).flatMap((value) => {
          const url = /^[a-z][a-z0-9+.-]*:\/\/[^@/]*@?([^:/@]+)[:/]/.exec(value);
          return url ? [url[1]] : [];
        }),
      );
      expect(hosts).toEqual(expect.arrayContaining(['merlai-postgres', 'merlai-redis']));
      for (const host of hosts) expect(Object.keys(compose.services)).toContain(host);
      expect(compose.services['merlai-api'].depends_on).toEqual({
        'merlai-postgres': { condition: 'service_healthy' },
        'merlai-redis': { condition: 'service_healthy' },
      });
    });

    test('services sit on one bridge network', () => {
      expect(compose.networks.merlai.driver).toBe('bridge');
      for (const service of Object.values<KubeObject>(compose.services)) {
        expect(Object.keys(service.networks)).toEqual(['merlai']);
      }
    });

    test('every service has a healthcheck', () => {
      for (const service of Object.values<KubeObject>(compose.services)) {
        expect(service.healthcheck.test[0]).toBe('CMD-SHELL');
        expect(service.healthcheck.test).toHaveLength(2);
      }
    });
  });
});

describeWith(
  'podman-compose',
  '--help',
  'apt-get install podman-compose',
)('dist/level1-dev.compose.yaml under podman-compose', () => {
  test('podman-compose parses the file and plans the containers', () => {
    // podman-compose 1.0.3 has no `config`; `--dry-run up` parses the file and prints the podman
    // commands instead of running them. A stub answers its `podman --version` check.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'podman-stub-'));
    try {
      writeFileSync(path.join(bin, 'podman'), '#!/bin/sh\necho "podman version 4.3.1"\n');
      chmodSync(path.join(bin, 'podman'), 0o755);
      const run = spawnSync('podman-compose', ['--dry-run', '-p', 'merlai', '-f', COMPOSE, 'up', '-d'], {
        encoding: 'utf8',
        env: { PATH: `${bin}:${process.env.PATH}` },
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
      expect(run.stdout).toMatch(/--name=merlai_merlai-api_1/);
      expect(run.stdout).toMatch(/-p 8000:8000/);
      expect(run.stdout).toMatch(/--read-only/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('composeFromChart', () => {
  function chartWith(build: (chart: Chart) => void): Chart {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'merlai', disableResourceNameHashes: true });
    build(chart);
    return chart;
  }
  const labels = { app: 'x' };
  const podTemplate = (container: object) => ({
    metadata: { labels },
    spec: { containers: [{ name: 'x', image: 'x:1', ...container }] },
  });

  test('keeps a literal $ literal', () => {
    const chart = chartWith((c) => {
      new k8s.KubeDeployment(c, 'd', {
        metadata: { name: 'x' },
        spec: {
          selector: { matchLabels: labels },
          template: podTemplate({ env: [{ name: 'A', value: 'p$ss' }] }),
        },
      });
    });
    const service = (composeFromChart(chart).document.services as KubeObject).x;
    expect(service.environment).toEqual({ A: 'p$$ss' });
  });

  test('refuses what Compose cannot express, naming the workload', () => {
    const chart = chartWith((c) => {
      new k8s.KubeDeployment(c, 'd', {
        metadata: { name: 'x' },
        spec: {
          selector: { matchLabels: labels },
          template: podTemplate({
            env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          }),
        },
      });
    });
    expect(() => composeFromChart(chart)).toThrow(/Deployment\/x container x uses env POD from .*fieldRef/);
  });

  test('the committed file carries the generated-file header', () => {
    expect(readFileSync(COMPOSE, 'utf8')).toMatch(
      /^# Level 1 \(development\)[^\n]*generated by merlai-cdk8s/,
    );
  });
});
