"""`epoch-jobs <job>`: run one scheduled job once and print its counts as JSON.

Safe from a plain cron line, a Kubernetes CronJob or the `/api/cron/*` routes:
every job locks what it works on, so overlapping runs do each thing once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import structlog

from epoch_adapters.container import Container, build_container
from epoch_adapters.logging import configure_logging
from epoch_adapters.postgres import migrate
from epoch_adapters.settings import Settings

log = structlog.get_logger()

Job = Callable[[Container], Awaitable[dict[str, int]]]


async def _billing_reset(container: Container) -> dict[str, int]:
    counts = await container.reset_billing_cycles().run()
    return counts.as_dict()


async def _overage_billing(container: Container) -> dict[str, int]:
    return (await container.overage_billing().bill()).as_dict()


async def _payment_retry(container: Container) -> dict[str, int]:
    return (await container.overage_billing().retry()).as_dict()


MONEY_JOBS = frozenset({"overage-billing", "payment-retry"})

JOBS: dict[str, Job] = {
    "billing-reset": _billing_reset,
    "overage-billing": _overage_billing,
    "payment-retry": _payment_retry,
}


async def run_job(name: str, container: Container) -> dict[str, int]:
    structlog.contextvars.bind_contextvars(job=name, run_id=uuid.uuid4().hex[:12])
    if name in MONEY_JOBS and not container.settings().stripe_secret_key:
        # Legitimate on a laptop; in production it means nobody is charged.
        log.warning("job.payments.sandbox", detail="no STRIPE_SECRET_KEY")
    started = time.perf_counter()
    await migrate.upgrade(container.database_url())
    try:
        counts = await JOBS[name](container)
    finally:
        await container.engine().dispose()
    log.info(
        f"job.{name.replace('-', '_')}.finished",
        seconds=round(time.perf_counter() - started, 3),
        **counts,
    )
    return counts


def configuration_problem(settings: Settings) -> str | None:
    """Why this run would act on the wrong data, if it would.

    The app may create an empty embedded database on first start; a job must
    not: from a cron line in the wrong folder it would "bill" a fresh, empty
    database and report success. Jobs use the embedded database only when
    one already exists under the data folder.
    """
    if settings.database_url:
        return None
    pgdata = settings.data_dir / "postgres"
    if (pgdata / "PG_VERSION").exists():
        return None
    return (
        f"no DATABASE_URL is set and no embedded database exists at {pgdata}; "
        "set DATABASE_URL (or EPOCH_DATA_DIR) to the service's database"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="epoch-jobs", description=__doc__)
    parser.add_argument("job", choices=sorted(JOBS))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
    problem = configuration_problem(settings)
    if problem:
        log.error("job.refused", job=args.job, reason=problem)
        print(f"epoch-jobs: {problem}", file=sys.stderr)
        return 2
    counts = asyncio.run(run_job(args.job, build_container(settings)))
    print(json.dumps(counts))
    return 1 if counts.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
