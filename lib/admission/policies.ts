// MerlaiAdmissionPolicies: ValidatingAdmissionPolicy + ValidatingAdmissionPolicyBinding pairs
// (admissionregistration.k8s.io/v1, Kubernetes 1.30 or later) that refuse, in one namespace, the
// hand edits that would break a level's promise: fewer API replicas than the floor, a deleted or
// weakened PodDisruptionBudget or autoscaler, Pod Security relaxed, a pod that is not "restricted",
// and (when the level pins images) an image without a digest.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { invalidProp } from '../core/errors';
import { type AvailabilityLevel, levelProfile } from '../core/levels';

/** A PodDisruptionBudget the policies keep: it may not be deleted, nor its `minAvailable` lowered. */
export interface GuardedDisruptionBudget {
  /** The budget's name. */
  readonly name: string;
  /** Its `minAvailable` as synthesized: the smallest value an edit may leave. */
  readonly minAvailable: number;
}

export interface MerlaiAdmissionPoliciesProps {
  /** The level whose invariants the policies hold. */
  readonly level: AvailabilityLevel;
  /** The namespace the bindings apply to (matched by its `kubernetes.io/metadata.name` label). */
  readonly namespace: string;
  /**
   * The API's Deployment (or Argo Rollout) name.
   * @default 'merlai-api'
   */
  readonly workloadName?: string | undefined;
  /**
   * The fewest API replicas an edit may leave.
   * @default - the level's fixed replica count, or its autoscaler's `minReplicas`
   */
  readonly minReplicas?: number | undefined;
  /**
   * The HorizontalPodAutoscaler that owns the replica count, kept from deletion and from a lower
   * `minReplicas`.
   * @default - none (the level has fixed replicas)
   */
  readonly autoscalerName?: string | undefined;
  /**
   * The budgets to keep.
   * @default - none
   */
  readonly disruptionBudgets?: GuardedDisruptionBudget[] | undefined;
  /**
   * Whether every container image of a new pod must be pinned by digest (`@sha256:`).
   * @default false
   */
  readonly requireImageDigests?: boolean | undefined;
}

/** One policy: what it matches, its CEL checks (each with the message the user sees). */
interface PolicySpec {
  readonly name: string;
  readonly rules: { apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: string[] }[];
  readonly matchConditions?: { name: string; expression: string }[] | undefined;
  readonly validations: { expression: string; message?: string; messageExpression?: string }[];
}

/**
 * Deletions by the namespace controller (a namespace being deleted) and the garbage collector are
 * let through: the policies guard against people, not against tearing the whole namespace down.
 */
const NOT_A_CONTROLLER = {
  name: 'not-the-namespace-controller',
  expression:
    "!(request.userInfo.username in ['system:serviceaccount:kube-system:namespace-controller', 'system:serviceaccount:kube-system:generic-garbage-collector', 'system:kube-controller-manager'])",
};

const ALL_CONTAINERS =
  '(has(object.spec.initContainers) ? object.spec.initContainers : []) + object.spec.containers' +
  ' + (has(object.spec.ephemeralContainers) ? object.spec.ephemeralContainers : [])';

/**
 * The level's invariants as admission policies: what `kubectl edit` may not do in the level's
 * namespace. Needs Kubernetes 1.30 or later (ValidatingAdmissionPolicy v1); the level charts emit
 * it only when asked (`admissionPolicies: true`).
 */
export class MerlaiAdmissionPolicies extends Construct {
  /** The policies' names, in the order they were added. */
  public readonly policyNames: string[] = [];

