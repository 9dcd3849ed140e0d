"""The weekly overage job over HTTP and real PostgreSQL: calls from the sample
reports push an organization past its included minutes; the week is charged
once, for the right cents, however often and however concurrently the job
runs, and a declined charge succeeds on a later retry."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import anyio
import pytest
from litestar.testing import AsyncTestClient

from epoch_adapters.postgres.database import create_engine
from epoch_adapters.postgres.unit_of_work import unit_of_work_factory
from epoch_adapters.settings import Settings
from epoch_adapters.system import SystemSecrets
from epoch_domain.billing import Charge, ChargeResult
from epoch_domain.usecases.overage_billing import OverageBilling
from tests.conftest import CRON_SECRET
from tests.http.billing_helpers import (
    WEBHOOK_SECRET,
    MovableClock,
    cron,
    next_billing_run,
    sandbox,
    sql,
    upgrade,
    use_clock,
)
from tests.http.helpers import Account, add_assistant, sign_in, signed_up, vapi_report

pytestmark = pytest.mark.anyio

# STARTER: 200 included minutes at 40 c/min. The calls below add up to
# 220 min 30.5 s: 20 min 30.5 s over = 1,230,500 ms; x 40 / 60,000 = 820.33
# cents, owed as 820.
CALLS = (
    ("2026-01-15T09:00:00.000Z", "2026-01-15T11:00:00.000Z"),  # 120 min
    ("2026-01-15T13:00:00.000Z", "2026-01-15T14:40:30.500Z"),  # 100 min 30.5 s
)
EXPECTED_CENTS = 820
EXPECTED_MINUTES = 20.51


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        cron_secret=CRON_SECRET,
        csrf_secret="csrf-secret-for-tests",
        log_level="WARNING",
        stripe_webhook_secret=WEBHOOK_SECRET,
    )


async def _over_starter(
    client: AsyncTestClient, clock: MovableClock, name: str = "a"
) -> Account:
    """A STARTER organization with the sample calls metered this week."""
    account = await signed_up(client, email=f"owner-{name}@example.com")
    await upgrade(client, "STARTER")
    await add_assistant(client, f"asst-over-{name}")
    for n, (started, ended) in enumerate(CALLS):
        report = vapi_report(f"call-{name}-{n}", f"asst-over-{name}", started, ended)
        response = await client.post("/api/webhooks/vapi", json=report)
        assert response.status_code == 200
    usage = (await client.get("/api/usage")).json()
    assert usage["snapshot"]["minutesUsed"] == 220.51
    return account


async def _history(client: AsyncTestClient, account: Account) -> dict:
    await sign_in(client, account)
    response = await client.get("/api/billing/history")
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_week_is_billed_once_for_the_right_cents(client: AsyncTestClient):
    clock = MovableClock()
    use_clock(client, clock)
    account = await _over_starter(client, clock)

    before = (await client.get("/api/billing/history")).json()["currentOverage"]
    assert before == {
        "totalOverageMinutes": EXPECTED_MINUTES,
        "unbilledMinutes": EXPECTED_MINUTES,
        "estimatedCostCents": EXPECTED_CENTS,
        "overageEnabled": True,
        "rateCentsPerMin": 40,
    }
    # Within the week, nothing is billed yet: the week is not over.
    assert (await cron(client, "overage-billing"))["billed"] == 0

    clock.set(next_billing_run(clock.now()))
    assert await cron(client, "overage-billing") == {
        "billed": 1,
        "skipped": 0,
        "errors": 0,
    }
    assert await cron(client, "overage-billing") == {
        "billed": 0,
        "skipped": 1,
        "errors": 0,
    }

    charges = sandbox(client).succeeded_charges()
    assert len(charges) == 1
    [request] = sandbox(client).charge_requests
    assert request.amount_cents == EXPECTED_CENTS
    assert request.idempotency_key.startswith(f"overage-{account.organization_id}-")

    history = await _history(client, account)
    [record] = history["records"]
    assert record["amountCents"] == EXPECTED_CENTS
    assert record["overageMinutes"] == EXPECTED_MINUTES
    assert record["status"] == "PAID"
    week_end = clock.now().date() - timedelta(days=1)
    assert record["weekEnd"] == week_end.isoformat()
    assert record["weekStart"] == (week_end - timedelta(days=6)).isoformat()
    current = history["currentOverage"]
    assert current["totalOverageMinutes"] == EXPECTED_MINUTES
    assert current["unbilledMinutes"] == 0
    assert current["estimatedCostCents"] == 0


async def test_two_runs_at_once_charge_once(client: AsyncTestClient):
    clock = MovableClock()
    use_clock(client, clock)
    await _over_starter(client, clock)
    clock.set(next_billing_run(clock.now()))
    results: list[dict[str, int]] = []

    async def run() -> None:
        results.append(await cron(client, "overage-billing"))

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(run)

    assert sum(r["billed"] for r in results) == 1
    assert sum(r["errors"] for r in results) == 0
    assert len(sandbox(client).charge_requests) == 1
    rows = await sql(client, "SELECT amount_cents, status FROM overage_records")
    assert [(r["amount_cents"], r["status"]) for r in rows] == [
        (EXPECTED_CENTS, "PAID")
    ]


class Slow:
    """A provider that takes its time, so two runs overlap for real."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def charge(self, charge: Charge) -> ChargeResult:
        await anyio.sleep(0.05)
        return await self.inner.charge(charge)


