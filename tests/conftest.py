"""Shared fixtures: a real PostgreSQL database per test session, the app, and
an HTTP client that talks to it over ASGI.

With DATABASE_URL set, each session creates (and afterwards drops) its own
database on that server, so parallel runs never meet. Without it, an embedded
PostgreSQL is started under `.data/test-postgres`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import settings as hypothesis_settings
from litestar.testing import AsyncTestClient

from epoch_adapters.postgres.database import asyncpg_url, start_embedded
from epoch_adapters.postgres.migrate import upgrade_sync
from epoch_adapters.settings import Settings
from epoch_http.app import create_app

# CI tries twice the examples of a developer's loop. Hundreds of properties at
# 100 examples keep the domain suite near a minute on two cores; deadlines are
# off because a loaded CI machine makes single examples slow, not wrong.
hypothesis_settings.register_profile("ci", max_examples=100, deadline=None)
hypothesis_settings.register_profile("dev", max_examples=50, deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

CRON_SECRET = "cron-secret-for-tests-0123456789abcdef"
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"

TABLES = (
    "embed_tokens",
    "payment_attempts",
    "overage_records",
    "webhook_events",
    "calls",
    "usage_cycles",
    "assistants",
    "auth_tokens",
    "auth_sessions",
    "users",
    "organizations",
)


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return f"{base}?{query}" if query else base


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def server_url() -> str:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return asyncpg_url(configured)
    # xdist workers share one embedded server (pgserver counts its users and
    # the last one stops it). pgserver creates the data folder before taking
    # its lock and fails if it already exists, so a second worker starting at
    # the same moment would fail: create it here, harmlessly, for all.
    (ROOT / ".data" / "test" / "postgres").mkdir(parents=True, exist_ok=True)
    return start_embedded(ROOT / ".data" / "test")


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    import asyncio

    name = f"epoch_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(_plain(server_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = _with_database(server_url, name)
    upgrade_sync(url)
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        cron_secret=CRON_SECRET,
        csrf_secret="csrf-secret-for-tests",
        log_level="WARNING",
    )


async def fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """Run one statement on the test database behind the app's back: for
    arranging states the API cannot reach and checking what it stored."""
    conn = await asyncpg.connect(_plain(database_url))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def truncate_all(database_url: str) -> None:
    await fetch(database_url, f"TRUNCATE {', '.join(TABLES)} CASCADE")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    await truncate_all(settings.database_url or "")
    app = create_app(settings)
    async with AsyncTestClient(app, base_url="http://testserver.local") as test_client:
        yield test_client


def sample_path(name: str) -> Path:
    return SAMPLES / name
