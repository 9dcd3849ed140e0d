"""The billing-reset job over its cron route and its command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from litestar.testing import AsyncTestClient

from epoch_jobs.cli import main as jobs_main
from tests.conftest import CRON_SECRET, fetch
from tests.http.helpers import add_assistant, signed_up, vapi_report

pytestmark = pytest.mark.anyio

CRON = {"authorization": f"Bearer {CRON_SECRET}"}


async def _sql(client: AsyncTestClient, query: str, *args):
    return await fetch(client.app.state.settings.database_url, query, *args)


async def _end_cycle_early(client: AsyncTestClient, org_id: str) -> None:
    """Pretend a month went by: move the org's anchor and open cycle back."""
    month_ago = datetime.now(UTC) - timedelta(days=31)
    await _sql(
        client,
        "UPDATE organizations SET cycle_anchor = $1 WHERE id = $2",
        month_ago,
        org_id,
    )
    await _sql(
        client,
        "UPDATE usage_cycles SET starts_at = $1, ends_at = $2 "
        "WHERE organization_id = $3 AND closed_at IS NULL",
        month_ago,
        datetime.now(UTC) - timedelta(hours=1),
        org_id,
    )


async def test_the_cron_route_needs_the_secret(client: AsyncTestClient):
    assert (await client.get("/api/cron/billing-reset")).status_code == 401
    wrong = {"authorization": "Bearer nope"}
    assert (
        await client.get("/api/cron/billing-reset", headers=wrong)
    ).status_code == 401
    response = await client.get("/api/cron/billing-reset", headers=CRON)
    assert response.status_code == 200
    assert response.json() == {"reset": 0, "skipped": 0, "errors": 0}


async def test_an_ended_cycle_is_reset_once_and_its_total_kept(client: AsyncTestClient):
    done = await signed_up(client)
    await add_assistant(client, "asst-reset")
    await client.post("/api/webhooks/vapi", json=vapi_report("c-r", "asst-reset"))
    client.cookies.clear()
    await signed_up(client)  # a second organization, mid-cycle
    await _end_cycle_early(client, done.organization_id)

    first = (await client.get("/api/cron/billing-reset", headers=CRON)).json()
    second = (await client.get("/api/cron/billing-reset", headers=CRON)).json()

    assert first == {"reset": 1, "skipped": 1, "errors": 0}
    assert second == {"reset": 0, "skipped": 2, "errors": 0}
    cycles = await _sql(
        client,
        "SELECT used_ms, closed_at IS NOT NULL AS closed FROM usage_cycles "
        "WHERE organization_id = $1 ORDER BY starts_at",
        done.organization_id,
    )
    assert [(c["used_ms"], c["closed"]) for c in cycles] == [
        (330_000, True),
        (0, False),
    ]


async def test_concurrent_runs_reset_each_cycle_once(client: AsyncTestClient):
    orgs = []
    for _ in range(5):
        client.cookies.clear()
        orgs.append(await signed_up(client))
    for account in orgs:
        await _end_cycle_early(client, account.organization_id)
    results: list[dict] = []

    async def run() -> None:
        response = await client.get("/api/cron/billing-reset", headers=CRON)
        results.append(response.json())

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(run)

    assert sum(r["reset"] for r in results) == 5
    open_cycles = await _sql(
        client, "SELECT count(*) AS n FROM usage_cycles WHERE closed_at IS NULL"
    )
    assert open_cycles[0]["n"] == 5


async def test_minutes_after_a_reset_go_to_the_new_cycle(client: AsyncTestClient):
    account = await signed_up(client)
    await add_assistant(client, "asst-next")
    await client.post("/api/webhooks/vapi", json=vapi_report("c-1", "asst-next"))
    await _end_cycle_early(client, account.organization_id)
    await client.get("/api/cron/billing-reset", headers=CRON)

    await client.post("/api/webhooks/vapi", json=vapi_report("c-2", "asst-next"))

    usage = (await client.get("/api/usage")).json()
    assert usage["snapshot"]["minutesUsed"] == 5.5
    start = datetime.fromisoformat(usage["snapshot"]["currentCycleStart"])
    assert start <= datetime.now(UTC) < start + timedelta(days=32)


async def test_the_command_line_prints_the_counts(
    client: AsyncTestClient, monkeypatch, capsys
):
    account = await signed_up(client)
    await _end_cycle_early(client, account.organization_id)
    settings = client.app.state.settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("EPOCH_DATA_DIR", str(settings.data_dir))

    exit_code = await anyio.to_thread.run_sync(jobs_main, ["billing-reset"])

    assert exit_code == 0
    assert json.loads(capsys.readouterr().out) == {
        "reset": 1,
        "skipped": 0,
        "errors": 0,
    }


def test_a_job_refuses_to_start_a_fresh_embedded_database(
    tmp_path, monkeypatch, capsys
):
    """From a cron line in the wrong folder a job would otherwise create an
    empty database, bill nothing and report success."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("EPOCH_DATA_DIR", str(tmp_path / "nowhere"))

    exit_code = jobs_main(["overage-billing"])

    assert exit_code == 2
    assert "no DATABASE_URL" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()


def test_mailed_links_follow_the_port_in_use_without_app_url():
    from epoch_adapters.settings import Settings

    settings = Settings.from_env({"PORT": "8765"})
    assert settings.app_url == "http://127.0.0.1:8765"
    explicit = Settings.from_env({"PORT": "8765", "APP_URL": "https://voice.example"})
    assert explicit.app_url == "https://voice.example"
