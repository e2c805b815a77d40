// The files of the logging ConfigMap: the guide's log-config.yaml, the strict variant and its formatter,
// and the launcher that serves the API with the configuration in force. No objects.

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
export const STRICT_MODULE = 'merlai_json_logging';
/** Python module that serves the API with the configuration in force (see `SERVE_PY`). */
export const SERVE_MODULE = 'merlai_serve';

/**
 * The guide's fields (timestamp, level, message) with the values escaped by `json.dumps`, so every
 * line is one JSON object; tracebacks and stacks become fields instead of extra lines.
 */
export const STRICT_FORMATTER_PY = `"""JSON log lines for Merlai: the guide's fields, escaped, one object per line."""

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

export const STRICT_LOG_CONFIG = `# The guide's log-config.yaml with an escaping formatter (${STRICT_MODULE}.py beside this file).
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
export const SERVE_PY = `"""Serve Merlai with the logging configuration named by an environment variable in force.

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
