// The API container's startup, liveness and readiness probes: their overrides, checks and specs. No objects.
import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { IConstruct } from 'constructs';
import { invalidProp } from '../core/errors';
import type { ProbeTimings } from '../core/levels';
import { stripUndefined } from '../core/objects';
import { requireInteger } from '../core/validation';
import { API_CONTAINER_PORT, API_TYPE } from './constants';
import { ModelMode, modelReadinessCommand } from './model';

/** Overrides of a probe's timings; unset fields keep the level table's value. */
export interface ProbeOverrides {
  /** @default - the level table */
  readonly initialDelaySeconds?: number | undefined;
  /** @default - the level table */
  readonly periodSeconds?: number | undefined;
  /** @default - the level table */
  readonly timeoutSeconds?: number | undefined;
  /** @default - the level table */
  readonly failureThreshold?: number | undefined;
}

const STARTUP_PERIOD_SECONDS = 10;

/** The level table's timings with overrides applied; a probe's timeout must be shorter than its period. */
export function resolveProbe(
  scope: IConstruct,
  prop: string,
  o: ProbeOverrides | undefined,
  base: ProbeTimings,
): ProbeTimings {
  const merged: ProbeTimings = { ...base, ...stripUndefined(o ?? {}) };
  requireInteger(scope, API_TYPE, `${prop}.initialDelaySeconds`, merged.initialDelaySeconds, 0);
  requireInteger(scope, API_TYPE, `${prop}.periodSeconds`, merged.periodSeconds, 1);
  requireInteger(scope, API_TYPE, `${prop}.timeoutSeconds`, merged.timeoutSeconds, 1);
  requireInteger(scope, API_TYPE, `${prop}.failureThreshold`, merged.failureThreshold, 1);
  if (merged.timeoutSeconds >= merged.periodSeconds) {
    invalidProp(
      scope,
      API_TYPE,
      `${prop}.timeoutSeconds`,
      merged.timeoutSeconds,
      `expected less than '${prop}.periodSeconds' (${merged.periodSeconds}) so probes do not overlap`,
    );
  }
  return merged;
}

/** Seconds the startup probe waits for the models to load: at least one probe period. */
export function resolveModelLoadSeconds(scope: IConstruct, timeout: Duration | undefined): number {
  const modelLoadSeconds = (timeout ?? Duration.minutes(5)).toSeconds();
  if (!Number.isFinite(modelLoadSeconds) || modelLoadSeconds < STARTUP_PERIOD_SECONDS) {
    invalidProp(
      scope,
      API_TYPE,
      'modelLoadTimeout',
      `${modelLoadSeconds}s`,
      `expected at least ${STARTUP_PERIOD_SECONDS} seconds (one startup probe period)`,
    );
  }
  return modelLoadSeconds;
}

/** The three probes of the API container. */
export function apiProbes(p: {
  readonly liveness: ProbeTimings;
  readonly readiness: ProbeTimings;
  readonly modelLoadSeconds: number;
  readonly modelMode: ModelMode;
}): Pick<k8s.Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  return {
    startupProbe: {
      httpGet: { path: '/health', port: k8s.IntOrString.fromString('http') },
      periodSeconds: STARTUP_PERIOD_SECONDS,
      timeoutSeconds: p.liveness.timeoutSeconds,
      failureThreshold: Math.ceil(p.modelLoadSeconds / STARTUP_PERIOD_SECONDS),
    },
    livenessProbe: {
      httpGet: { path: '/health', port: k8s.IntOrString.fromString('http') },
      ...p.liveness,
    },
    readinessProbe:
      p.modelMode === ModelMode.MODEL
        ? {
            exec: {
              command: modelReadinessCommand(API_CONTAINER_PORT, p.readiness.timeoutSeconds),
            },
            ...p.readiness,
          }
        : {
            httpGet: { path: '/ready', port: k8s.IntOrString.fromString('http') },
            ...p.readiness,
          },
  };
}
