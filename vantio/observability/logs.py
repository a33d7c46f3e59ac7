"""Log formats: readable lines by default, one JSON object per line with `VANTIO_LOG_FORMAT=json`.

`logging_config(format)` is a `logging.config.dictConfig` dictionary for the whole process: Vantio's
loggers, uvicorn's and the libraries'. `vantio serve` hands it to uvicorn (so that each of its
worker processes applies it), `vantio worker` applies it itself.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]

# The attributes every LogRecord has: whatever else a record carries came in `extra=` and goes
# into the JSON object as a field of its own.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the `extra=` fields, and the
    traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def logging_config(log_format: LogFormat = "text", *, level: str = "INFO") -> dict[str, Any]:
    """The process's logging configuration (`logging.config.dictConfig`)."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's own loggers propagate to the root: one handler, one format.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            # Its access log is replaced by vantio.access (request id, route template, duration).
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # One line per webhook delivery is noise: the access log of the receiver has it.
            "httpx": {"level": "WARNING"},
        },
    }
