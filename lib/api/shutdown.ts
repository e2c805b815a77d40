// How an API pod stops: the pre-stop pause behind ingress-nginx, and the grace period. No objects.
import { Duration } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { invalidProp } from '../core/errors';
import type { LevelProfile } from '../core/levels';
import { durationSeconds, requireWholeSeconds } from '../core/validation';
import { API_TYPE } from './constants';

/** How the `preStop` hook of the API container waits before the app receives SIGTERM. */
export enum PreStopPauseType {
  /** `exec` of the image's Python interpreter. */
  PYTHON = 'python',
  /** `exec` of a command the image provides. */
  COMMAND = 'command',
  /** No hook. */
  NONE = 'none',
}

/**
 * The pause before an API pod stops, so ingress-nginx removes it from its upstreams first.
 *
 * The default runs the image's own Python (`python3 -c 'import time; time.sleep(N)'`): Merlai is a
 * Python app, so the interpreter is the one binary its image must have, while a `sleep` binary is
 * not guaranteed (slim and distroless images drop it). The kubelet's `sleep` action needs no binary
 * but does not exist in Kubernetes 1.28, which this library targets (alpha behind a feature gate in
 * 1.29, on by default from 1.30): a 1.28 API server refuses it, or drops it without strict field
 * validation, leaving no pause at all. cdk8s-plus-28's types cannot express it either.
 */
export class PreStopPause {
  /**
   * Sleeps in the image's Python interpreter: works on Kubernetes 1.28 and on images without `sleep`.
   * @param duration - default: the level table (10 s at Levels 2 and 3)
   */
  public static pythonSleep(duration?: Duration): PreStopPause {
    return new PreStopPause(PreStopPauseType.PYTHON, duration, undefined);
  }

  /**
   * Runs `command` from the image, which must wait for `duration` (e.g. `['sleep', '10']`).
   * The duration is what the grace period is checked against.
   */
  public static command(command: string[], duration: Duration): PreStopPause {
    return new PreStopPause(PreStopPauseType.COMMAND, duration, [...command]);
  }

  /** No `preStop` hook: requests in flight when the pod leaves the endpoints may fail. */
  public static none(): PreStopPause {
    return new PreStopPause(PreStopPauseType.NONE, Duration.seconds(0), undefined);
  }

  private constructor(
    public readonly type: PreStopPauseType,
    /** The pause; undefined to take the level table's. */
    public readonly duration: Duration | undefined,
    /** The command of a `command` pause (`PreStopPause.command(...)`). */
    public readonly execCommand: string[] | undefined,
  ) {}
}

const KUBERNETES_DEFAULT_GRACE_SECONDS = 30;

/** The pre-stop pause and grace period: the pause must leave the app time to shut down. */
export function resolveShutdown(
  scope: IConstruct,
  props: {
    readonly preStopPause?: PreStopPause | undefined;
    readonly terminationGracePeriod?: Duration | undefined;
  },
  profile: LevelProfile,
): { terminationGracePeriodSeconds?: number; preStopCommand?: string[] } {
  const table = profile.shutdown;
  const pause = props.preStopPause ?? (table ? PreStopPause.pythonSleep() : PreStopPause.none());
  if (pause.type !== PreStopPauseType.NONE && pause.duration === undefined && !table) {
    invalidProp(
      scope,
      API_TYPE,
      'preStopPause',
      pause.type,
      `Level ${profile.number} has no default pause (no Ingress in front of it): give a duration, e.g. PreStopPause.pythonSleep(Duration.seconds(10))`,
    );
  }
  const pauseSeconds = requireWholeSeconds(
    scope,
    API_TYPE,
    'preStopPause',
    pause.duration,
    table?.preStopPauseSeconds ?? 0,
    0,
  );
  const grace = durationSeconds(props.terminationGracePeriod) ?? table?.terminationGracePeriodSeconds;
  const effectiveGrace = grace ?? KUBERNETES_DEFAULT_GRACE_SECONDS;
  if (!Number.isInteger(effectiveGrace) || effectiveGrace <= pauseSeconds) {
    invalidProp(
      scope,
      API_TYPE,
      'terminationGracePeriod',
      `${effectiveGrace}s`,
      `expected whole seconds, more than the pre-stop pause (${pauseSeconds}s): Kubernetes kills the pod when the grace period ends, pause included, so the app would get no time to finish its requests`,
    );
  }
  if (pause.type === PreStopPauseType.COMMAND && (pause.execCommand ?? []).length === 0) {
    invalidProp(scope, API_TYPE, 'preStopPause', [], 'expected a command such as ["sleep", "10"]');
  }
  const commands: Partial<Record<PreStopPauseType, string[]>> = {
    [PreStopPauseType.PYTHON]: ['python3', '-c', `import time; time.sleep(${pauseSeconds})`],
    [PreStopPauseType.COMMAND]: pause.execCommand,
  };
  return {
    terminationGracePeriodSeconds: grace,
    preStopCommand: pauseSeconds > 0 ? commands[pause.type] : undefined,
  };
}
