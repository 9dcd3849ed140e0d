"""Where the database is: a configured server, or an embedded one.

With no `DATABASE_URL`, an embedded PostgreSQL (pgserver) is started under the
data folder, so a fresh checkout runs with nothing installed. pgserver listens
on a unix socket only; the URL carries the socket directory as `host`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = structlog.get_logger()


def asyncpg_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL; SQLAlchemy needs the
    asyncpg driver named."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


def start_embedded(data_dir: Path) -> str:
    """Start (or reuse) the embedded server and return its asyncpg URL."""
    import pgserver  # imported here: only needed when no server is configured

    pgdata = (data_dir / "postgres").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(pgdata), cleanup_mode="stop")
    socket_dir = server.get_uri().split("host=", 1)[1].split("&", 1)[0]
    log.info("database.embedded.started", pgdata=str(pgdata))
    return f"postgresql+asyncpg://postgres@/postgres?host={quote(socket_dir, safe='/')}"


def resolve_url(database_url: str | None, data_dir: Path) -> str:
    if database_url:
        return asyncpg_url(database_url)
    return start_embedded(data_dir)


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # Statements of a request are short; a stuck one should fail, not hang.
        connect_args={"command_timeout": 30},
    )
