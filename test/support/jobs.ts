import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type AvailabilityLevel, LEVEL_PROFILES } from '../../lib/core/levels';
import { find, type KubeObject } from './synth';

/**
 * The objects of a level as committed in `dist/`: the YAML that gets applied (the dist test
 * proves it equals a fresh synth), read without loading the constructs.
 */
export function distObjects(level: AvailabilityLevel): KubeObject[] {
  const file = path.resolve(__dirname, '../../dist', `${LEVEL_PROFILES[level].chartId}.k8s.yaml`);
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as KubeObject);
}

/** The main container of a CronJob's pod template (the one after its init containers). */
export function cronJobContainer(objects: KubeObject[], name: string): KubeObject {
  return find(objects, 'CronJob', name).spec.jobTemplate.spec.template.spec.containers[0];
}

/** Every container of a CronJob's pod, in the order they run: init containers, then the main one. */
export function cronJobSteps(objects: KubeObject[], name: string): KubeObject[] {
  const pod = find(objects, 'CronJob', name).spec.jobTemplate.spec.template.spec;
  return [...(pod.initContainers ?? []), ...pod.containers];
}

/** The container of a CronJob's pod with this name (init or main); fails when there is none. */
export function cronJobStep(objects: KubeObject[], name: string, container: string): KubeObject {
  const found = cronJobSteps(objects, name).find((c) => c.name === container);
  if (!found) throw new Error(`CronJob ${name} has no container ${container}`);
  return found;
}

/**
 * The environment a container sees, built from its YAML: literal values as written, Secret keys
 * from `secrets` (a Secret or key the pod would not find fails here too), and paths under a
 * volume mount moved to the local directory standing in for that volume (`mounts`).
 */
export function containerEnv(
  container: KubeObject,
  secrets: Record<string, Record<string, string>>,
  mounts: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env as KubeObject[]) {
    if (e.valueFrom) {
      const { name, key } = e.valueFrom.secretKeyRef ?? {};
      const value = secrets[name]?.[key];
      if (value === undefined)
        throw new Error(`${e.name}: no Secret ${name} with key ${key} in the test's secrets`);
      env[e.name] = value;
      continue;
    }
    env[e.name] = localPaths(String(e.value), mounts);
  }
  return env;
}

/**
 * A string of a container's spec (a value, an argument, a script) with the paths under its volume
 * mounts moved to the local directories standing in for the volumes.
 */
export function localPaths(value: string, mounts: Record<string, string>): string {
  let out = value;
  for (const [mountPath, local] of Object.entries(mounts)) {
    out = out.split(mountPath).reduce((acc, part, i) => {
      if (i === 0) return part;
      // Only whole path prefixes: "/backups" in "/backups/x", not in "/backups2".
      return /^(\/|$|["'\s])/.test(part) ? `${acc}${local}${part}` : `${acc}${mountPath}${part}`;
    }, '');
  }
  return out;
}
