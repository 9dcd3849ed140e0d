"""What benchmark modules share: a PostgreSQL server and fresh databases on
it, the app served on loopback, and a bounded closed-loop load generator.

Everything here is loopback-only and bounded in both count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from epoch_adapters.postgres.database import asyncpg_url, start_embedded
from epoch_adapters.postgres.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent


def server_url() -> str:
    """DATABASE_URL's server, or an embedded one under .data/bench."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return asyncpg_url(configured)
    return start_embedded(ROOT / ".data" / "bench")


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return f"{base}?{query}" if query else base


async def _admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(_plain(server))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_database(server: str) -> AsyncIterator[str]:
    """A new, migrated database for one benchmark, dropped afterwards."""
    name = f"epoch_bench_{uuid.uuid4().hex[:10]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    url = _with_database(server, name)
    try:
        await upgrade(url)
        yield url
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(database_url: str, **env: str) -> AsyncIterator[str]:
    """The real app under uvicorn in a child process (its own core, its own
    GIL) on a free loopback port; yields the base URL once /health is 200.
    Logs stay on (JSON, INFO: one line per request, as in production) and go
    to /dev/null."""
    port = _free_port()
    child_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "APP_URL": f"http://127.0.0.1:{port}",
        **env,
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "epoch_http.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(base, process)
        yield base
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_healthy(base: str, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the app exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/health")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError("the app did not answer /health within 60 s")


@dataclass
class Load:
    """What one closed-loop run measured."""

    name: str
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @classmethod
    def merge(cls, loads: list[Load]) -> Load:
        """Several runs of one path as one: all latencies, summed time."""
        merged = cls(loads[0].name)
        for load in loads:
            merged.latencies_s += load.latencies_s
            merged.errors += load.errors
            merged.seconds += load.seconds
        return merged

    @property
    def count(self) -> int:
        return len(self.latencies_s)

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        ordered = sorted(self.latencies_s)
        if not ordered:
            return 0.0
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000

    def row(self, baseline: Load | None = None) -> dict[str, Any]:
        row: dict[str, Any] = {
            "path": self.name,
            "requests": self.count,
            "errors": self.errors,
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.percentile_ms(50), 2),
            "p99_ms": round(self.percentile_ms(99), 2),
        }
        if baseline is not None and baseline.per_second:
            row["throughput_vs_baseline"] = round(
                self.per_second / baseline.per_second, 3
            )
            row["p50_vs_baseline"] = round(
                self.percentile_ms(50) / baseline.percentile_ms(50), 2
            )
        return row


async def closed_loop(
    name: str,
    send: Callable[[int], Awaitable[bool]],
    *,
    requests: int,
    concurrency: int,
    max_seconds: float,
) -> Load:
    """`concurrency` workers send back to back until `requests` were sent or
    `max_seconds` passed; `send(i)` makes request number i and says whether
    it succeeded. Latency is per request, throughput over the wall time."""
    load = Load(name)
    counter = iter(range(requests))
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        for i in counter:
            if time.perf_counter() > deadline:
                return
            started = time.perf_counter()
            ok = await send(i)
            load.latencies_s.append(time.perf_counter() - started)
            if not ok:
                load.errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    load.seconds = time.perf_counter() - started
    return load
