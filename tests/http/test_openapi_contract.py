"""The served OpenAPI schema is a contract the app keeps.

Schemathesis reads `/schema/openapi.json` from the app in-process, generates
valid and invalid requests for every operation it lists (routes added later
are covered without touching this file) and checks each answer: no 5xx, a
documented status code, a body and headers that match the documented schema,
input that breaks the schema rejected, a declared credential left out refused.
It runs against real PostgreSQL (this session's database) with a signed-in
organization's cookie, the cron secret and the admin key, so the Session,
cron and admin routes are exercised past their guards.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from litestar.testing import TestClient
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    positive_data_acceptance,
)

from epoch_adapters.settings import Settings
from epoch_http.app import create_app
from epoch_http.security import SESSION_COOKIE
from tests.conftest import CRON_SECRET
from tests.http.helpers import vapi_report

pytestmark = pytest.mark.slow

ASSISTANT_ID = "asst-contract-1"
ADMIN_KEY = "admin-key-for-contract-tests-0123456789"
ADMIN_HEADER = "x-admin-key"
# Signing out revokes the session every other case uses.
WITHOUT_SESSION = frozenset({("POST", "/api/auth/signout")})
# Known limit: Litestar 2.x answers OPTIONS on a path served by several
# handlers with only the first handler's methods in `Allow`
# (litestar-org/litestar#4169, fixed in 3.0); not part of our API contract.
#
# Positive-data acceptance is off: a schema-valid body can still meet a
# documented 400 that depends on state, not shape (an unknown reset token, a
# wrong current password, no billing account yet). Where a 400 came from a
# schema looser than the domain, the schema was tightened instead.
EXCLUDED_CHECKS = [allow_header_conformance, positive_data_acceptance]


def _settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        cron_secret=CRON_SECRET,
        admin_api_key=ADMIN_KEY,
        csrf_secret="csrf-secret-for-tests",
        log_level="WARNING",
    )


def _signed_in_organization(settings: Settings) -> str:
    """Sign up, sign in, register an assistant and give it a few calls, so the
    Session routes answer with real data; returns the session token."""
    email = f"contract-{uuid.uuid4().hex[:8]}@example.com"
    password = "securepass123"
    with TestClient(create_app(settings), base_url="http://testserver.local") as c:
        registered = c.post(
            "/api/auth/register",
            json={
                "name": "Contract Owner",
                "email": email,
                "password": password,
                "organizationName": "Contract Dental",
            },
        )
        assert registered.status_code == 201, registered.text
        csrf = c.get("/api/auth/csrf").json()["csrfToken"]
        signed_in = c.post(
            "/api/auth/callback/credentials",
            data={"email": email, "password": password, "csrfToken": csrf},
        )
        assert signed_in.status_code == 200, signed_in.text
        token = c.cookies[SESSION_COOKIE]
        added = c.post(
            "/api/assistants", json={"vapiAssistantId": ASSISTANT_ID, "name": "AI"}
        )
        assert added.status_code == 201, added.text
        for n in range(3):
            report = vapi_report(f"contract-call-{n}", ASSISTANT_ID)
            assert c.post("/api/webhooks/vapi", json=report).status_code == 200
    return token


@pytest.fixture(scope="module")
def session_token(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _signed_in_organization(
        _settings(database_url, tmp_path_factory.mktemp("contract-setup"))
    )


@pytest.fixture(scope="module")
def api_schema(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> schemathesis.BaseSchema:
    # Schemathesis starts the app's lifespan (migrations, engine) on its own
    # event loop the first time it calls it, and stops it at exit.
    app = create_app(_settings(database_url, tmp_path_factory.mktemp("contract")))
    return schemathesis.openapi.from_asgi("/schema/openapi.json", app)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # Known limit: schemathesis 4.32's fixture-loaded schemas read and rename
    # `node._nodeid`, which pytest 9 no longer has; give it the attribute.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


def _credentials(
    case: schemathesis.Case, session_token: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The headers and cookies that get a case past the route's guard, unless
    the case is about leaving a declared credential out or getting it wrong."""
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    if (case.method.upper(), case.path) not in WITHOUT_SESSION:
        cookies[SESSION_COOKIE] = session_token
    if case.path.startswith("/api/cron/"):
        headers["Authorization"] = f"Bearer {CRON_SECRET}"
    declared = case.headers or {}
    info = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    negative = info is not None and info.mode.is_negative
    if ADMIN_HEADER in declared and not negative:
        headers[ADMIN_HEADER] = ADMIN_KEY
    return headers, cookies


@schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_operation_keeps_its_documented_contract(
    case: schemathesis.Case, session_token: str
) -> None:
    headers, cookies = _credentials(case, session_token)
    case.call_and_validate(
        headers=headers, cookies=cookies, excluded_checks=EXCLUDED_CHECKS
    )
