"""JSON log lines for Merlai: the guide's fields, escaped, one object per line."""

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
