"""The composition root: one container builds every adapter and use case from
one settings object. The HTTP app and the jobs command both ask it for their
use cases; tests override its providers with fakes."""

from __future__ import annotations

from dependency_injector import containers, providers

from epoch_adapters.mail import FileMailer, SmtpMailer
from epoch_adapters.postgres.database import create_engine, resolve_url
from epoch_adapters.postgres.unit_of_work import unit_of_work_factory
from epoch_adapters.rate_limit import build_rate_limiter
from epoch_adapters.settings import Settings
from epoch_adapters.stripe_payments import StripePayments
from epoch_adapters.stripe_sandbox import SandboxPayments
from epoch_adapters.system import Argon2PasswordHasher, SystemClock, SystemSecrets
from epoch_adapters.twilio_tokens import build_voice_tokens
from epoch_domain.ports import Mailer, Payments
from epoch_domain.usecases.accounts import Accounts
from epoch_domain.usecases.admin import Administration
from epoch_domain.usecases.assistants import Assistants
from epoch_domain.usecases.billing import Billing
from epoch_domain.usecases.billing_events import BillingEvents
from epoch_domain.usecases.call_events import CallEvents
from epoch_domain.usecases.credentials import Credentials
from epoch_domain.usecases.cycle_reset import ResetBillingCycles
from epoch_domain.usecases.overage_billing import OverageBilling
from epoch_domain.usecases.usage import Usage
from epoch_domain.usecases.widget import EmbedTokens, WidgetTokens


def build_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            security=settings.smtp_security,
        )
    return FileMailer(settings.data_dir / "mail", settings.smtp_from)


def build_payments(settings: Settings) -> Payments:
    """Stripe when a secret key is set; the in-app sandbox otherwise."""
    if settings.stripe_secret_key:
        return StripePayments(settings)
    return SandboxPayments(settings)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    secrets = providers.Singleton(SystemSecrets)
    password_hasher = providers.Singleton(Argon2PasswordHasher)
    mailer = providers.Singleton(build_mailer, settings)

    database_url = providers.Singleton(
        resolve_url, settings.provided.database_url, settings.provided.data_dir
    )
    engine = providers.Singleton(
        create_engine, database_url, settings.provided.db_pool_size
    )
    uow = providers.Singleton(unit_of_work_factory, engine, secrets.provided.new_id)

    accounts = providers.Singleton(
        Accounts,
        uow=uow,
        hasher=password_hasher,
        mailer=mailer,
        clock=clock,
        secrets=secrets,
        app_url=settings.provided.app_url,
    )
    credentials = providers.Singleton(
        Credentials,
        uow=uow,
        hasher=password_hasher,
        mailer=mailer,
        clock=clock,
        secrets=secrets,
        accounts=accounts,
        app_url=settings.provided.app_url,
    )
    administration = providers.Singleton(Administration, uow=uow)
    rate_limiter = providers.Singleton(build_rate_limiter, settings.provided.redis_url)
    assistants = providers.Singleton(Assistants, uow=uow, clock=clock, secrets=secrets)
    call_events = providers.Singleton(CallEvents, uow=uow, clock=clock)
    usage = providers.Singleton(Usage, uow=uow, clock=clock)
    reset_billing_cycles = providers.Singleton(
        ResetBillingCycles, uow=uow, clock=clock, secrets=secrets
    )
    payments = providers.Singleton(build_payments, settings)
    billing = providers.Singleton(
        Billing,
        uow=uow,
        clock=clock,
        payments=payments,
        app_url=settings.provided.app_url,
    )
    billing_events = providers.Singleton(BillingEvents, uow=uow, clock=clock)
    overage_billing = providers.Singleton(
        OverageBilling, uow=uow, clock=clock, payments=payments, secrets=secrets
    )
    voice_tokens = providers.Singleton(build_voice_tokens, settings)
    embed_tokens = providers.Singleton(
        EmbedTokens, uow=uow, clock=clock, secrets=secrets
    )
    widget_tokens = providers.Singleton(
        WidgetTokens, uow=uow, clock=clock, telephony=voice_tokens
    )


def build_container(settings: Settings) -> Container:
    return Container(settings=settings)
