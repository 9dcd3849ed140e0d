"""Table definitions used by the repositories' queries.

The schema itself is created and changed only by the Alembic migrations in
`migrations/versions`; these definitions mirror them for query building.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData()

Id = UUID(as_uuid=False)
Timestamp = DateTime(timezone=True)


def _fk(table: str, on_delete: str = "CASCADE") -> ForeignKey:
    return ForeignKey(f"{table}.id", ondelete=on_delete)


organizations = Table(
    "organizations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", Text, nullable=False),
    Column("plan", Text, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("cycle_anchor", Timestamp, nullable=False),
    Column("phone_number", Text),
    Column("vapi_phone_number_id", Text, unique=True),
    Column("twilio_phone_number_sid", Text),
    Column("overage_enabled", Boolean, nullable=False),
    Column("stripe_customer_id", Text, unique=True),
    Column("stripe_subscription_id", Text),
    Column("subscription_status", Text),
    Column("subscription_period_start", Timestamp),
    Column("subscription_period_end", Timestamp),
    Column("cancelled_at", Timestamp),
    Column("cancel_effective_at", Timestamp),
    Column("data_deletion_at", Timestamp),
    Column("stripe_event_at", Timestamp),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, _fk("organizations"), nullable=False),
    Column("email", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("must_change_password", Boolean, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("password_changed_at", Timestamp),
)

auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("token_digest", Text, nullable=False, unique=True),
    Column("user_id", Id, _fk("users"), nullable=False),
    Column("organization_id", Id, _fk("organizations"), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("last_seen_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("token_digest", Text, nullable=False, unique=True),
    Column("user_id", Id, _fk("users"), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("used_at", Timestamp),
)

assistants = Table(
    "assistants",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, _fk("organizations"), nullable=False),
    Column("vapi_assistant_id", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

usage_cycles = Table(
    "usage_cycles",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, _fk("organizations"), nullable=False),
    Column("starts_at", Timestamp, nullable=False),
    Column("ends_at", Timestamp, nullable=False),
    Column("used_ms", BigInteger, nullable=False),
    Column("included_minutes", Integer, nullable=False),
    Column("closed_at", Timestamp),
    Column("billed_overage_ms", BigInteger, nullable=False, server_default="0"),
)

calls = Table(
    "calls",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, _fk("organizations")),
    Column("assistant_id", Id, _fk("assistants", "SET NULL")),
    Column("vapi_call_id", Text, nullable=False, unique=True),
    Column("status", Text, nullable=False),
    Column("call_type", Text),
    Column("started_at", Timestamp),
    Column("ended_at", Timestamp),
    Column("duration_ms", BigInteger),
    Column("ended_reason", Text),
    Column("customer_number", Text),
    Column("transcript", Text),
    Column("summary", Text),
    Column("recording_url", Text),
    Column("metered_ms", BigInteger),
    Column("metered_at", Timestamp),
    Column("cycle_id", Id, _fk("usage_cycles", "SET NULL")),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("provider", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("external_id", Text),
    Column("payload", JSONB, nullable=False),
    Column("received_at", Timestamp, nullable=False),
    Column("processed_at", Timestamp),
    Column("error", Text),
)

overage_records = Table(
    "overage_records",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, _fk("organizations"), nullable=False),
    Column("week_start", Date, nullable=False),
    Column("week_end", Date, nullable=False),
    Column("overage_ms", BigInteger, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("rate_cents_per_minute", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False, unique=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Timestamp),
    Column("last_error", Text),
    Column("payment_id", Text),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("paid_at", Timestamp),
)

payment_attempts = Table(
    "payment_attempts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, _fk("organizations"), nullable=False),
    Column("overage_record_id", Id, _fk("overage_records"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("payment_id", Text),
    Column("error", Text),
    Column("created_at", Timestamp, nullable=False),
)

embed_tokens = Table(
    "embed_tokens",
    metadata,
    Column("id", Id, primary_key=True),
    Column("organization_id", Id, _fk("organizations"), nullable=False),
    Column("label", Text),
    Column("token_digest", Text, nullable=False, unique=True),
    Column("token_prefix", Text, nullable=False),
    Column("allowed_domains", ARRAY(Text), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("last_used_at", Timestamp),
    Column("revoked_at", Timestamp),
)
