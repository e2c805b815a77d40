import { Chart, Testing } from 'cdk8s';
import { AvailabilityLevel, MerlaiApi, type MerlaiApiProps } from '../lib';
import { crdErrors } from './support/crd-schema';
import { find, type KubeObject, levelChart, synthLevel } from './support/synth';

const { DEVELOPMENT, STAGING, PRODUCTION } = AvailabilityLevel;

const ROUTE = {
  gateway: { name: 'public', namespace: 'gateway', sectionName: 'https' },
  hostnames: ['merlai.example.com'],
};

function synthApi(level: AvailabilityLevel, props: Partial<MerlaiApiProps>): KubeObject[] {
  const chart = new Chart(Testing.app(), 'chart', { namespace: 'merlai' });
  new MerlaiApi(chart, 'merlai-api', { level, ...props });
  return Testing.synth(chart) as KubeObject[];
}

describe('HTTPRoute: the Gateway API entry, instead of the Ingress', () => {
  const objects = synthApi(STAGING, { route: ROUTE });
  const route = find(objects, 'HTTPRoute', 'merlai-api');

  test('gateway.networking.k8s.io/v1 HTTPRoute named after the API, and no Ingress', () => {
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(objects.filter((o) => o.kind === 'Ingress')).toEqual([]);
  });

  test('attached to the named Gateway and listener', () => {
    expect(route.spec.parentRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'public',
        namespace: 'gateway',
        sectionName: 'https',
      },
    ]);
  });

  test('every path of the host names to the API Service port 80', () => {
    expect(route.spec.hostnames).toEqual(['merlai.example.com']);
    expect(route.spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ kind: 'Service', name: 'merlai-api', port: 80 }],
      },
    ]);
    const service = find(objects, 'Service', 'merlai-api');
    expect(service.spec.ports.map((p: { port: number }) => p.port)).toContain(80);
  });

  test('TLS stays at the Gateway: the route has no TLS fields', () => {
    expect(JSON.stringify(route.spec)).not.toMatch(/tls|certificate/i);
  });

  test('valid against the HTTPRoute CRD (Gateway API v1.4.0, standard channel)', () => {
    expect(crdErrors(route)).toEqual([]);
  });

  test('without sectionName or hostnames: every listener and host of the Gateway', () => {
    const bare = find(
      synthApi(STAGING, { route: { gateway: { name: 'public', namespace: 'gateway' } } }),
      'HTTPRoute',
      'merlai-api',
    );
    expect(bare.spec.parentRefs[0].sectionName).toBeUndefined();
    expect(bare.spec.hostnames).toBeUndefined();
    expect(crdErrors(bare)).toEqual([]);
  });
});

describe('HTTPRoute errors', () => {
  const build = (level: AvailabilityLevel, props: Partial<MerlaiApiProps>) => () => synthApi(level, props);

  test("'ingress' and 'route' are exclusive, and the error names both", () => {
    expect(build(STAGING, { route: ROUTE, ingress: { host: 'merlai.example.com' } })).toThrow(
      /\[chart\/merlai-api\] MerlaiApi: 'route' .*expected either 'ingress' or 'route', not both/,
    );
  });

  test('production route needs host names, and no TLS Secret', () => {
    expect(build(PRODUCTION, { route: { gateway: ROUTE.gateway } })).toThrow(
      /'route\.hostnames' is undefined; expected the public host name\(s\) of the API/,
    );
    expect(
      build(PRODUCTION, { route: ROUTE, storageClassName: 'cephfs', image: 'merlai:1.0.0' }),
    ).not.toThrow(/tlsSecretName/);
  });

  test('invalid host name and gateway namespace', () => {
    expect(build(STAGING, { route: { ...ROUTE, hostnames: ['https://merlai.example.com'] } })).toThrow(
      /'route\.hostnames\[0\]' is 'https:\/\/merlai\.example\.com'/,
    );
    expect(
      build(STAGING, { route: { ...ROUTE, gateway: { name: 'public', namespace: 'Gateway' } } }),
    ).toThrow(/'route\.gateway\.namespace' is 'Gateway'/);
  });
});

describe('level charts with an HTTPRoute', () => {
  test('level 3 requires the route, not an Ingress TLS Secret: the error names api.route.hostnames', () => {
    expect(() => levelChart(PRODUCTION, { api: { route: { gateway: ROUTE.gateway } } })).toThrow(
      /Level3ProductionChart: 'api\.route\.hostnames' is undefined/,
    );
  });

  test('level 2 with a route gets no placeholder Ingress, and needs an SLI source other than ingress-nginx', () => {
    expect(() => synthLevel(STAGING, { api: { route: ROUTE } })).toThrow(
      /MerlaiObservability: 'sliSource' is undefined; the API's entry is an HTTPRoute, .*SliSource\.traefik\(\)/,
    );
  });

  describe('network policy admits the Gateway, not the ingress controller (level 1, no SLO rules)', () => {
    const apiPolicy = (objects: KubeObject[]) => find(objects, 'NetworkPolicy', 'merlai-network-policy');

    test('default: every pod of the Gateway namespace', () => {
      const objects = synthLevel(DEVELOPMENT, { api: { route: ROUTE } });
      expect(find(objects, 'HTTPRoute', 'merlai-api').spec.hostnames).toEqual(['merlai.example.com']);
      expect(apiPolicy(objects).spec.ingress[0].from).toEqual([
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway' } } },
      ]);
    });

    test('gatewayNamespace and gatewayPodLabels: only the Gateway pods', () => {
      const objects = synthLevel(DEVELOPMENT, {
        api: { route: ROUTE },
        security: { gatewayNamespace: 'traefik', gatewayPodLabels: { 'app.kubernetes.io/name': 'traefik' } },
      });
      expect(apiPolicy(objects).spec.ingress[0].from).toEqual([
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } },
        },
      ]);
    });

    test('without a route: still the ingress controller namespace', () => {
      expect(apiPolicy(synthLevel(DEVELOPMENT)).spec.ingress[0].from).toEqual([
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
      ]);
    });
  });
});
