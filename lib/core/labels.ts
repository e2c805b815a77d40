// The labels every Merlai object carries: selector labels of a component, labels of a level chart. No objects.

/** The labels that select one Merlai component's pods. They sit in immutable selectors: never change them. */
export function selectorLabels(name: string, component: string, instance: string): Record<string, string> {
  return {
    app: name,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'merlai',
  };
}

/** Labels set on every object of a level chart (metadata only, never in selectors). */
export function chartLabels(levelNumber: number, environment: string): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': 'merlai',
    'app.kubernetes.io/managed-by': 'cdk8s',
    'merlai.io/level': String(levelNumber),
    'merlai.io/environment': environment,
  };
}
