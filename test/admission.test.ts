import { Chart, Testing } from 'cdk8s';
import { MerlaiAdmissionPolicies } from '../lib/admission/policies';
import { AvailabilityLevel } from '../lib/core/levels';

// The policies' behaviour is proven on a real API server (test/conformance/admission.ts, run by
// the conformance step on Kubernetes 1.30 or later); these tests pin their shape.
function synth(props: Partial<ConstructorParameters<typeof MerlaiAdmissionPolicies>[2]> = {}) {
  const chart = new Chart(Testing.app(), 'c');
  new MerlaiAdmissionPolicies(chart, 'p', {
    level: AvailabilityLevel.PRODUCTION,
    namespace: 'merlai',
    ...props,
  });
  return Testing.synth(chart);
}

describe('MerlaiAdmissionPolicies', () => {
  test('every policy has a binding of the same name that denies, in the named namespace only', () => {
    const objects = synth({
      autoscalerName: 'merlai-api-hpa',
      disruptionBudgets: [{ name: 'merlai-api', minAvailable: 2 }],
    });
    const policies = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy');
    const bindings = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(
      bindings.map((b) => b.spec.policyName).sort(),
    );
    for (const o of [...policies, ...bindings]) expect(o.apiVersion).toBe('admissionregistration.k8s.io/v1');
    for (const b of bindings) {
      expect(b.spec.validationActions).toEqual(['Deny']);
      expect(b.spec.matchResources.namespaceSelector).toEqual({
        matchLabels: { 'kubernetes.io/metadata.name': 'merlai' },
      });
    }
    for (const p of policies) expect(p.spec.failurePolicy).toBe('Fail');
    expect(policies).toHaveLength(5);
  });

  test("level 3 replica floor: 3, the guide's HPA minReplicas (operations guide, HPA: minReplicas: 3)", () => {
    const floor = synth().find((o) => o.metadata.name === 'merlai-merlai-replica-floor');
    expect(floor.spec.validations[0].expression).toBe('object.spec.replicas >= 3');
    expect(floor.spec.matchConditions).toEqual([
      { name: 'the-api-workload', expression: "object.metadata.name == 'merlai-api'" },
    ]);
  });

  test("level 2 replica floor: 2, the guide's staging replicas (operations guide: replicas: 2)", () => {
    const floor = synth({ level: AvailabilityLevel.STAGING }).find(
      (o) => o.metadata.name === 'merlai-merlai-replica-floor',
    );
    expect(floor.spec.validations[0].expression).toBe('object.spec.replicas >= 2');
  });

  test('an image digest is required only when asked', () => {
    const rule = (objects: any[]) =>
      objects
        .find((o) => o.metadata.name === 'merlai-merlai-restricted-pods')
        .spec.validations.some((v: any) => v.expression.includes('@sha256:'));
    expect(rule(synth())).toBe(false);
    expect(rule(synth({ requireImageDigests: true }))).toBe(true);
  });

  test('deletions by the namespace controller pass (a namespace can still be deleted)', () => {
    const pdb = synth({ disruptionBudgets: [{ name: 'merlai-api', minAvailable: 2 }] }).find(
      (o) => o.metadata.name === 'merlai-merlai-disruption-budgets',
    );
    expect(pdb.spec.matchConditions.map((c: any) => c.expression).join(' ')).toContain(
      'system:serviceaccount:kube-system:namespace-controller',
    );
  });

  test('bad input names the construct, the prop, the value and what is valid', () => {
    expect(() => synth({ minReplicas: 0 })).toThrow(
      "[c/p] MerlaiAdmissionPolicies: 'minReplicas' is 0; expected an integer of at least 1",
    );
    expect(() => synth({ disruptionBudgets: [{ name: 'x', minAvailable: 1.5 }] })).toThrow(
      "'disruptionBudgets[x].minAvailable' is 1.5",
    );
  });
});
