"""Each release carries its first and latest outcome, and the index covers its question.

Revision ID: 0005
Revises: 0004

``releases affected`` asks, for every release holding a component, what the gate said
then (its first verdict) and says now (its latest). At 10,000 releases a popular package
is held by all of them, and joining two verdict rows per release was most of the
answer's time. The first and latest outcome and judging time are now written on the
release row in the transaction that appends the verdict (verdict rows stay
append-only: these columns repeat what they say). ``release_components`` gets an index
on (component, release) so that the releases holding a component are read from the
index alone. Existing stores are backfilled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("first_outcome", sa.String(20), "outcome", "1"),
    ("first_judged_at", sa.DateTime(timezone=True), "judged_at", "1"),
    ("latest_outcome", sa.String(20), "outcome", "releases.latest_seq"),
    ("latest_judged_at", sa.DateTime(timezone=True), "judged_at", "releases.latest_seq"),
)


def upgrade() -> None:
    """Add and backfill the outcome columns; index memberships by (component, release)."""
    with op.batch_alter_table("releases") as batch:
        for name, kind, _, _ in COLUMNS:
            batch.add_column(sa.Column(name, kind))
    for name, _, source, seq in COLUMNS:
        op.execute(
            f"UPDATE releases SET {name} = (SELECT {source} FROM verdicts"
            f" WHERE verdicts.release_id = releases.id AND verdicts.seq = {seq})"
        )
    op.create_index(
        "ix_release_components_component_release",
        "release_components",
        ["component_id", "release_id"],
    )
    op.drop_index("ix_release_components_component", table_name="release_components")


def downgrade() -> None:
    """Drop the outcome columns and go back to the index on the component alone."""
    op.create_index("ix_release_components_component", "release_components", ["component_id"])
    op.drop_index("ix_release_components_component_release", table_name="release_components")
    with op.batch_alter_table("releases") as batch:
        for name, _, _, _ in COLUMNS:
            batch.drop_column(name)
