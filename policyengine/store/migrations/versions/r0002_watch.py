"""The advisory watch: fact fingerprints per release component, advisory generations.

Revision ID: 0002
Revises: 0001

Releases stored before this revision have no fingerprints (NULL): re-judging treats
an unknown fingerprint as changed, so they are re-judged once and then tracked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the fingerprints, the verdict's advisory generation and the settings table."""
    with op.batch_alter_table("release_components") as batch:
        batch.add_column(sa.Column("advisories", sa.Text))
        batch.add_column(sa.Column("registry", sa.String(80)))
    with op.batch_alter_table("verdicts") as batch:
        batch.add_column(
            sa.Column("advisory_generation", sa.Integer, nullable=False, server_default="0")
        )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Remove what :func:`upgrade` added."""
    op.drop_table("settings")
    with op.batch_alter_table("verdicts") as batch:
        batch.drop_column("advisory_generation")
    with op.batch_alter_table("release_components") as batch:
        batch.drop_column("registry")
        batch.drop_column("advisories")
