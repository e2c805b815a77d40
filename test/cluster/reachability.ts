/**
 * Stage 3 of the real-cluster step (scripts/cluster/test.sh): the reachability matrix of one level,
 * measured with real connections between real pods under the real enforcer (kube-router's
 * network policy controller, scripts/cluster/manifests/kube-router.yaml), compared with the matrix the project's evaluator
 * (cli/network-policy.ts) computes for the same level's policies and the same pods.
 *
 * Around the level's own pods it starts real pods with the labels and ports of the evaluator's
 * surroundings (cli/cluster-model.ts: the ingress controller, Prometheus, another team's
 * pod, a stray pod in Merlai's namespace) and a pod with the backup CronJob's pod labels; at a level
 * with a CloudNativePG `Cluster` or a `RedisReplication` also pods with the labels of those
 * operators' installs (their policies admit them). CoreDNS is the cluster's real DNS; the API server
 * is the node's address on 6443. The level's own pods are whatever runs in `merlai`: at Levels 2 and
 * 3 the datastore pods are the stand-ins scripts/cluster/levels23.sh starts for the operators' pods
 * (no operator runs here), modelled by their live labels, addresses and ports like every other pod.
 *
 * From every pod it tries every listening port of every other endpoint (flows that start or end at
 * one of Merlai's pods): TCP by opening a connection, DNS over UDP by a real query. Any flow the
 * evaluator allows that is refused, or that it denies and that gets through, fails the step.
 *
 * Usage: node -r esbuild-register test/cluster/reachability.ts dist/LEVEL.k8s.yaml
 * Environment: KUBECTL (a kubectl for the cluster), MERLAI_TESTCLIENT_IMAGE, MERLAI_API_SERVER_IP.
 * Fixture: with MERLAI_REACHABILITY_FIXTURE=drop-dns the cluster gets the level's policies with every
 * egress rule on port 53 removed, while the evaluator keeps the level's own: the step must fail
 * (the DNS flows are refused); test.sh asserts that it does, then restores the level's policies.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadAll } from 'js-yaml';
import { SURROUNDINGS } from '../../cli/cluster-model';
import {
  type ClusterModel,
  flowName,
  type ListeningPort,
  type ModelEndpoint,
  type ModelPod,
  NetworkPolicyEvaluator,
  type NetworkPolicyObject,
  type Protocol,
} from '../../cli/network-policy';

const APP_NAMESPACE = 'merlai';
const TEST_NAMESPACES = ['ingress-nginx', 'monitoring', 'other-team', 'cnpg-system', 'ot-operators'];
const PROBE_TIMEOUT_S = 3;

const kubectl = process.env.KUBECTL ?? 'kubectl';
const image = required('MERLAI_TESTCLIENT_IMAGE');
const apiServerIp = required('MERLAI_API_SERVER_IP');

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`reachability: environment variable ${name} is required`);
  return v;
}

function kc(args: string[], input?: string): string {
  const r = spawnSync(kubectl, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

type Obj = any;

function probePod(name: string, namespace: string, labels: Record<string, string>, ports: number[]): Obj {
  const listen = ports.length ? ports.map((p) => `nc -lk ${p} </dev/null >/dev/null &`).join(' ') : 'true;';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { ...labels, 'merlai.test/reachability': 'probe' } },
    spec: {
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
        // The ingress controller's ports 80 and 443, without root or a capability.
        sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
      },
      containers: [
        {
          name: 'probe',
          image,
          command: ['bash', '-c', `${listen} exec sleep infinity`],
          ports: ports.map((p) => ({ containerPort: p })),
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
          ...(ports.length ? { readinessProbe: { tcpSocket: { port: ports[0] }, periodSeconds: 1 } } : {}),
        },
      ],
    },
  };
}

function main(): number {
  const file = process.argv[2];
  if (!file) throw new Error('usage: reachability.ts dist/LEVEL.k8s.yaml');
  const objects = (loadAll(readFileSync(file, 'utf8')) as Obj[]).filter(Boolean);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as NetworkPolicyObject[];

  // --- the surrounding pods, with the evaluator's own labels and ports --------------------------
  // Levels 2 and 3 hand their datastores to operators, whose pods the levels' policies admit: a pod
  // with the labels of each operator's install (CloudNativePG's chart; the redis-operator's chart
  // and its kustomize manifests) where the level has that operator's custom resource.
  const wanted = ['ingress-controller', 'prometheus', 'other-team', 'stray'];
  if (objects.some((o) => o.kind === 'Cluster' && /^postgresql\.cnpg\.io\//.test(o.apiVersion))) {
    wanted.push('cnpg-operator');
  }
  if (objects.some((o) => o.kind === 'RedisReplication')) {
    wanted.push('redis-operator', 'redis-operator-kustomize');
  }
  const probes: Obj[] = [];
  const namespaces = new Set(
    SURROUNDINGS.filter((e) => e.kind === 'pod' && wanted.includes(e.name)).map(
      (e) => (e as ModelPod).namespace,
    ),
  );
  for (const ns of TEST_NAMESPACES.filter((n) => namespaces.has(n))) {
    probes.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }
  for (const e of SURROUNDINGS) {
    if (e.kind !== 'pod' || !wanted.includes(e.name)) continue;
    probes.push(
      probePod(
        e.name,
        e.namespace,
        e.labels,
        e.ports.map((p) => p.port),
      ),
    );
  }
  const backup = objects.find((o) => o.kind === 'CronJob' && /backup/.test(o.metadata.name));
  if (backup) {
    probes.push(probePod('backup', APP_NAMESPACE, backup.spec.jobTemplate.spec.template.metadata.labels, []));
  }
  kc(['apply', '-f', '-'], probes.map((p) => JSON.stringify(p)).join('\n'));
  kc([
    'wait',
    '--for=condition=Ready',
    'pod',
    '-A',
    '-l',
    'merlai.test/reachability=probe',
    '--timeout=120s',
  ]);
  if (process.env.MERLAI_REACHABILITY_FIXTURE === 'drop-dns') {
    const withoutDns = policies.map((p) => ({
      ...p,
      spec: {
        ...p.spec,
        egress: p.spec.egress?.filter((rule) => !(rule.ports ?? []).some((port) => port.port === 53)),
      },
    }));
    const before = enforcerRules();
    kc(['apply', '-f', '-'], withoutDns.map((p) => JSON.stringify(p)).join('\n'));
    console.log("REACH fixture: the cluster runs the level's policies without their DNS egress rules");
    settle(before);
  } else {
    settle();
  }

  // --- the model: the live pods, their real addresses, labels and ports ---------------------------
  const nsList = JSON.parse(kc(['get', 'namespaces', '-o', 'json'])).items as Obj[];
  const podList = (JSON.parse(kc(['get', 'pods', '-A', '-o', 'json'])).items as Obj[]).filter(
    (p) =>
      p.status.phase === 'Running' &&
      p.status.podIP &&
      !p.spec.hostNetwork &&
      (p.metadata.namespace === APP_NAMESPACE ||
        TEST_NAMESPACES.includes(p.metadata.namespace) ||
        p.metadata.labels?.['k8s-app'] === 'kube-dns'),
  );
  const pods: (ModelPod & { container: string })[] = podList.map((p) => ({
    kind: 'pod',
    name: p.metadata.name,
    namespace: p.metadata.namespace,
    labels: p.metadata.labels ?? {},
    ip: p.status.podIP,
    container: p.spec.containers[0].name,
    ports: p.spec.containers.flatMap((c: Obj) =>
      (c.ports ?? []).map(
        (port: Obj): ListeningPort => ({
          port: port.containerPort,
          protocol: (port.protocol ?? 'TCP') as Protocol,
          name: port.name,
        }),
      ),
    ),
  }));
  const apiServer: ModelEndpoint = {
    kind: 'address',
    name: 'api-server',
    ip: apiServerIp,
    ports: [{ port: 6443 }],
  };
  const model: ClusterModel = {
    namespaces: nsList.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels ?? {} })),
    endpoints: [...pods, apiServer],
  };
  const evaluator = new NetworkPolicyEvaluator(policies, model);
  const involving = (e: ModelEndpoint) => e.kind === 'pod' && e.namespace === APP_NAMESPACE;
  const expected = new Set(evaluator.matrix(involving));

  // --- the measurement: every flow involving Merlai's pods, from its real source pod -------------
  const measured = new Set<string>();
  const refused: string[] = [];
  let probed = 0;
  for (const from of pods) {
    const targets: { flow: string; ip: string; port: number; protocol: Protocol }[] = [];
    for (const to of model.endpoints) {
      if (to === from || !(involving(from) || involving(to))) continue;
      for (const p of to.ports) {
        const protocol = p.protocol ?? 'TCP';
        if (protocol === 'UDP' && p.port !== 53) continue; // only DNS speaks UDP here
        targets.push({ flow: flowName(from, to, p.port, protocol), ip: to.ip, port: p.port, protocol });
      }
    }
    if (targets.length === 0) continue;
    const results = probeFrom(from, targets);
    probed += targets.length;
    for (const [flow, ok] of results) {
      if (ok) measured.add(flow);
      else refused.push(flow);
    }
  }

  const missing = [...expected].filter((f) => !measured.has(f)).sort();
  const unexpected = [...measured].filter((f) => !expected.has(f)).sort();
  console.log(
    `REACH ${file}: ${probed} flows tried from ${pods.length} pods; ${measured.size} connected, ` +
      `${probed - measured.size} refused; the evaluator allows ${expected.size}`,
  );
  for (const f of [...measured].sort()) console.log(`REACH   allowed ${f}`);
  for (const f of refused.sort()) console.log(`REACH   refused ${f}`);
  for (const f of missing) console.log(`REACH FAIL the evaluator allows but the cluster refused: ${f}`);
  for (const f of unexpected)
    console.log(`REACH FAIL the evaluator denies but the cluster let through: ${f}`);
  // Gone before the next run starts the same pods again (the fixture, another level).
  kc(['delete', 'pod', '-A', '-l', 'merlai.test/reachability=probe', '--timeout=60s']);
  if (missing.length || unexpected.length) return 1;
  console.log("REACH the measured matrix equals the evaluator's");
  return 0;
}

/**
 * The enforcer's filter rules without counters, with kube-router's per-sync chain and set names
 * (KUBE-POD-FW-<hash of the sync version>, ...) replaced by one placeholder: equal between two
 * syncs of the same pods and policies, different once a policy or a pod changed.
 */
