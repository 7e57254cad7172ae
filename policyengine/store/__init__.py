"""The release inventory: judged releases, their components and their verdict history.

SQLite by default (a file in the user data folder), PostgreSQL to share; one schema
in SQLAlchemy Core, migrated with Alembic on open. Imports ``model`` only; the
orchestration that fills it and re-judges from it lives in :mod:`policyengine.watch`.
"""

from __future__ import annotations

from policyengine.store.store import (
    Holder,
    HolderTotal,
    IndexedComponent,
    Membership,
    NewVerdict,
    ReleaseRow,
    Store,
    VerdictRow,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    open_store,
)
from policyengine.store.url import ENV_STORE, default_url, resolve_url

__all__ = [
    "ENV_STORE",
    "Holder",
    "HolderTotal",
    "IndexedComponent",
    "Membership",
    "NewVerdict",
    "ReleaseRow",
    "Store",
    "VerdictRow",
    "current_revision",
    "default_url",
    "head_revision",
    "make_engine",
    "migrate",
    "open_store",
    "resolve_url",
]
