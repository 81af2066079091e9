"""One logging configuration for the app, uvicorn and SQLAlchemy: text or JSON lines on stderr.

Every line written while a request is served carries its id (a filter reads it from a context
variable), whichever library wrote it: the access line, SQL echo, uvicorn's error lines.
"""

import json
import logging
import sys
from datetime import UTC, datetime

from app.core.config import Settings
from app.observability.request_id import current_request_id

# Fields the access line adds (`extra=`); JSON lines carry them as their own keys.
ACCESS_FIELDS = ("method", "route", "status", "duration_ms")
# uvicorn's own access line is replaced by the app's, which names the route, not the raw path.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error")
UVICORN_ACCESS_LOGGER = "uvicorn.access"
HANDLER_NAME = "syncdesk"
# SQLAlchemy names a pool's logger after the pool class's module: the metered pool's would sit
# under "app" and show the INFO lines SQLAlchemy keeps quiet under "sqlalchemy.pool".
POOL_LOGGER = "app.observability.pools"


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served, or None outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class TextFormatter(logging.Formatter):
    """uvicorn's look (`INFO:     message`), the request id in brackets after the level."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        prefix = f"{record.levelname + ':':<10}" + (f"[{request_id}] " if request_id else "")
        return prefix + super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id, and the access fields."""

    def __init__(self) -> None:
        super().__init__()
        # `json.dumps(default=...)` builds an encoder per call; one is kept instead.
        # ASCII only: a lone surrogate in a message cannot break the line or the stream.
        self._encoder = json.JSONEncoder(default=str)
        # The time up to the second, formatted once per second rather than once per line.
        self._second = -1
        self._second_text = ""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": self._time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := getattr(record, "request_id", None):
            line["request_id"] = request_id
        for field in ACCESS_FIELDS:
            if (value := getattr(record, field, None)) is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return self._encoder.encode(line)

    def _time(self, record: logging.LogRecord) -> str:
        """ISO 8601 in UTC to the millisecond, as `isoformat(timespec="milliseconds")` writes it."""
        second = int(record.created)
        if second != self._second:
            self._second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._second = second
        return f"{self._second_text}.{int(record.msecs):03d}+00:00"


class StderrHandler(logging.Handler):
    """Writes to `sys.stderr` as it is when the line is written (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def configure_logging(settings: Settings) -> None:
    """Route the app's, uvicorn's and SQLAlchemy's lines through one handler; idempotent."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.get_name() == HANDLER_NAME), None)
    if handler is None:
        handler = StderrHandler()
        handler.set_name(HANDLER_NAME)
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    # Neither format shows the thread, process or task, so records skip looking them up
    # (logging's own switches, from its HOWTO's "Optimization"): 1.3 µs off each line.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    if sys.version_info >= (3, 12):
        logging.logAsyncioTasks = False
    logging.getLogger("app").setLevel(logging.INFO)
    logging.getLogger(POOL_LOGGER).setLevel(logging.WARNING)
    for name in UVICORN_LOGGERS:
        _through_root(logging.getLogger(name))
    access = logging.getLogger(UVICORN_ACCESS_LOGGER)
    # No handler anywhere above it: uvicorn then skips formatting its access line altogether.
    access.handlers.clear()
    access.propagate = False
    # SQLAlchemy gives an echoing engine's logger a stdout handler of its own unless it has one.
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    if not engine_logger.handlers:
        engine_logger.addHandler(logging.NullHandler())


def _through_root(logger: logging.Logger) -> None:
    logger.handlers.clear()
    logger.propagate = True
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
