"""Bearer tokens of the gate service: who may judge, read or administer.

Revision ID: 0006
Revises: 0005

A token is stored only as the SHA-256 of its secret (policyengine/service/tokens.py says
why that hash is right for random tokens), with its scopes, an optional release-name
prefix, and when it was revoked; rows are never deleted, so a revoked token stays known.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tokens table."""
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("release_prefix", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("digest", name="uq_tokens_digest"),
    )


def downgrade() -> None:
    """Drop the tokens table."""
    op.drop_table("tokens")
