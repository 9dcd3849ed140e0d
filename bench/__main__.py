"""`make bench` (`python -m bench`): run every benchmark module, print a table.

The interface a benchmark module implements
-------------------------------------------
A module in `MODULES` exposes

    async def run(server: str) -> list[dict] | dict

`server` is the asyncpg URL of the PostgreSQL server this run uses
(DATABASE_URL when set, else the embedded one under .data/bench); a module
that needs no argument may declare `async def run()` instead. A module makes
its own fresh database on that server (`bench.support.fresh_database`) and
drops it, and may start the app on loopback (`bench.support.serve`).

It returns its results as rows: flat dicts of name -> number or text, one per
measured thing, either as a list or as `{"name": ..., "runs": [rows]}`. The
harness prints each module's rows as a table whose columns are the rows' keys.
Rows should name their unit in the key (`per_second`, `p99_ms`, `seconds`).

Rules every module keeps: loopback only, bounded in count and time (the whole
bench stays under a few minutes on 2 cores), stops by itself, asserts that
what it measured was correct (a fast wrong answer is not a result).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import platform
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.support import server_url

MODULES = [
    "bench.http_paths",
    "bench.overage_billing",
]


def _rows(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, dict) and "runs" in result:
        return list(result["runs"])
    if isinstance(result, dict):
        return [result]
    return list(result)


def _table(rows: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [
        max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)
    ]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if i == 0 else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(columns), rule, *(line(c) for c in cells)])


async def _run_module(name: str, server: str) -> list[dict[str, Any]]:
    module = importlib.import_module(name)
    takes_server = bool(inspect.signature(module.run).parameters)
    result = await (module.run(server) if takes_server else module.run())
    return _rows(result)


def main(argv: list[str]) -> int:
    """`python -m bench [module ...]`: the named modules (short names like
    `http_paths` work), or all of them."""
    wanted = [m if m.startswith("bench.") else f"bench.{m}" for m in argv] or MODULES
    server = server_url()
    database = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded"
    print(
        f"epoch bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"PostgreSQL {database}, load average {os.getloadavg()[0]:.2f}"
    )
    failed = 0
    for name in wanted:
        started = time.perf_counter()
        print(f"\n== {name}")
        try:
            rows = asyncio.run(_run_module(name, server))
        except Exception as err:  # one broken module must not hide the others
            failed += 1
            print(f"FAILED: {type(err).__name__}: {err}")
            continue
        print(_table(rows) if rows else "(no rows)")
        print(f"({time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
