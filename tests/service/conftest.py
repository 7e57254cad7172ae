"""The gate service on 127.0.0.1: uvicorn in a thread over a fresh store, with tokens,
and a client that holds every answer to the OpenAPI document."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import referencing
import referencing.jsonschema
import uvicorn

from policyengine.enrich.settings import EnrichSettings
from policyengine.service.app import create_app, openapi_document
from policyengine.service.config import ServiceConfig
from policyengine.service.tokens import create
from policyengine.store import Store, open_store

DOCUMENT = openapi_document()
_REGISTRY = referencing.Registry().with_resource(
    "urn:openapi", referencing.Resource.from_contents(DOCUMENT, referencing.jsonschema.DRAFT202012)
)


def _template(path: str) -> str:
    """The document's path template that ``path`` matches (the most specific one)."""
    for template in sorted(DOCUMENT["paths"], key=lambda t: (t.count("{"), -len(t))):
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI document")


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def conforms(method: str, path: str, response: httpx.Response) -> None:
    """Raise unless the answer is one the document describes, its body valid against it."""
    template = _template(path)
    operation = DOCUMENT["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not in the OpenAPI document"
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {template}: {status} is undocumented"
    described = operation["responses"][status]
    for header in described.get("headers", {}):
        if header.lower() in ("www-authenticate", "retry-after", "policyengine-outcome"):
            assert header.lower() in response.headers, f"{status} without {header}"
    content = described.get("content")
    if not content:
        return
    media = response.headers.get("content-type", "").split(";")[0].strip()
    assert media in content, f"{method} {template} {status}: {media} is not documented"
    if not (media.endswith("json")):
        return
    where = _pointer("paths", template, method.lower(), "responses", status, "content", media)
    schema = {"$ref": f"urn:openapi#/{where}/schema"}
    validator = jsonschema.Draft202012Validator(
        schema,
        registry=_REGISTRY,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(response.json())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    """A running service: its root URL, store, tokens by role, and a checked client."""

    root: str
    store: Store
    tokens: dict[str, str] = field(default_factory=dict)

    def call(
        self, method: str, path: str, *, token: str | None = "admin", **kwargs: Any
    ) -> httpx.Response:
        """One request, its answer checked against the OpenAPI document."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(token, token)}"
        response = httpx.request(method, self.root + path, headers=headers, timeout=60.0, **kwargs)
        conforms(method, path, response)
        return response

    def token(self, *scopes: str, prefix: str | None = None) -> str:
        """A fresh token with these scopes."""
        return create(self.store, list(scopes), release_prefix=prefix).secret


@contextmanager
def running(config: ServiceConfig) -> Iterator[Service]:
    """uvicorn on a free loopback port, in a thread, until the block ends."""
    store = open_store(config.store_url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(config, store), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the service did not start")
            threading.Event().wait(0.02)
        service = Service(f"http://127.0.0.1:{port}", store)
        service.tokens = {
            "admin": service.token("admin"),
            "check": service.token("check"),
            "read": service.token("read"),
        }
        yield service
    finally:
        server.should_exit = True
        thread.join(30)
        store.close()


def offline_settings(cache: Path, **changes: Any) -> EnrichSettings:
    """Enrichment from an empty cache only: every registry fact missing, no network."""
    return EnrichSettings(cache_dir=cache, offline=True, progress=False, **changes)


MakeService = Callable[..., Any]

CLOSED = """\
apiVersion: policyengine/v1
kind: Policy
metadata: {name: closed}
settings: {on_missing_evidence: fail}
rules:
  - id: removed-or-yanked
    check: registry-status
    params: {fail_on: [removed, yanked, quarantined]}
    severity: fail
"""
"""A fail-closed policy needing registry facts (the server's ``closed``)."""


@pytest.fixture
def make_service(tmp_path: Path) -> Iterator[MakeService]:
    """Start services (``make_service(store_url=None, **config)``); all stopped at the end."""
    with_stack: list[Any] = []

    def make(store_url: str | None = None, **changes: Any) -> Service:
        settings = changes.pop("settings", None) or offline_settings(tmp_path / "cache")
        if "policy_dir" not in changes:
            folder = tmp_path / "server-policies"
            folder.mkdir(exist_ok=True)
            (folder / "closed.yaml").write_text(CLOSED)
            changes["policy_dir"] = folder
        config = ServiceConfig(
            store_url=store_url or f"sqlite:///{tmp_path / 'service.sqlite3'}",
            settings=settings,
            **changes,
        )
        manager = running(config)
        with_stack.append(manager)
        return manager.__enter__()

    yield make
    for manager in reversed(with_stack):
        manager.__exit__(None, None, None)


@pytest.fixture
def service(make_service: MakeService) -> Service:
    """A service on an SQLite store, offline (facts missing), default limits."""
    result: Service = make_service()
    return result
