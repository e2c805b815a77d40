import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvValue, type MerlaiApi } from './api';
import { invalidProp, requireDnsLabel } from './errors';
import { selectorLabels } from './labels';

const TYPE = 'MerlaiLogging';

/**
 * The guide's `log-config.yaml` (section ログ設定), byte for byte: a Python `logging.config.dictConfig`
 * document with one JSON-looking formatter, a console handler and the root logger at INFO.
 */
export const GUIDE_LOG_CONFIG = `version: 1
formatters:
  json:
    format: '{"timestamp": "%(asctime)s", "level": "%(levelname)s", "message": "%(message)s"}'
handlers:
  console:
    class: logging.StreamHandler
    formatter: json
root:
  level: INFO
  handlers: [console]
`;

/** Python module of the strict formatter; the ConfigMap directory is put on `PYTHONPATH`. */
const STRICT_MODULE = 'merlai_json_logging';

/**
 * The guide's fields (timestamp, level, message) with the values escaped by `json.dumps`, so every
 * line is one JSON object; tracebacks and stacks become fields instead of extra lines.
 */
const STRICT_FORMATTER_PY = `"""JSON log lines for Merlai: the guide's fields, escaped, one object per line."""

import json
import logging


class JsonFormatter(logging.Formatter):
    """The guide's timestamp, level and message, escaped by json.dumps; exceptions as fields."""

    def format(self, record):
        entry = {
            "timestamp": self.formatTime(record, self.datefmt),
            "level": record.levelname,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)
`;

const STRICT_LOG_CONFIG = `# The guide's log-config.yaml with an escaping formatter (${STRICT_MODULE}.py beside this file).
version: 1
# Keep loggers created before this config (uvicorn's among them) instead of silencing them.
disable_existing_loggers: false
formatters:
  json:
    '()': ${STRICT_MODULE}.JsonFormatter
handlers:
  console:
    class: logging.StreamHandler
    formatter: json
root:
  level: INFO
  handlers: [console]
`;

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
  readonly name?: string;
  /**
   * The configuration the environment variable points to. The ConfigMap always holds the guide's
   * `log-config.yaml`; `STRICT_JSON` adds `log-config.strict.yaml` and its formatter module.
   * @default LogFormat.GUIDE
   */
  readonly format?: LogFormat;
  /**
   * Environment variable holding the path of the configuration file, for the application (or
   * `uvicorn --log-config "$LOG_CONFIG"`) to load with `logging.config.dictConfig`.
   * @default 'LOG_CONFIG'
   */
  readonly envVar?: string;
  /**
   * Directory the ConfigMap is mounted at (read-only) in the API container.
   * @default '/etc/merlai/logging'
   */
  readonly mountPath?: string;
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
    this.format = props.format ?? LogFormat.GUIDE;
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
    const data: Record<string, string> = { 'log-config.yaml': GUIDE_LOG_CONFIG };
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
    if (strict) props.api.addEnv('PYTHONPATH', EnvValue.fromValue(mountPath));
  }
}
