"""Alembic environment: migrations run on the connection that ``open_store`` hands over.

``alembic`` on the command line is not needed: ``policyengine.store.open_store`` runs
``upgrade head`` programmatically with ``config.attributes["connection"]`` set.
"""

from __future__ import annotations

from alembic import context

from policyengine.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations through policyengine.store.open_store(url)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
