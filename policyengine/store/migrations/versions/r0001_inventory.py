"""The release inventory: releases, blobs, inputs, the component index and verdicts.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the inventory tables."""
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_releases_name_version"),
    )
    op.create_table(
        "blobs",
        sa.Column("digest", sa.String(80), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "release_inputs",
        sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("blob", sa.String(80), sa.ForeignKey("blobs.digest"), nullable=False),
    )
    op.create_table(
        "components",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ecosystem", sa.String(40), nullable=False),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("purl", sa.Text),
        sa.UniqueConstraint("ecosystem", "name", "version", name="uq_components_key"),
    )
    op.create_table(
        "release_components",
        sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id"), primary_key=True),
        sa.Column("component_id", sa.Integer, sa.ForeignKey("components.id"), primary_key=True),
    )
    op.create_index("ix_release_components_component", "release_components", ["component_id"])
    op.create_table(
        "verdicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("policy_name", sa.Text, nullable=False),
        sa.Column("policy_digest", sa.String(80), nullable=False),
        sa.Column("evidence_digest", sa.String(80)),
        sa.Column("policy_blob", sa.String(80), sa.ForeignKey("blobs.digest"), nullable=False),
        sa.Column("evidence_blob", sa.String(80), sa.ForeignKey("blobs.digest"), nullable=False),
        sa.Column("verdict_blob", sa.String(80), sa.ForeignKey("blobs.digest"), nullable=False),
        sa.UniqueConstraint("release_id", "seq", name="uq_verdicts_release_seq"),
    )


def downgrade() -> None:
    """Drop the inventory tables."""
    for table in (
        "verdicts",
        "release_components",
        "components",
        "release_inputs",
        "blobs",
        "releases",
    ):
        op.drop_table(table)
