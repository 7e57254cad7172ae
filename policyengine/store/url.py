"""Which store to open: ``--store URL``, else ``POLICYENGINE_STORE``, else a local file.

The default is an SQLite file in the user data folder (platformdirs), so the inventory
works on a fresh machine with nothing to start; ``postgresql://...`` names a shared one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import platformdirs

ENV_STORE = "POLICYENGINE_STORE"
STORE_FILE = "inventory.sqlite3"


def default_url() -> str:
    """``sqlite:///<user data dir>/policyengine/inventory.sqlite3``."""
    folder = Path(platformdirs.user_data_dir("policyengine", appauthor=False))
    return f"sqlite:///{folder / STORE_FILE}"


def resolve_url(given: str | None, env: Mapping[str, str]) -> str:
    """The store URL to use: the option, the environment variable, or the default file.

    ``postgresql://`` and ``postgres://`` URLs are given the psycopg 3 driver, so the
    URL a PostgreSQL user already has works as it is.
    """
    url = given or env.get(ENV_STORE) or default_url()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
