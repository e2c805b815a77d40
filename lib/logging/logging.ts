// The guide's structured logging. Objects: ConfigMap `merlai-logging` (log-config.yaml and the launcher).
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { selectorLabels } from '../core/labels';

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
/** Python module that serves the API with the configuration in force (see `SERVE_PY`). */
const SERVE_MODULE = 'merlai_serve';

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

/**
 * Serves the API with the configuration named by an environment variable in force. Merlai reads no
 * environment variable: `merlai serve` calls `logging.basicConfig` and `uvicorn.run` with uvicorn's
 * own plain-text logging, and the app prints its start-up messages. This module runs the same
 * server (`merlai.api.main:app`) with uvicorn's `log_config` set to the file, turns printed lines
 * and Python warnings into log records, and logs an uncaught exception as one record. Stdlib and
 * uvicorn only (both in every Merlai image).
 */
const SERVE_PY = `"""Serve Merlai with the logging configuration named by an environment variable in force.

Merlai reads no environment variable: \`merlai serve\` calls logging.basicConfig and uvicorn.run
with uvicorn's own text logging. This runs the same app with uvicorn's log_config set to the file,
and turns printed lines (the app's start-up messages) and warnings into log records.
"""

import argparse
import logging
import os
import sys

import uvicorn


class LineLogger:
    """A text stream that logs each complete line it is given."""

    def __init__(self, logger, stream):
        self._logger = logger
        self._stream = stream
        self._pending = ""
        self._busy = False

    def write(self, text):
        if self._busy:  # a handler writing to this stream while a line is logged
            return self._stream.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\\n")
        self._busy = True
        try:
            for line in lines:
                if line.strip():
                    self._logger.info(line)
        finally:
            self._busy = False
        return len(text)

    def flush(self):
        self._stream.flush()

    def isatty(self):
        return False

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-env", default="LOG_CONFIG")
    parser.add_argument("--app", default="merlai.api.main:app")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    config = os.environ.get(args.config_env)
    if not config or not os.path.isfile(config):
        sys.exit(f"merlai_serve: {args.config_env}={config!r} names no file")
    logging.captureWarnings(True)
    sys.stdout = LineLogger(logging.getLogger("merlai.stdout"), sys.stdout)

    def log_uncaught(kind, value, tb):
        logging.getLogger("merlai").critical("uncaught exception", exc_info=(kind, value, tb))

    sys.excepthook = log_uncaught
    # uvicorn applies the file with logging.config.dictConfig before it imports the app.
    uvicorn.run(args.app, host=args.host, port=args.port, log_config=config)


if __name__ == "__main__":
    main()
`;

import type { MerlaiApi } from '../api/api';
import { API_CONTAINER_PORT } from '../api/constants';
import { EnvValue } from '../api/env';
import { invalidProp } from '../core/errors';
import { requireDnsLabel } from '../core/validation';

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
