/**
 * The SLIs' source: ingress-nginx (the default) or Traefik. Expected metric and label names come
 * from Traefik's Prometheus metrics documentation (service metrics `traefik_service_requests_total`
 * and `traefik_service_request_duration_seconds`, labels code/method/protocol/service, default
 * buckets 0.1, 0.3, 1.2, 5) and from its kubernetesgateway provider's service naming
 * (`<namespace>-<service>-<port>`, pkg/provider/kubernetes/gateway/httproute.go).
 */
import { Duration } from 'cdk8s';
import { AvailabilityLevel, SliSource } from '../lib';
import { crdErrors } from './support/crd-schema';
import { find, type KubeObject, synthLevel } from './support/synth';

const { STAGING, PRODUCTION } = AvailabilityLevel;
const ROUTE = {
  gateway: { name: 'public', namespace: 'traefik', sectionName: 'websecure' },
  hostnames: ['merlai.example.com'],
};
const SERVICE = 'service=~"merlai-merlai-api-(80|http)@.+"';

function exprs(objects: KubeObject[], name: string): string[] {
  return find(objects, 'PrometheusRule', name).spec.groups.flatMap((g: { rules: { expr: string }[] }) =>
    g.rules.map((r) => r.expr),
  );
}

describe('SliSource.traefik() behind an HTTPRoute, level 3 (threshold 5 s, a default Traefik bucket)', () => {
  const objects = synthLevel(PRODUCTION, {
    api: { route: ROUTE },
    observability: { sliSource: SliSource.traefik() },
  });
  const rules = exprs(objects, 'merlai-api-slo');
  const all = rules.join('\n');

  test('the SLO rules read Traefik service metrics, selected by the API service, and no ingress-nginx series', () => {
    expect(all).toContain(`sum(rate(traefik_service_requests_total{${SERVICE}}[5m]))`);
    expect(all).toContain(`traefik_service_requests_total{${SERVICE},code=~"5.."}`);
    expect(all).toContain(`traefik_service_request_duration_seconds_bucket{${SERVICE},le=~"5(\\\\.0)?"}`);
    expect(all).toContain(`traefik_service_request_duration_seconds_count{${SERVICE}}`);
    expect(all).not.toMatch(/nginx/);
  });

  test('the no-data alert looks for the Traefik series', () => {
    expect(all).toContain(`absent(traefik_service_requests_total{${SERVICE}})`);
  });

  test('the PrometheusRule is valid against its CRD', () => {
    expect(crdErrors(find(objects, 'PrometheusRule', 'merlai-api-slo'))).toEqual([]);
  });

  test('the dashboard panels follow the source (status class from the code label)', () => {
    const data = find(objects, 'ConfigMap', 'merlai-dashboard').data;
    const dashboard = JSON.parse(String(Object.values(data)[0]));
    const queries: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) =>
      (p.targets ?? []).map((t) => t.expr),
    );
    const text = queries.join('\n');
    expect(text).toContain(
      `histogram_quantile(0.99, sum by (le) (rate(traefik_service_request_duration_seconds_bucket{${SERVICE}}[5m])))`,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: label_replace's capture reference, not a template
    expect(text).toContain('"status_class", "${1}xx", "code", "([0-9]).."');
    expect(text).not.toContain('nginx_ingress_controller');
  });

  test('the network policy admits the Gateway namespace, not ingress-nginx', () => {
    const policy = find(objects, 'NetworkPolicy', 'merlai-network-policy');
    expect(policy.spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } },
    ]);
  });
});

describe('latency threshold against Traefik buckets', () => {
  test('level 2 (10 s) is not a default Traefik bucket: the error lists the buckets and how to configure Traefik', () => {
    const build = () =>
      synthLevel(STAGING, { api: { route: ROUTE }, observability: { sliSource: SliSource.traefik() } });
    expect(build).toThrow(
      /'latencyThreshold' is '10s'; expected a bound of Traefik's request-duration histogram, in seconds: 0\.1, 0\.3, 1\.2, 5 .*--metrics\.prometheus\.buckets=0\.1,0\.3,1\.2,5,10.*SliSource\.traefik\(\{ durationBuckets/,
    );
  });

  test('level 2 with Traefik configured for 10 s buckets: the 10 s bucket is read', () => {
    const objects = synthLevel(STAGING, {
      api: { route: ROUTE },
      observability: { sliSource: SliSource.traefik({ durationBuckets: [0.1, 0.3, 1.2, 5, 10] }) },
    });
    expect(exprs(objects, 'merlai-api-slo').join('\n')).toContain('le=~"10(\\\\.0)?"');
  });

  test('level 2 with latencyThreshold 5 s: a default bucket', () => {
    const objects = synthLevel(STAGING, {
      api: { route: ROUTE },
      observability: { sliSource: SliSource.traefik(), latencyThreshold: Duration.seconds(5) },
    });
    expect(exprs(objects, 'merlai-api-slo').join('\n')).toContain('le=~"5(\\\\.0)?"');
  });
});

describe('SliSource.traefik() behind an Ingress of the traefik class', () => {
  test('accepted (no ingress-nginx class check), the service selector matches the Ingress backend port name', () => {
    const objects = synthLevel(STAGING, {
      api: { ingress: { host: 'merlai-staging.example.com', className: 'traefik' } },
      observability: { sliSource: SliSource.traefik(), latencyThreshold: Duration.seconds(5) },
    });
    expect(exprs(objects, 'merlai-api-slo').join('\n')).toContain(SERVICE);
  });

  test('ingress-nginx-only props are refused with Traefik', () => {
    expect(() =>
      synthLevel(STAGING, {
        observability: { sliSource: SliSource.traefik(), ingressNamespaceLabel: 'namespace' },
      }),
    ).toThrow(
      /'ingressNamespaceLabel' is 'namespace'; applies to ingress-nginx only, and 'sliSource' is traefik/,
    );
  });
});

describe('SliSource.ingressNginx()', () => {
  test('explicit default: the same rules as no source at all', () => {
    const explicit = exprs(
      synthLevel(STAGING, { observability: { sliSource: SliSource.ingressNginx() } }),
      'merlai-api-slo',
    );
    expect(explicit).toEqual(exprs(synthLevel(STAGING), 'merlai-api-slo'));
  });

  test('its options: namespace label and classes', () => {
    const objects = synthLevel(STAGING, {
      api: { ingress: { host: 'merlai-staging.example.com', className: 'internal-nginx' } },
      observability: {
        sliSource: SliSource.ingressNginx({ namespaceLabel: 'namespace', classes: ['internal-nginx'] }),
      },
    });
    expect(exprs(objects, 'merlai-api-slo').join('\n')).toContain(
      'nginx_ingress_controller_requests{namespace="merlai",ingress="merlai-api"}',
    );
  });

  test('an Ingress of an unknown class still fails, naming sliSource as a way out', () => {
    expect(() =>
      synthLevel(STAGING, { api: { ingress: { host: 'merlai-staging.example.com', className: 'alb' } } }),
    ).toThrow(
      /'api\.ingress\.className' is 'alb'; the SLO rules read ingress-nginx's metrics.*'sliSource' \(SliSource\.traefik\(\)\)/,
    );
  });
});
