"""Each release points at its latest verdict, so questions across releases are one join.

Revision ID: 0003
Revises: 0002

``releases.latest_seq`` is the ``seq`` of the release's newest verdict (the first is
always 1); verdict rows stay append-only. Existing stores are backfilled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add and backfill ``releases.latest_seq``."""
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("latest_seq", sa.Integer, nullable=False, server_default="1"))
    op.execute(
        "UPDATE releases SET latest_seq = COALESCE("
        "(SELECT MAX(seq) FROM verdicts WHERE verdicts.release_id = releases.id), 1)"
    )


def downgrade() -> None:
    """Drop ``releases.latest_seq``."""
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("latest_seq")
