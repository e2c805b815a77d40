// The guide's structured logging. Objects: ConfigMap `merlai-logging` (log-config.yaml and the launcher).
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { MerlaiApi } from '../api/api';
import { API_CONTAINER_PORT } from '../api/constants';
import { EnvValue } from '../api/env';
import { invalidProp } from '../core/errors';
import { selectorLabels } from '../core/labels';
import { requireDnsLabel } from '../core/validation';
import {
  GUIDE_LOG_CONFIG,
  SERVE_MODULE,
  SERVE_PY,
  STRICT_FORMATTER_PY,
  STRICT_LOG_CONFIG,
  STRICT_MODULE,
} from './files';

const TYPE = 'MerlaiLogging';

/** Which logging configuration the API's environment variable points to. */
export enum LogFormat {
  /**
   * The guide's `log-config.yaml` as written. Its format string pastes the message between quotes
   * without escaping: a message containing `"`, `\` or a newline, and every traceback, yields a
   * line that is not valid JSON. It also silences loggers created before it is loaded
   * (`disable_existing_loggers` defaults to true), uvicorn's among them.
   */
  GUIDE = 'guide',
  /**
   * The same fields (`timestamp`, `level`, `message`), escaped by Python's `json.dumps`, with
   * `exception` and `stack` fields instead of extra lines, and earlier loggers kept. Ships a
   * stdlib-only formatter module in the ConfigMap and sets `PYTHONPATH` to its directory.
   */
  STRICT_JSON = 'strict-json',
}

/** Everything a team may override on `MerlaiLogging`. */
export interface MerlaiLoggingOptions {
  /**
   * Name of the ConfigMap.
   * @default 'merlai-logging'
   */
  readonly name?: string | undefined;
  /**
   * The configuration the environment variable points to. The ConfigMap always holds the guide's
   * `log-config.yaml`; `STRICT_JSON` adds `log-config.strict.yaml` and its formatter module.
   * The default is `STRICT_JSON` because the guide's format string breaks on the real app: every
   * uvicorn access line (`"GET /health HTTP/1.1"`) holds quotes it does not escape, and it
   * silences uvicorn's start-up lines.
   * @default LogFormat.STRICT_JSON
   */
  readonly format?: LogFormat | undefined;
  /**
   * Environment variable holding the path of the configuration file, for the application (or
   * `uvicorn --log-config "$LOG_CONFIG"`) to load with `logging.config.dictConfig`.
   * @default 'LOG_CONFIG'
   */
  readonly envVar?: string | undefined;
  /**
   * Run the API container through `merlai_serve.py` (shipped in the ConfigMap), which serves
   * `merlai.api.main:app` with uvicorn's `log_config` set to the file and logs the app's printed
   * lines, so the configuration is in force: Merlai itself never reads the variable. Turn it off
   * only for an image that applies the variable itself; the image's own command then runs.
   * @default true
   */
  readonly serve?: boolean | undefined;
  /**
   * Directory the ConfigMap is mounted at (read-only) in the API container.
   * @default '/etc/merlai/logging'
   */
  readonly mountPath?: string | undefined;
}

/** Props of `MerlaiLogging`. */
export interface MerlaiLoggingProps extends MerlaiLoggingOptions {
  /** The API whose container gets the configuration. */
  readonly api: MerlaiApi;
}

/**
 * The guide's structured logging: ConfigMap `merlai-logging` holding `log-config.yaml`, mounted
 * into the API container and named by an environment variable.
 */
export class MerlaiLogging extends Construct {
  public readonly configMap: k8s.KubeConfigMap;
  /** Name of the ConfigMap. */
  public readonly name: string;
  /** Absolute path of the configuration file the API is pointed to. */
  public readonly configPath: string;
  public readonly format: LogFormat;

  constructor(scope: Construct, id: string, props: MerlaiLoggingProps) {
    super(scope, id);
    this.name = requireDnsLabel(this, TYPE, 'name', props.name ?? 'merlai-logging');
    this.format = props.format ?? LogFormat.STRICT_JSON;
    if (!Object.values(LogFormat).includes(this.format)) {
      invalidProp(
        this,
        TYPE,
        'format',
        this.format,
        `expected one of ${Object.values(LogFormat).join(', ')}`,
      );
    }
    const envVar = props.envVar ?? 'LOG_CONFIG';
    const mountPath = props.mountPath ?? '/etc/merlai/logging';
    if (!/^\/[^\0]*[^/]$/.test(mountPath) || mountPath.split('/').includes('..')) {
      invalidProp(
        this,
        TYPE,
        'mountPath',
        mountPath,
        "expected an absolute directory path such as '/etc/merlai/logging'",
      );
    }

    const strict = this.format === LogFormat.STRICT_JSON;
    const serve = props.serve ?? true;
    const data: Record<string, string> = { 'log-config.yaml': GUIDE_LOG_CONFIG };
    if (serve) data[`${SERVE_MODULE}.py`] = SERVE_PY;
    if (strict) {
      data['log-config.strict.yaml'] = STRICT_LOG_CONFIG;
      data[`${STRICT_MODULE}.py`] = STRICT_FORMATTER_PY;
    }
    const instance = props.api.selectorLabels['app.kubernetes.io/instance'] ?? 'merlai';
    this.configMap = new k8s.KubeConfigMap(this, 'config-map', {
      metadata: {
        name: this.name,
        labels: selectorLabels(this.name, 'logging', instance),
      },
      data,
    });

    const file = strict ? 'log-config.strict.yaml' : 'log-config.yaml';
    this.configPath = `${mountPath}/${file}`;
    props.api.addVolumeMount({
      name: 'logging-config',
      mountPath,
      readOnly: true,
      volume: { configMap: { name: this.name } },
    });
    props.api.addEnv(envVar, EnvValue.fromValue(this.configPath));
    // An image that sets its own PYTHONPATH would lose it here; Merlai's images set none.
    if (strict || serve) props.api.addEnv('PYTHONPATH', EnvValue.fromValue(mountPath));
    if (serve) {
      props.api.overrideCommand([
        'python3',
        '-m',
        SERVE_MODULE,
        '--config-env',
        envVar,
        '--host',
        '0.0.0.0',
        '--port',
        String(API_CONTAINER_PORT),
      ]);
    }
  }
}
