"""Embed tokens: credentials a customer puts in a web page (the widget).

Only the token's SHA-256 digest and a display prefix are stored, never the
raw token.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "embed_tokens",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "organization_id",
            ID,
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("label", sa.Text),
        sa.Column("token_digest", sa.Text, nullable=False, unique=True),
        sa.Column("token_prefix", sa.Text, nullable=False),
        sa.Column(
            "allowed_domains",
            ARRAY(sa.Text),
            nullable=False,
            server_default="{}",
        ),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_used_at", TS),
        sa.Column("revoked_at", TS),
    )
    op.create_index(
        "ix_embed_tokens_organization",
        "embed_tokens",
        ["organization_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_embed_tokens_organization", "embed_tokens")
    op.drop_table("embed_tokens")
