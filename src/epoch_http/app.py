"""The Litestar application factory."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from litestar import Litestar
from litestar.config.response_cache import ResponseCacheConfig
from litestar.logging.config import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from epoch_adapters.container import Container, build_container
from epoch_adapters.logging import configure_logging
from epoch_adapters.postgres import migrate
from epoch_adapters.settings import Settings
from epoch_http.controllers.admin import AdminController
from epoch_http.controllers.assistants import AssistantsController
from epoch_http.controllers.auth import AuthController
from epoch_http.controllers.billing import BillingController
from epoch_http.controllers.cron import CronController
from epoch_http.controllers.health import health
from epoch_http.controllers.sandbox_stripe import SandboxStripeController
from epoch_http.controllers.usage import CallsController, UsageController
from epoch_http.controllers.webhooks_stripe import stripe_webhook
from epoch_http.controllers.webhooks_vapi import vapi_webhook
from epoch_http.controllers.widget import EmbedTokenController, widget_router
from epoch_http.csrf import OriginCheckMiddleware
from epoch_http.errors import EXCEPTION_HANDLERS
from epoch_http.request_log import RequestLogMiddleware

log = structlog.get_logger()

ROUTE_HANDLERS = [
    health,
    AuthController,
    AssistantsController,
    UsageController,
    CallsController,
    vapi_webhook,
    CronController,
    BillingController,
    stripe_webhook,
    SandboxStripeController,
    AdminController,
    EmbedTokenController,
    widget_router,
]


def _csrf_secret(settings: Settings) -> bytes:
    # Without a configured secret, tokens are only valid for this process's
    # lifetime: a restart asks open login forms to fetch a new one.
    if settings.csrf_secret:
        return hashlib.sha256(settings.csrf_secret.encode()).digest()
    return secrets.token_bytes(32)


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Epoch Voice AI",
        version="1.0.0",
        path="/schema",
        components=Components(
            security_schemes={
                "session": SecurityScheme(
                    type="apiKey",
                    name="next-auth.session-token",
                    security_scheme_in="cookie",
                ),
                "cron": SecurityScheme(type="http", scheme="bearer"),
                "admin": SecurityScheme(
                    type="apiKey", name="x-admin-key", security_scheme_in="header"
                ),
            }
        ),
    )


def create_app(
    settings: Settings | None = None, container: Container | None = None
) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
    container = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await migrate.upgrade(container.database_url())
        log.info("app.started", app_url=settings.app_url)
        try:
            yield
        finally:
            await container.engine().dispose()
            await container.rate_limiter().store.close()

    app = Litestar(
        route_handlers=ROUTE_HANDLERS,
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[RequestLogMiddleware, OriginCheckMiddleware()],
        openapi_config=_openapi(),
        logging_config=LoggingConfig(configure_root_logger=False),
        response_cache_config=ResponseCacheConfig(),
        request_max_body_size=1024 * 1024,
    )
    app.state.settings = settings
    app.state.container = container
    app.state.csrf_secret = _csrf_secret(settings)
    return app