async def test_two_processes_at_once_charge_each_week_once(client: AsyncTestClient):
    """Two job processes (own engines, own connections) racing on the same
    organizations: row locks and SKIP LOCKED leave one charge per week."""
    clock = MovableClock()
    use_clock(client, clock)
    for name in ("p1", "p2", "p3"):
        await _over_starter(client, clock, name)
    clock.set(next_billing_run(clock.now()))
    url = client.app.state.settings.database_url
    engines = [create_engine(url, pool_size=2) for _ in range(2)]
    secrets = SystemSecrets()
    jobs = [
        OverageBilling(
            uow=unit_of_work_factory(engine, secrets.new_id),
            clock=clock,
            payments=Slow(sandbox(client)),
            secrets=secrets,
        )
        for engine in engines
    ]
    results = []

    async def run(job: OverageBilling) -> None:
        results.append((await job.bill()).as_dict())

    try:
        async with anyio.create_task_group() as group:
            for job in jobs:
                group.start_soon(run, job)
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(r["billed"] for r in results) == 3
    assert sum(r["errors"] for r in results) == 0
    keys = [c.idempotency_key for c in sandbox(client).charge_requests]
    assert len(keys) == 3
    assert len(set(keys)) == 3
    rows = await sql(client, "SELECT amount_cents, status FROM overage_records")
    assert (
        sorted((r["amount_cents"], r["status"]) for r in rows)
        == [(EXPECTED_CENTS, "PAID")] * 3
    )


class Killed(BaseException):
    """The process dies right after the provider charged."""


class KilledAfterCharge:
    def __init__(self, inner) -> None:
        self.inner = inner

    async def charge(self, charge: Charge) -> ChargeResult:
        await self.inner.charge(charge)
        raise Killed()


async def test_killed_between_charge_and_record_then_rerun_charges_once(
    client: AsyncTestClient,
):
    clock = MovableClock()
    use_clock(client, clock)
    account = await _over_starter(client, clock)
    clock.set(next_billing_run(clock.now()))
    # The dying run is another process: its own engine on this test's loop.
    engine = create_engine(client.app.state.settings.database_url, pool_size=2)
    secrets = SystemSecrets()
    dying = OverageBilling(
        uow=unit_of_work_factory(engine, secrets.new_id),
        clock=clock,
        payments=KilledAfterCharge(sandbox(client)),
        secrets=secrets,
    )
    try:
        with pytest.raises(Killed):
            await dying.bill()
    finally:
        await engine.dispose()
    [record] = await sql(client, "SELECT status FROM overage_records")
    assert record["status"] == "PENDING"

    assert (await cron(client, "overage-billing"))["billed"] == 1
    requests = sandbox(client).charge_requests
    assert len(requests) == 2
    assert requests[0].idempotency_key == requests[1].idempotency_key
    assert len(sandbox(client).charges) == 1
    [record] = (await _history(client, account))["records"]
    assert (record["status"], record["amountCents"]) == ("PAID", EXPECTED_CENTS)


