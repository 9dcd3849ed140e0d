"""Foundation: organizations, users, sessions, assistants, cycles, calls, events.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def _fk(table: str, on_delete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete=on_delete)


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("cycle_anchor", TS, nullable=False),
        sa.Column("phone_number", sa.Text),
        sa.Column("vapi_phone_number_id", sa.Text, unique=True),
        sa.Column("twilio_phone_number_sid", sa.Text),
        sa.Column("overage_enabled", sa.Boolean, nullable=False),
        sa.Column("stripe_customer_id", sa.Text, unique=True),
        sa.Column("stripe_subscription_id", sa.Text),
        sa.Column("subscription_status", sa.Text),
    )
    op.create_table(
        "users",
        sa.Column("id", ID, primary_key=True),
        sa.Column("organization_id", ID, _fk("organizations"), nullable=False),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("password_changed_at", TS),
    )
    op.create_index("ix_users_organization", "users", ["organization_id"])
    op.create_table(
        "auth_sessions",
        sa.Column("id", ID, primary_key=True),
        sa.Column("token_digest", sa.Text, nullable=False, unique=True),
        sa.Column("user_id", ID, _fk("users"), nullable=False),
        sa.Column("organization_id", ID, _fk("organizations"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
    )
    op.create_index("ix_auth_sessions_user", "auth_sessions", ["user_id"])
    op.create_table(
        "auth_tokens",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("token_digest", sa.Text, nullable=False, unique=True),
        sa.Column("user_id", ID, _fk("users"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
    )
    op.create_index("ix_auth_tokens_user", "auth_tokens", ["user_id"])
    op.create_table(
        "assistants",
        sa.Column("id", ID, primary_key=True),
        sa.Column("organization_id", ID, _fk("organizations"), nullable=False),
        sa.Column("vapi_assistant_id", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_assistants_organization", "assistants", ["organization_id"])
    op.create_table(
        "usage_cycles",
        sa.Column("id", ID, primary_key=True),
        sa.Column("organization_id", ID, _fk("organizations"), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("used_ms", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("included_minutes", sa.Integer, nullable=False),
        sa.Column("closed_at", TS),
        sa.UniqueConstraint("organization_id", "starts_at"),
        sa.CheckConstraint("used_ms >= 0", name="used_ms_not_negative"),
        sa.CheckConstraint("ends_at > starts_at", name="cycle_not_empty"),
    )
    # At most one open cycle per organization: the one minutes are added to.
    op.create_index(
        "uq_usage_cycles_open",
        "usage_cycles",
        ["organization_id"],
        unique=True,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index(
        "ix_usage_cycles_due",
        "usage_cycles",
        ["ends_at"],
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_table(
        "calls",
        sa.Column("id", ID, primary_key=True),
        sa.Column("organization_id", ID, _fk("organizations")),
        sa.Column("assistant_id", ID, _fk("assistants", "SET NULL")),
        sa.Column("vapi_call_id", sa.Text, nullable=False, unique=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("call_type", sa.Text),
        sa.Column("started_at", TS),
        sa.Column("ended_at", TS),
        sa.Column("duration_ms", sa.BigInteger),
        sa.Column("ended_reason", sa.Text),
        sa.Column("customer_number", sa.Text),
        sa.Column("transcript", sa.Text),
        sa.Column("summary", sa.Text),
        sa.Column("recording_url", sa.Text),
        sa.Column("metered_ms", sa.BigInteger),
        sa.Column("metered_at", TS),
        sa.Column("cycle_id", ID, _fk("usage_cycles", "SET NULL")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("metered_ms IS NULL OR metered_ms >= 0", name="metered_ms"),
    )
    op.create_index("ix_calls_org_created", "calls", ["organization_id", "created_at"])
    op.create_index("ix_calls_cycle", "calls", ["cycle_id"])
    op.create_index("ix_calls_assistant", "calls", ["assistant_id"])
    op.create_table(
        "webhook_events",
        sa.Column("id", ID, primary_key=True),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("external_id", sa.Text),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("processed_at", TS),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("provider", "external_id"),
    )
    op.create_index(
        "ix_webhook_events_unprocessed",
        "webhook_events",
        ["provider", "received_at"],
        postgresql_where=sa.text("processed_at IS NULL"),
    )


def downgrade() -> None:
    for table in (
        "webhook_events",
        "calls",
        "usage_cycles",
        "assistants",
        "auth_tokens",
        "auth_sessions",
        "users",
        "organizations",
    ):
        op.drop_table(table)
