"""The app's two hot paths over real HTTP, each beside a bare route.

The real app runs under uvicorn in a child process on a loopback port against
a fresh PostgreSQL database. An organization signs up, signs in and registers
an assistant; then, with `CONCURRENCY` requests in flight (httpx.AsyncClient):

1. `GET /health` (one `SELECT 1`): the baseline, what any route of this app
   costs with one database round trip;
2. `POST /api/webhooks/vapi`: end-of-call reports, each for a new call id
   (the published sample's shape and size), so every request stores the raw
   event, creates the call and meters its minutes;
3. `GET /api/usage` with the session cookie, once thousands of calls exist.

Each path is bounded by a request count and a time cap. The run checks that
the minutes metered equal 5.5 times the reports accepted.

Run alone: `python -m bench.http_paths`.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.support import ROOT, Load, closed_loop, fresh_database, serve, server_url

CONCURRENCY = 16
ROUNDS = 3
BASELINE_REQUESTS = 3000
REPORTS = 3000
USAGE_REQUESTS = 1500
SEEDED_CALLS = 3000
# Per path, over all rounds.
MAX_SECONDS = 15.0
SAMPLE = ROOT.parent / "shared" / "samples" / "vapi-end-of-call-report.json"
ASSISTANT = "asst-bench-1"
CALL_MINUTES = 5.5


def _template() -> dict[str, Any]:
    """The published sample when it is at hand, else its essentials."""
    if Path(SAMPLE).exists():
        body: dict[str, Any] = json.loads(SAMPLE.read_text())
        return body
    return {
        "message": {
            "type": "end-of-call-report",
            "endedReason": "customer-ended-call",
            "customer": {"number": "+15555550100"},
            "call": {"id": "", "assistantId": ""},
            "artifact": {"transcript": "AI: Hello.\nUser: Hi, a cleaning please."},
            "analysis": {"summary": "Caller booked a cleaning."},
        }
    }


def _report(template: dict[str, Any], call_id: str, ended: datetime) -> bytes:
    body = copy.deepcopy(template)
    message = body["message"]
    message["call"]["id"] = call_id
    message["call"]["assistantId"] = ASSISTANT
    started = ended - timedelta(minutes=CALL_MINUTES)
    message["startedAt"] = started.isoformat().replace("+00:00", "Z")
    message["endedAt"] = ended.isoformat().replace("+00:00", "Z")
    return json.dumps(body).encode()


async def _sign_up(client: httpx.AsyncClient) -> None:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    password = "bench-password-123"
    registered = await client.post(
        "/api/auth/register",
        json={
            "name": "Bench Owner",
            "email": email,
            "password": password,
            "organizationName": "Bench Dental",
        },
    )
    registered.raise_for_status()
    csrf = (await client.get("/api/auth/csrf")).json()["csrfToken"]
    signed_in = await client.post(
        "/api/auth/callback/credentials",
        data={"email": email, "password": password, "csrfToken": csrf},
    )
    signed_in.raise_for_status()
    added = await client.post(
        "/api/assistants", json={"vapiAssistantId": ASSISTANT, "name": "Bench AI"}
    )
    added.raise_for_status()


async def _seed_calls(database_url: str, count: int) -> None:
    """`count` metered calls spread over the last 30 days, written in one
    statement, so /api/usage reads an organization with thousands of calls
    however fast ingestion ran on this machine. The open cycle's total grows
    by their minutes, as ingestion would have done."""
    conn = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
    try:
        async with conn.transaction():
            org, assistant, cycle = await conn.fetchrow(
                "SELECT a.organization_id, a.id, c.id FROM assistants a "
                "JOIN usage_cycles c ON c.organization_id = a.organization_id "
                "AND c.closed_at IS NULL WHERE a.vapi_assistant_id = $1",
                ASSISTANT,
            )
            await conn.execute(
                """
                INSERT INTO calls (id, organization_id, assistant_id, vapi_call_id,
                    status, started_at, ended_at, duration_ms, ended_reason,
                    customer_number, summary, metered_ms, metered_at, cycle_id,
                    created_at, updated_at)
                SELECT gen_random_uuid(), $1, $2, 'seed-' || g, 'COMPLETED',
                    t - interval '330 seconds', t, 330000, 'customer-ended-call',
                    '+15555550100', 'Seeded call', 330000, t, $3, t, t
                FROM generate_series(1, $4) AS g,
                    LATERAL (SELECT now() - (g % 30) * interval '1 day'
                        - interval '1 hour' AS t) AS moment
                """,
                org,
                assistant,
                cycle,
                count,
            )
            await conn.execute(
                "UPDATE usage_cycles SET used_ms = used_ms + $1 WHERE id = $2",
                count * 330000,
                cycle,
            )
        await conn.execute("ANALYZE calls")
    finally:
        await conn.close()


async def _measure(base: str, database_url: str) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await _sign_up(client)
        await _seed_calls(database_url, SEEDED_CALLS)
        template = _template()
        # Reports end one hour ago, so they fall in the current cycle.
        ended = datetime.now(UTC) - timedelta(hours=1)
        run_id = uuid.uuid4().hex[:8]
        accepted = 0

        async def health(_: int) -> bool:
            return (await client.get("/health")).status_code == 200

        def reports(tag: str) -> Callable[[int], Awaitable[bool]]:
            async def report(i: int) -> bool:
                nonlocal accepted
                response = await client.post(
                    "/api/webhooks/vapi",
                    content=_report(template, f"bench-{run_id}-{tag}-{i}", ended),
                    headers={"content-type": "application/json"},
                )
                accepted += response.status_code == 200
                return response.status_code == 200

            return report

        async def usage(_: int) -> bool:
            return (await client.get("/api/usage")).status_code == 200

        # Warm-up: connections, the pool, Litestar's caches; not measured.
        warm = {"concurrency": 8, "max_seconds": 10.0}
        await closed_loop("warm-up", health, requests=200, **warm)
        await closed_loop("warm-up", reports("warm"), requests=50, **warm)
        await closed_loop("warm-up", usage, requests=20, **warm)

        # Interleaved rounds: the baseline and each path share whatever else
        # the machine is doing at the time, so their ratio stays meaningful.
        bounds = {"concurrency": CONCURRENCY, "max_seconds": MAX_SECONDS / ROUNDS}
        baseline, ingest, reading = [], [], []
        for r in range(ROUNDS):
            baseline.append(
                await closed_loop(
                    "GET /health (baseline)",
                    health,
                    requests=BASELINE_REQUESTS // ROUNDS,
                    **bounds,
                )
            )
            ingest.append(
                await closed_loop(
                    "POST /api/webhooks/vapi",
                    reports(f"r{r}"),
                    requests=REPORTS // ROUNDS,
                    **bounds,
                )
            )
            reading.append(
                await closed_loop(
                    "GET /api/usage", usage, requests=USAGE_REQUESTS // ROUNDS, **bounds
                )
            )

        snapshot = (await client.get("/api/usage")).json()["snapshot"]
        expected = round((accepted + SEEDED_CALLS) * CALL_MINUTES, 2)
        if abs(snapshot["minutesUsed"] - expected) > 0.01:
            raise AssertionError(
                f"metered {snapshot['minutesUsed']} minutes for {accepted} "
                f"reports and {SEEDED_CALLS} seeded calls, expected {expected}"
            )

    base_load = Load.merge(baseline)
    rows = [
        base_load.row(),
        Load.merge(ingest).row(base_load),
        Load.merge(reading).row(base_load),
    ]
    rows[2]["calls_in_org"] = SEEDED_CALLS + accepted
    return rows


async def run(server: str | None = None) -> list[dict[str, Any]]:
    """The harness's entry point (see bench/__main__.py)."""
    async with (
        fresh_database(server or server_url()) as url,
        serve(url, VAPI_WEBHOOK_SECRET="") as base,
    ):
        return await _measure(base, url)


def main() -> None:
    for row in asyncio.run(run()):
        print(row)


if __name__ == "__main__":
    main()
