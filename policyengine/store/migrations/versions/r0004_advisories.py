"""The advisory database in the store, so that every machine of a shared store sees one copy.

Revision ID: 0004
Revises: 0003

The same records ``db import`` keeps in the local ``osv.sqlite3``: each OSV record once
(the newest ``modified`` wins), the packages it names, one row per import (its
generation) and which records each import added or changed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the advisory tables."""
    op.create_table(
        "advisories",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("modified", sa.String(40), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
    )
    op.create_table(
        "advisory_packages",
        sa.Column("ecosystem", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(400), primary_key=True),
        sa.Column("id", sa.String(200), primary_key=True),
    )
    op.create_table(
        "advisory_imports",
        sa.Column("generation", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
    )
    op.create_table(
        "advisory_changes",
        sa.Column("generation", sa.Integer, primary_key=True),
        sa.Column("id", sa.String(200), primary_key=True),
    )


def downgrade() -> None:
    """Drop the advisory tables."""
    for table in ("advisory_changes", "advisory_imports", "advisory_packages", "advisories"):
        op.drop_table(table)
