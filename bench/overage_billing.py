"""Overage billing at scale: the weekly job over many organizations with calls.

For each size, a fresh database is migrated and filled (COPY) with
organizations on STARTER, each with an open cycle past its included minutes
and a number of metered calls in the billed week; then the job runs once with
the sandbox payments adapter (in process, no network), so the figures are the
job's own and the database's. Every statement is counted with a SQLAlchemy
`before_cursor_execute` listener, and every commit with a `commit` listener.

What it shows: seconds per 1,000 organizations stay flat as the count grows
(linear cost), and statements per organization stay the same whether an
organization has 1 or 20 calls (no query per call: calls are summed in SQL).

Run alone: `python -m bench.overage_billing` (DATABASE_URL, or an embedded
PostgreSQL under .data/bench); `make bench` runs it with the others.
`BENCH_ORGS` overrides the largest size.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import event

from bench.support import fresh_database, server_url
from epoch_adapters.logging import configure_logging
from epoch_adapters.postgres.database import create_engine
from epoch_adapters.postgres.unit_of_work import unit_of_work_factory
from epoch_adapters.settings import Settings
from epoch_adapters.stripe_sandbox import SandboxPayments
from epoch_adapters.system import SystemSecrets
from epoch_domain.metering import MS_PER_MINUTE
from epoch_domain.overage import last_complete_week
from epoch_domain.plans import Tier, plan_for
from epoch_domain.usecases.overage_billing import OverageBilling

# Billing run: Monday 2026-03-09 11:00 UTC bills the week of 2026-03-02.
RUN_AT = datetime(2026, 3, 9, 11, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return RUN_AT


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _seed(url: str, orgs: int, calls_per_org: int) -> None:
    """Organizations over their included minutes, with calls in the week."""
    week = last_complete_week(RUN_AT)
    plan = plan_for(Tier.STARTER)
    included_ms = plan.included_minutes * MS_PER_MINUTE
    cycle_start = datetime(2026, 2, 20, tzinfo=UTC)
    cycle_end = datetime(2026, 3, 20, tzinfo=UTC)
    org_rows: list[tuple[Any, ...]] = []
    cycle_rows: list[tuple[Any, ...]] = []
    call_rows: list[tuple[Any, ...]] = []
    for n in range(orgs):
        org_id = uuid.uuid4()
        cycle_id = uuid.uuid4()
        org_rows.append(
            (
                org_id,
                f"Bench {n}",
                Tier.STARTER.name,
                cycle_start,
                cycle_start,
                True,
                f"cus_bench_{n}",
            )
        )
        # Over the included minutes by a varying amount, spread over calls.
        total = included_ms + 60_000 * (5 + n % 50) + n % 997
        per_call = total // calls_per_org
        lengths = [per_call] * (calls_per_org - 1)
        lengths.append(total - per_call * (calls_per_org - 1))
        cycle_rows.append(
            (cycle_id, org_id, cycle_start, cycle_end, total, plan.included_minutes)
        )
        for k, ms in enumerate(lengths):
            at = week.starts_at + timedelta(minutes=(n + k) % (7 * 24 * 60))
            call_rows.append(
                (
                    uuid.uuid4(),
                    org_id,
                    f"bench-{n}-{k}",
                    "COMPLETED",
                    ms,
                    ms,
                    at,
                    cycle_id,
                    at,
                    at,
                )
            )
    conn = await asyncpg.connect(_plain(url))
    try:
        await conn.copy_records_to_table(
            "organizations",
            records=org_rows,
            columns=[
                "id",
                "name",
                "plan",
                "created_at",
                "cycle_anchor",
                "overage_enabled",
                "stripe_customer_id",
            ],
        )
        await conn.copy_records_to_table(
            "usage_cycles",
            records=cycle_rows,
            columns=[
                "id",
                "organization_id",
                "starts_at",
                "ends_at",
                "used_ms",
                "included_minutes",
            ],
        )
        await conn.copy_records_to_table(
            "calls",
            records=call_rows,
            columns=[
                "id",
                "organization_id",
                "vapi_call_id",
                "status",
                "duration_ms",
                "metered_ms",
                "metered_at",
                "cycle_id",
                "created_at",
                "updated_at",
            ],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _bill(url: str) -> dict[str, Any]:
    engine = create_engine(url, pool_size=4)
    counts = {"statements": 0, "commits": 0}

    def on_execute(*_: Any) -> None:
        counts["statements"] += 1

    def on_commit(*_: Any) -> None:
        counts["commits"] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    event.listen(engine.sync_engine, "commit", on_commit)
    secrets = SystemSecrets()
    payments = SandboxPayments(Settings())
    job = OverageBilling(
        uow=unit_of_work_factory(engine, secrets.new_id),
        clock=FixedClock(),
        payments=payments,
        secrets=secrets,
    )
    try:
        started = time.perf_counter()
        result = await job.bill()
        seconds = time.perf_counter() - started
        again = await job.bill()
    finally:
        await engine.dispose()
    return {
        "seconds": seconds,
        "result": result.as_dict(),
        "rerun": again.as_dict(),
        "charges": len(payments.charges),
        **counts,
    }


async def measure(server: str, orgs: int, calls_per_org: int) -> dict[str, Any]:
    async with fresh_database(server) as url:
        await _seed(url, orgs, calls_per_org)
        run = await _bill(url)
    billed = run["result"]["billed"]
    assert billed == orgs, run
    assert run["rerun"]["billed"] == 0, run
    assert run["charges"] == orgs, run
    return {
        "benchmark": "overage_billing",
        "organizations": orgs,
        "calls_per_organization": calls_per_org,
        "seconds": round(run["seconds"], 3),
        "seconds_per_1000_orgs": round(run["seconds"] * 1000 / orgs, 3),
        "statements": run["statements"],
        "statements_per_org": round(run["statements"] / orgs, 3),
        "commits_per_org": round(run["commits"] / orgs, 3),
    }


def scenarios() -> list[tuple[int, int]]:
    largest = int(os.environ.get("BENCH_ORGS", "10000"))
    return [
        (max(largest // 10, 1), 5),
        (largest, 5),
        (max(largest // 10, 1), 1),
        (max(largest // 10, 1), 20),
    ]


async def run(server: str | None = None) -> list[dict[str, Any]]:
    """The harness's entry point (see bench/__main__.py): one row per
    scenario."""
    # One log line per charge is production's cost, not the terminal's.
    configure_logging("json", "WARNING")
    where = server or server_url()
    return [await measure(where, orgs, calls) for orgs, calls in scenarios()]


def main() -> None:
    for row in asyncio.run(run()):
        print(
            f"{row['organizations']:>6} orgs x {row['calls_per_organization']:>2} "
            f"calls: {row['seconds']:7.3f} s, "
            f"{row['seconds_per_1000_orgs']:.3f} s/1000 orgs, "
            f"{row['statements_per_org']:.3f} statements/org, "
            f"{row['commits_per_org']:.3f} commits/org"
        )


if __name__ == "__main__":
    main()
