"""Serve Merlai with the logging configuration named by an environment variable in force.

Merlai reads no environment variable: `merlai serve` calls logging.basicConfig and uvicorn.run
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
        *lines, self._pending = self._pending.split("\n")
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
