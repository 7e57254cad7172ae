"""The page's test bench: the LiteLLM inventory story in a store, and a real uvicorn server.

The store is filled the way tests/examples/test_inventory_litellm.py fills it: three
releases of acme-chat-gateway judged while the advisory database knew nothing of LiteLLM
(all pass), then the LiteLLM advisories imported into the store and ``releases rejudge``
(1.82.7 and 1.82.8 now fail). Two hand-made releases join them: one of team A, and one whose
verdict carries hostile text (HTML in component names, messages and remediation).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from policyengine.cli import main
from policyengine.service.page import page_routes
from policyengine.service.principal import Principal
from policyengine.store import IndexedComponent, NewVerdict, Store, open_store
from tests.conftest import ROOT
from tests.examples.litellm_story import EXAMPLE, VERSIONS, check_argv

HOSTILE_NAME = '<script>alert("pwned")</script>'
HOSTILE_RELEASE = "team-b-<b>bold</b>"

TOKENS = {
    "read-everything": Principal("t1", "auditor", frozenset({"read"})),
    "read-team-a": Principal("t2", "team-a", frozenset({"read"}), release_prefix="team-a-"),
    "check-only": Principal("t3", "ci", frozenset({"check"})),
}


def authenticate(raw: str) -> Principal | None:
    """The seam the service fills with its token table: here a plain dict."""
    return TOKENS.get(raw)


def _cli(*argv: str) -> None:
    code = main(list(argv))
    assert code in (0, 1), f"policyengine {' '.join(argv)} exited {code}"


def fill_store(url: str, cache: Path) -> None:
    """The LiteLLM story, then the two hand-made releases."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.setenv("POLICYENGINE_CACHE_DIR", str(cache))
        _cli("db", "import", f"{EXAMPLE}/advisories-2026-03-20")
        for version in VERSIONS:
            _cli(
                *check_argv(
                    version,
                    "-o",
                    str(cache.parent / f"verdict-{version}.json"),
                    "--release",
                    f"acme-chat-gateway@{version}",
                    "--store",
                    url,
                )
            )
        _cli("db", "import", f"{EXAMPLE}/advisories-2026-03-24", "--store", url)
        _cli("releases", "rejudge", "--now", "2026-03-24T18:00:00Z", "--store", url)
    with open_store(url) as store:
        _keep(
            store,
            "team-a-web",
            "2.0",
            _verdict_doc("pass", "left-pad", "pass", "fine"),
            extra=("@acme/ui", "2.0.0"),
        )
        hostile = _verdict_doc(
            "fail",
            HOSTILE_NAME,
            "fail",
            '<img src=x onerror=alert(1)> is "malicious" & worse',
            remediation="</td></tr></table><script>alert(2)</script>",
        )
        _keep(store, HOSTILE_RELEASE, "6.6.6", hostile, component=HOSTILE_NAME)


def _verdict_doc(
    outcome: str, component: str, result: str, message: str, remediation: str | None = None
) -> dict[str, object]:
    return {
        "schema_version": "1",
        "outcome": outcome,
        "evaluated_at": "2026-03-01T00:00:00Z",
        "policy": {"name": "hand-made", "digest": "sha256:p"},
        "evidence_digest": "sha256:e",
        "summary": {"failed": int(result == "fail"), "passed": int(result == "pass")},
        "results": [
            {
                "rule": "malicious-packages",
                "check": "advisories",
                "severity": "fail",
                "outcome": result,
                "component": {
                    "ref": component,
                    "purl": f"pkg:npm/{component}@1.0.0",
                    "name": component,
                    "version": "1.0.0",
                },
                "message": message,
                "observed": {"id": "<i>MAL-0</i>"},
                "expected": {"malicious": "none"},
                "sources": [{"name": "osv", "url": "javascript:alert(3)", "fetched_at": None}],
                "remediation": remediation,
                "waiver": None,
            }
        ],
    }


def _keep(
    store: Store,
    name: str,
    version: str,
    doc: dict[str, object],
    component: str = "left-pad",
    extra: tuple[str, str] | None = None,
) -> None:
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    verdict = json.dumps(doc).encode()
    members = [IndexedComponent("npm", component, "1.0.0", f"pkg:npm/{component}@1.0.0", "", None)]
    if extra is not None:
        members.append(IndexedComponent("npm", extra[0], extra[1], None, "", None))
    store.record(
        name,
        version,
        [("sbom.json", f"{name}@{version}".encode())],
        members,
        NewVerdict(
            judged_at=moment,
            evaluated_at=moment,
            reason="check",
            outcome=str(doc["outcome"]),
            summary=json.dumps(doc["summary"]),
            policy_name="hand-made",
            policy_digest="sha256:p",
            evidence_digest="sha256:e",
            advisory_generation=0,
            policy=b"{}",
            evidence=b"{}",
            verdict=verdict,
        ),
    )


@dataclass(frozen=True)
class Running:
    """A page server: its base URL (the page's root) and the store behind it."""

    url: str
    store_url: str


@contextmanager
def serve(store_url: str, mount: str = "/ui") -> Iterator[Running]:
    """uvicorn on 127.0.0.1 (a free port) serving only the page, mounted at ``mount``."""
    with open_store(store_url) as store, serve_store(store, mount) as url:
        yield Running(url, store_url)


@contextmanager
def serve_store(store: Store, mount: str = "/ui") -> Iterator[str]:
    """The page over an open store, under uvicorn on a free port; yields the page's URL."""
    routes = page_routes(store, authenticate)
    app = Starlette(routes=[Mount(mount, routes=routes)] if mount else routes)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}{mount}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
