"""Sandbox Stripe pages, served only when no Stripe key is configured.

The checkout page's "Pay" button and the portal's plan buttons build the
events Stripe would send, sign them with the sandbox webhook secret and hand
them to the same function the real webhook route uses.
"""

from __future__ import annotations

import html
from typing import Annotated, Any

import msgspec
import structlog
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import QueryParameter, URLEncodedBody
from litestar.response import Redirect

from epoch_adapters.stripe_sandbox import SandboxPayments
from epoch_domain.errors import NotFound
from epoch_domain.plans import Tier
from epoch_domain.subscription import CHECKOUT_TIERS
from epoch_http.controllers.webhooks_stripe import handle_stripe_event
from epoch_http.schemas import errors

log = structlog.get_logger()


class TokenForm(msgspec.Struct):
    token: str


class PlanForm(msgspec.Struct):
    token: str
    tier: str


def _sandbox(request: Request[Any, Any, Any]) -> SandboxPayments:
    payments = request.app.state.container.payments()
    if not isinstance(payments, SandboxPayments):
        raise NotFound("route", request.url.path)
    return payments


def _page(title: str, body: str) -> Response[str]:
    return Response(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><h1>{title}</h1>{body}"
        "<p><small>Sandbox: no money moves.</small></p></body></html>",
        media_type=MediaType.HTML,
    )


async def _deliver(
    request: Request[Any, Any, Any], events: list[dict[str, Any]]
) -> None:
    sandbox = _sandbox(request)
    for event in events:
        payload, signature = sandbox.signed(event)
        await handle_stripe_event(request.app.state.container, payload, signature)


class SandboxStripeController(Controller):
    path = "/sandbox/stripe"
    tags = ["Sandbox"]
    include_in_schema = False

    @get("/checkout", responses=errors(400, 404))
    async def checkout_page(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str, QueryParameter(description="Sandbox session")],
    ) -> Response[str]:
        session = _sandbox(request).open(token, "checkout")
        tier = html.escape(str(session["tier"]))
        safe = html.escape(token, quote=True)
        cancel = html.escape(str(session["cancel"]), quote=True)
        return _page(
            f"Subscribe to {tier}",
            "<form method='post' action='/sandbox/stripe/checkout'>"
            f"<input type='hidden' name='token' value='{safe}'>"
            "<button type='submit'>Pay</button></form>"
            f"<p><a href='{cancel}'>Cancel</a></p>",
        )

    @post("/checkout", status_code=303, responses=errors(400, 404))
    async def checkout_pay(
        self, request: Request[Any, Any, Any], data: URLEncodedBody[TokenForm]
    ) -> Redirect:
        sandbox = _sandbox(request)
        session = sandbox.open(data.token, "checkout")
        clock = request.app.state.container.clock()
        await _deliver(request, sandbox.checkout_events(session, clock.now()))
        log.info("billing.sandbox.checkout_paid", organization_id=session["org"])
        return Redirect(str(session["success"]), status_code=303)

    @get("/portal", responses=errors(400, 404))
    async def portal_page(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str, QueryParameter(description="Sandbox session")],
    ) -> Response[str]:
        session = _sandbox(request).open(token, "portal")
        safe = html.escape(token, quote=True)
        buttons = "".join(
            "<form method='post' action='/sandbox/stripe/portal'>"
            f"<input type='hidden' name='token' value='{safe}'>"
            f"<input type='hidden' name='tier' value='{t.name}'>"
            f"<button type='submit'>Switch to {t.name}</button></form>"
            for t in CHECKOUT_TIERS
            if t.name != session["tier"]
        )
        back = html.escape(str(session["return"]), quote=True)
        plan = html.escape(str(session["tier"]))
        return _page(
            "Billing portal",
            f"<p>Current plan: {plan}</p>{buttons}<p><a href='{back}'>Return</a></p>",
        )

    @post("/portal", status_code=303, responses=errors(400, 404))
    async def portal_change(
        self, request: Request[Any, Any, Any], data: URLEncodedBody[PlanForm]
    ) -> Redirect:
        sandbox = _sandbox(request)
        session = sandbox.open(data.token, "portal")
        tier = Tier.parse(data.tier)
        subscription = session.get("subscription")
        if subscription and tier in CHECKOUT_TIERS:
            clock = request.app.state.container.clock()
            event = sandbox.plan_change_event(session, subscription, tier, clock.now())
            await _deliver(request, [event])
        return Redirect(str(session["return"]), status_code=303)
