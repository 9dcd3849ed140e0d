"""Billing: overage records, payment attempts, subscription timeline columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)

_ORG_COLUMNS = (
    ("subscription_period_start", TS),
    ("subscription_period_end", TS),
    ("cancelled_at", TS),
    ("cancel_effective_at", TS),
    ("data_deletion_at", TS),
    # `created` of the newest provider event applied: older ones change nothing.
    ("stripe_event_at", TS),
)


def upgrade() -> None:
    for name, kind in _ORG_COLUMNS:
        op.add_column("organizations", sa.Column(name, kind))
    op.create_index(
        "ix_organizations_stripe_subscription",
        "organizations",
        ["stripe_subscription_id"],
    )
    # Overage of the cycle already on a record (or waived), in ms.
    op.add_column(
        "usage_cycles",
        sa.Column(
            "billed_overage_ms", sa.BigInteger, nullable=False, server_default="0"
        ),
    )
    op.create_index("ix_usage_cycles_organization", "usage_cycles", ["organization_id"])
    op.create_index("ix_calls_cycle_metered", "calls", ["cycle_id", "metered_at"])
    op.create_table(
        "overage_records",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "organization_id",
            ID,
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("week_start", sa.Date, nullable=False),
        sa.Column("week_end", sa.Date, nullable=False),
        sa.Column("overage_ms", sa.BigInteger, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("rate_cents_per_minute", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("next_attempt_at", TS),
        sa.Column("last_error", sa.Text),
        sa.Column("payment_id", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("paid_at", TS),
        sa.UniqueConstraint("organization_id", "week_start"),
        sa.CheckConstraint(
            "status IN ('PENDING', 'PAID', 'FAILED')", name="overage_status"
        ),
        sa.CheckConstraint("amount_cents > 0", name="overage_amount_positive"),
    )
    op.create_index(
        "ix_overage_records_pending",
        "overage_records",
        ["created_at"],
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_index(
        "ix_overage_records_failed",
        "overage_records",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'FAILED'"),
    )
    op.create_table(
        "payment_attempts",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "organization_id",
            ID,
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "overage_record_id",
            ID,
            sa.ForeignKey("overage_records.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("payment_id", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index(
        "ix_payment_attempts_record", "payment_attempts", ["overage_record_id"]
    )


def downgrade() -> None:
    op.drop_table("payment_attempts")
    op.drop_table("overage_records")
    op.drop_index("ix_calls_cycle_metered", "calls")
    op.drop_index("ix_usage_cycles_organization", "usage_cycles")
    op.drop_column("usage_cycles", "billed_overage_ms")
    op.drop_index("ix_organizations_stripe_subscription", "organizations")
    for name, _ in reversed(_ORG_COLUMNS):
        op.drop_column("organizations", name)