function enforcerRules(): string {
  const pod = kc(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-router', '-o', 'name']).trim();
  if (!pod) throw new Error('reachability: no kube-router pod in kube-system (the enforcer)');
  const rules = kc(['-n', 'kube-system', 'exec', pod.split('\n')[0], '--', 'iptables-save', '-t', 'filter']);
  return rules
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '').replace(/KUBE-[A-Z]+(-[A-Z]+)*-[A-Z2-7]{16}/g, 'KUBE-X'))
    .sort()
    .join('\n');
}

/**
 * Wait until the enforcer has programmed what the measurement relies on: a jump to a firewall
 * chain for every running pod (kube-router syncs after pod events), the rules changed from
 * `before` when given (a policy was just replaced), and then unchanged for 3 s (the sync is done).
 */
function settle(before?: string): void {
  const t0 = Date.now();
  let last = '';
  let stableSince = 0;
  for (;;) {
    const pods = (JSON.parse(kc(['get', 'pods', '-A', '-o', 'json'])).items as Obj[]).filter(
      (p) =>
        p.status.phase === 'Running' &&
        p.status.podIP &&
        !p.spec.hostNetwork &&
        !p.metadata.deletionTimestamp,
    );
    const rules = enforcerRules();
    const unchained = pods
      .filter(
        (p) => !rules.includes(`POD name:${p.metadata.name} namespace: ${p.metadata.namespace} to chain`),
      )
      .map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    const changed = before === undefined || rules !== before;
    if (rules !== last) stableSince = Date.now();
    last = rules;
    if (unchained.length === 0 && changed && Date.now() - stableSince >= 3000) break;
    if (Date.now() - t0 > 120_000) {
      throw new Error(
        "reachability: the enforcer's rules did not settle in 120 s (pods without a firewall chain: " +
          `${unchained.join(', ') || 'none'}; changed since the policy update: ${changed})`,
      );
    }
    spawnSync('sleep', ['1']);
  }
  console.log(`REACH the enforcer's rules settled after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** Run every probe of one source pod concurrently inside it (bash's /dev/tcp and /dev/udp). */
function probeFrom(
  from: ModelPod & { container: string },
  targets: { flow: string; ip: string; port: number; protocol: Protocol }[],
): Map<string, boolean> {
  // A DNS query for kubernetes.default.svc.cluster.local, type A.
  const query =
    '\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00' +
    '\\x0akubernetes\\x07default\\x03svc\\x07cluster\\x05local\\x00\\x00\\x01\\x00\\x01';
  const lines = targets.map((t, i) => {
    const attempt =
      t.protocol === 'UDP'
        ? `exec 3<>/dev/udp/${t.ip}/${t.port}; printf '${query}' >&3; [ "$(timeout ${PROBE_TIMEOUT_S} dd bs=512 count=1 <&3 2>/dev/null | wc -c)" -gt 0 ]`
        : `timeout ${PROBE_TIMEOUT_S} bash -c 'exec 3<>/dev/tcp/${t.ip}/${t.port}' 2>/dev/null`;
    return `( ${attempt} ) && echo "${i} ok" || echo "${i} no" &`;
  });
  const script = `${lines.join('\n')}\nwait\n`;
  let args = ['-n', from.namespace, 'exec', from.name, '-c', from.container, '--', 'bash', '-c', script];
  if (from.labels['k8s-app'] === 'kube-dns') args = debugContainer(from, script);
  const out = kc(args);
  const results = new Map<string, boolean>();
  for (const line of out.split('\n')) {
    const m = /^(\d+) (ok|no)$/.exec(line.trim());
    if (m) results.set(targets[Number(m[1])].flow, m[2] === 'ok');
  }
  if (results.size !== targets.length) {
    throw new Error(
      `probes from ${from.namespace}/${from.name}: ${results.size} of ${targets.length} answered:\n${out}`,
    );
  }
  return results;
}

/** CoreDNS's image holds one binary: probe from an ephemeral container in its network namespace. */
function debugContainer(from: ModelPod, script: string): string[] {
  const pod = JSON.parse(kc(['-n', from.namespace, 'get', 'pod', from.name, '-o', 'json']));
  const has = (pod.spec.ephemeralContainers ?? []).some((c: Obj) => c.name === 'reach-probe');
  if (!has) {
    kc([
      '-n',
      from.namespace,
      'debug',
      from.name,
      '--image',
      image,
      '--container',
      'reach-probe',
      '--',
      'sleep',
      'infinity',
    ]);
    for (let i = 0; i < 60; i++) {
      const p = JSON.parse(kc(['-n', from.namespace, 'get', 'pod', from.name, '-o', 'json']));
      const st = (p.status.ephemeralContainerStatuses ?? []).find((c: Obj) => c.name === 'reach-probe');
      if (st?.state?.running) break;
      spawnSync('sleep', ['1']);
    }
  }
  return ['-n', from.namespace, 'exec', from.name, '-c', 'reach-probe', '--', 'bash', '-c', script];
}

process.exitCode = main();
