// Values of the API container's environment variables: literals, Secret keys, ConfigMap keys. No objects.
import type { k8s } from 'cdk8s-plus-28';

/** Where the value of an environment variable comes from. */
export class EnvValue {
  /** A literal value. Never use it for credentials: use `fromSecretKey`. */
  public static fromValue(value: string): EnvValue {
    return new EnvValue({ value });
  }

  /** A key of an existing Secret (`secretKeyRef`): the value never appears in the YAML. */
  public static fromSecretKey(secretName: string, key: string): EnvValue {
    return new EnvValue({ valueFrom: { secretKeyRef: { name: secretName, key } } });
  }

  /** A key of a ConfigMap (`configMapKeyRef`). */
  public static fromConfigMapKey(configMapName: string, key: string): EnvValue {
    return new EnvValue({ valueFrom: { configMapKeyRef: { name: configMapName, key } } });
  }

  private constructor(private readonly source: Omit<k8s.EnvVar, 'name'>) {}

  /** The Kubernetes `EnvVar` for this value under `name`. */
  public toEnvVar(name: string): k8s.EnvVar {
    return { name, ...this.source };
  }
}
