"""structlog set-up: readable console lines by default, JSON with LOG_FORMAT=json.

Standard-library loggers (uvicorn, alembic, SQLAlchemy) go through the same
renderer, so a log file is one format from top to bottom.
"""

from __future__ import annotations

import logging
import sys

import structlog

_SECRET_KEYS = frozenset(
    {"password", "token", "secret", "authorization", "cookie", "api_key", "apikey"}
)


def _drop_secrets(
    _logger: object, _name: str, event: dict[str, object]
) -> dict[str, object]:
    """Last line of defence: a field whose name says secret never leaves."""
    for key in list(event):
        lowered = key.lower()
        if any(marker in lowered for marker in _SECRET_KEYS):
            event[key] = "[redacted]"
    return event


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "uvicorn.access", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