async def test_a_declined_charge_succeeds_on_a_spaced_retry(client: AsyncTestClient):
    clock = MovableClock()
    use_clock(client, clock)
    account = await _over_starter(client, clock)
    sandbox(client).declining.add(account.organization_id)
    clock.set(next_billing_run(clock.now()))

    assert await cron(client, "overage-billing") == {
        "billed": 0,
        "skipped": 0,
        "errors": 1,
    }
    [record] = (await _history(client, account))["records"]
    assert record["status"] == "FAILED"

    # Not due yet: the first retry waits a day.
    assert await cron(client, "payment-retry") == {
        "retried": 0,
        "succeeded": 0,
        "failed": 0,
    }
    clock.advance(timedelta(days=1))
    assert await cron(client, "payment-retry") == {
        "retried": 1,
        "succeeded": 0,
        "failed": 1,
    }
    sandbox(client).declining.clear()
    clock.advance(timedelta(days=1))
    assert (await cron(client, "payment-retry"))["retried"] == 0  # two days now
    clock.advance(timedelta(days=1))
    assert await cron(client, "payment-retry") == {
        "retried": 1,
        "succeeded": 1,
        "failed": 0,
    }
    [record] = (await _history(client, account))["records"]
    assert (record["status"], record["amountCents"]) == ("PAID", EXPECTED_CENTS)
    attempts = await sql(
        client,
        "SELECT attempt, outcome, idempotency_key, amount_cents "
        "FROM payment_attempts ORDER BY attempt",
    )
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [
        (1, "DECLINED"),
        (2, "DECLINED"),
        (3, "SUCCEEDED"),
    ]
    assert len({a["idempotency_key"] for a in attempts}) == 3
    assert {a["amount_cents"] for a in attempts} == {EXPECTED_CENTS}
    assert len(sandbox(client).succeeded_charges()) == 1


async def test_retries_stop_after_the_last_attempt(client: AsyncTestClient):
    clock = MovableClock()
    use_clock(client, clock)
    account = await _over_starter(client, clock)
    sandbox(client).declining.add(account.organization_id)
    clock.set(next_billing_run(clock.now()))
    await cron(client, "overage-billing")
    for _ in range(6):
        clock.advance(timedelta(days=3))
        await cron(client, "payment-retry")
    attempts = await sql(client, "SELECT count(*) AS n FROM payment_attempts")
    assert attempts[0]["n"] == 4
    [record] = await sql(
        client, "SELECT status, next_attempt_at, attempts FROM overage_records"
    )
    assert (record["status"], record["attempts"]) == ("FAILED", 4)
    assert record["next_attempt_at"] is None


async def test_overage_disabled_bills_nothing(client: AsyncTestClient):
    clock = MovableClock()
    use_clock(client, clock)
    account = await _over_starter(client, clock)
    await sql(
        client,
        "UPDATE organizations SET overage_enabled = false WHERE id = $1",
        account.organization_id,
    )
    current = (await client.get("/api/billing/history")).json()["currentOverage"]
    assert current["overageEnabled"] is False
    assert current["estimatedCostCents"] == 0
    clock.set(next_billing_run(clock.now()))
    counts = await cron(client, "overage-billing")
    assert counts["billed"] == 0
    assert counts["errors"] == 0
    assert sandbox(client).charge_requests == []
    assert (await _history(client, account))["records"] == []


async def test_one_organizations_failure_does_not_stop_the_others(
    client: AsyncTestClient,
):
    clock = MovableClock()
    use_clock(client, clock)
    first = await _over_starter(client, clock, "first")
    await _over_starter(client, clock, "second")
    sandbox(client).declining.add(first.organization_id)
    clock.set(next_billing_run(clock.now()))
    assert await cron(client, "overage-billing") == {
        "billed": 1,
        "skipped": 0,
        "errors": 1,
    }
    rows = await sql(
        client, "SELECT organization_id, status FROM overage_records ORDER BY status"
    )
    assert {
        (str(r["organization_id"]) == first.organization_id, r["status"]) for r in rows
    } == {
        (True, "FAILED"),
        (False, "PAID"),
    }