  constructor(scope: Construct, id: string, props: MerlaiAdmissionPoliciesProps) {
    super(scope, id);
    const profile = levelProfile(props.level);
    const ns = props.namespace;
    const workload = props.workloadName ?? 'merlai-api';
    const floor = props.minReplicas ?? profile.replicas ?? profile.autoscaling?.minReplicas ?? 1;
    if (!Number.isInteger(floor) || floor < 1) {
      invalidProp(
        this,
        'MerlaiAdmissionPolicies',
        'minReplicas',
        props.minReplicas,
        'expected an integer of at least 1',
      );
    }
    for (const pdb of props.disruptionBudgets ?? []) {
      if (!Number.isInteger(pdb.minAvailable) || pdb.minAvailable < 0) {
        invalidProp(
          this,
          'MerlaiAdmissionPolicies',
          `disruptionBudgets[${pdb.name}].minAvailable`,
          pdb.minAvailable,
          'expected an integer of at least 0',
        );
      }
    }
    const where = `level ${profile.number} (${profile.level})`;
    const prefix = `merlai-${ns}`;

    this.add(ns, {
      name: `${prefix}-replica-floor`,
      rules: [
        {
          apiGroups: ['apps'],
          apiVersions: ['v1'],
          resources: ['deployments'],
          operations: ['CREATE', 'UPDATE'],
        },
        {
          apiGroups: ['apps'],
          apiVersions: ['v1'],
          resources: ['deployments/scale'],
          operations: ['UPDATE'],
        },
        {
          apiGroups: ['argoproj.io'],
          apiVersions: ['v1alpha1'],
          resources: ['rollouts'],
          operations: ['CREATE', 'UPDATE'],
        },
        {
          apiGroups: ['argoproj.io'],
          apiVersions: ['v1alpha1'],
          resources: ['rollouts/scale'],
          operations: ['UPDATE'],
        },
      ],
      matchConditions: [{ name: 'the-api-workload', expression: `object.metadata.name == '${workload}'` }],
      validations: [
        {
          // An autoscaled Deployment is created with the API server's default of 1 replica, and
          // its autoscaler raises it: only a lowering below the floor is refused.
          expression: props.autoscalerName
            ? `request.subResource == 'scale' ? object.spec.replicas >= ${floor} : (request.operation == 'CREATE' || object.spec.replicas >= ${floor} || object.spec.replicas >= oldObject.spec.replicas)`
            : `object.spec.replicas >= ${floor}`,
          messageExpression: `'${workload} may not run fewer than ${floor} replicas at ${where}: ' + string(object.spec.replicas) + ' requested'`,
        },
      ],
    });

    if (props.autoscalerName) {
      this.add(ns, {
        name: `${prefix}-autoscaler-floor`,
        rules: [
          {
            apiGroups: ['autoscaling'],
            apiVersions: ['v2'],
            resources: ['horizontalpodautoscalers'],
            operations: ['UPDATE', 'DELETE'],
          },
        ],
        matchConditions: [
          {
            name: 'the-api-autoscaler',
            expression: `(request.operation == 'DELETE' ? oldObject : object).metadata.name == '${props.autoscalerName}'`,
          },
          NOT_A_CONTROLLER,
        ],
        validations: [
          {
            expression: `request.operation != 'DELETE' && object.spec.minReplicas >= ${floor}`,
            message: `the autoscaler ${props.autoscalerName} may not be deleted, nor its minReplicas set below ${floor}, at ${where}`,
          },
        ],
      });
    }

    const budgets = props.disruptionBudgets ?? [];
    if (budgets.length > 0) {
      const names = budgets.map((b) => `'${b.name}'`).join(', ');
      const minimum = budgets.map((b) => `'${b.name}': ${b.minAvailable}`).join(', ');
      this.add(ns, {
        name: `${prefix}-disruption-budgets`,
        rules: [
          {
            apiGroups: ['policy'],
            apiVersions: ['v1'],
            resources: ['poddisruptionbudgets'],
            operations: ['UPDATE', 'DELETE'],
          },
        ],
        matchConditions: [
          { name: 'a-guarded-budget', expression: `oldObject.metadata.name in [${names}]` },
          NOT_A_CONTROLLER,
        ],
        validations: [
          {
            expression: `request.operation != 'DELETE'`,
            messageExpression: `'the PodDisruptionBudget ' + oldObject.metadata.name + ' may not be deleted at ${where}'`,
          },
          {
            expression: `request.operation == 'DELETE' || (has(object.spec.minAvailable) && type(object.spec.minAvailable) == int && object.spec.minAvailable >= {${minimum}}[object.metadata.name] && !has(object.spec.maxUnavailable))`,
            messageExpression: `'the PodDisruptionBudget ' + oldObject.metadata.name + ' must keep minAvailable of at least ' + string({${minimum}}[oldObject.metadata.name]) + ' at ${where}'`,
          },
        ],
      });
    }

    this.add(ns, {
      name: `${prefix}-pod-security`,
      rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['UPDATE'] }],
      matchConditions: [{ name: 'the-level-namespace', expression: `object.metadata.name == '${ns}'` }],
      validations: [
        {
          expression:
            "has(object.metadata.labels) && 'pod-security.kubernetes.io/enforce' in object.metadata.labels && object.metadata.labels['pod-security.kubernetes.io/enforce'] == 'restricted'",
          message: `namespace ${ns} must keep pod-security.kubernetes.io/enforce: restricted at ${where}`,
        },
      ],
    });

    const podChecks: PolicySpec['validations'] = [
      {
        expression:
          '!(has(object.spec.hostNetwork) && object.spec.hostNetwork) && !(has(object.spec.hostPID) && object.spec.hostPID) && !(has(object.spec.hostIPC) && object.spec.hostIPC)',
        message: `pods in ${ns} may not use the host's network, PID or IPC namespace (Pod Security restricted, ${where})`,
      },
      {
        expression: `(${ALL_CONTAINERS}).all(c, has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false && !(has(c.securityContext.privileged) && c.securityContext.privileged))`,
        messageExpression: `'every container in ${ns} must set allowPrivilegeEscalation: false and not be privileged (Pod Security restricted, ${where}); not: ' + (${ALL_CONTAINERS}).filter(c, !has(c.securityContext) || !has(c.securityContext.allowPrivilegeEscalation) || c.securityContext.allowPrivilegeEscalation != false || (has(c.securityContext.privileged) && c.securityContext.privileged)).map(c, c.name).join(', ')`,
      },
      {
        expression: `(${ALL_CONTAINERS}).all(c, has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && 'ALL' in c.securityContext.capabilities.drop)`,
        message: `every container in ${ns} must drop ALL capabilities (Pod Security restricted, ${where})`,
      },
      {
        expression: `(${ALL_CONTAINERS}).all(c, (has(c.securityContext) && has(c.securityContext.runAsNonRoot) && c.securityContext.runAsNonRoot) || (has(object.spec.securityContext) && has(object.spec.securityContext.runAsNonRoot) && object.spec.securityContext.runAsNonRoot && !(has(c.securityContext) && has(c.securityContext.runAsNonRoot) && !c.securityContext.runAsNonRoot)))`,
        message: `pods in ${ns} must run as non-root (runAsNonRoot: true; Pod Security restricted, ${where})`,
      },
      {
        expression: `(${ALL_CONTAINERS}).all(c, (has(c.securityContext) && has(c.securityContext.seccompProfile) ? c.securityContext.seccompProfile.type : (has(object.spec.securityContext) && has(object.spec.securityContext.seccompProfile) ? object.spec.securityContext.seccompProfile.type : 'Unconfined')) in ['RuntimeDefault', 'Localhost'])`,
        message: `pods in ${ns} must use the seccomp profile RuntimeDefault or Localhost (Pod Security restricted, ${where})`,
      },
    ];
    if (props.requireImageDigests ?? false) {
      podChecks.push({
        expression: `(${ALL_CONTAINERS}).all(c, c.image.contains('@sha256:'))`,
        messageExpression: `'every image in ${ns} must be pinned by digest (@sha256:) at ${where}; not: ' + (${ALL_CONTAINERS}).filter(c, !c.image.contains('@sha256:')).map(c, c.image).join(', ')`,
      });
    }
    this.add(ns, {
      name: `${prefix}-restricted-pods`,
      rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] }],
      validations: podChecks,
    });
  }

  private add(namespace: string, spec: PolicySpec): void {
    this.policyNames.push(spec.name);
    new ApiObject(this, spec.name, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: spec.name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: spec.rules,
          // Cluster-scoped Namespace objects are matched on their own labels.
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
        },
        ...(spec.matchConditions ? { matchConditions: spec.matchConditions } : {}),
        validations: spec.validations,
      },
    });
    new ApiObject(this, `${spec.name}-binding`, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: spec.name },
      spec: {
        policyName: spec.name,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } },
      },
    });
  }
}
