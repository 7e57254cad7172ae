"""``policyengine serve``: the app under uvicorn, in one process or several.

Several worker processes each build the app from the same configuration, passed through
the environment as JSON (uvicorn starts workers by importing a factory), and share the
store: PostgreSQL for that; an SQLite file is for one process.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from policyengine.enrich import EnrichSettings
from policyengine.service.config import ServiceConfig

ENV_CONFIG = "POLICYENGINE_SERVICE_CONFIG"
"""Where :func:`serve` leaves the configuration for worker processes."""

_SETTINGS = (
    "pypi_url",
    "npm_url",
    "osv_url",
    "cache_dir",
    "offline",
    "advisories",
    "ca_bundle",
    "deadline",
    "allow_redirect_hosts",
)


def dump_config(config: ServiceConfig) -> str:
    """The configuration as JSON (the TLS context is built again in each process)."""
    settings = {name: getattr(config.settings, name) for name in _SETTINGS}
    settings["allow_redirect_hosts"] = sorted(settings["allow_redirect_hosts"])
    document: dict[str, Any] = {
        "store_url": config.store_url,
        "policy_dir": config.policy_dir,
        "allow_policy_upload": config.allow_policy_upload,
        "max_body": config.max_body,
        "per_token": config.per_token,
        "request_timeout": config.request_timeout,
        "check_threads": config.check_threads,
        "settings": settings,
    }
    return json.dumps(document, default=str)


def load_config(text: str) -> ServiceConfig:
    """The configuration :func:`dump_config` wrote, with a fresh TLS context."""
    from policyengine.enrich.trust import tls_context

    document = json.loads(text)
    given = document.pop("settings")
    given["cache_dir"] = Path(given["cache_dir"])
    given["ca_bundle"] = Path(given["ca_bundle"]) if given["ca_bundle"] else None
    given["allow_redirect_hosts"] = frozenset(given["allow_redirect_hosts"])
    settings = EnrichSettings(**given)
    if not settings.offline:
        settings = dataclasses.replace(
            settings, ssl_context=tls_context(settings.ca_bundle, os.environ)
        )
    folder = document.pop("policy_dir")
    return ServiceConfig(settings=settings, policy_dir=Path(folder) if folder else None, **document)


def app_from_env() -> Starlette:
    """The app of one worker process (uvicorn's factory)."""
    from policyengine.service.app import create_app

    return create_app(load_config(os.environ[ENV_CONFIG]))


def serve(config: ServiceConfig, *, host: str, port: int, workers: int) -> None:
    """Run the service until stopped."""
    import uvicorn

    if workers <= 1:
        from policyengine.service.app import create_app

        uvicorn.run(create_app(config), host=host, port=port, log_level="info", access_log=False)
        return
    os.environ[ENV_CONFIG] = dump_config(config)
    uvicorn.run(
        "policyengine.service.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )
