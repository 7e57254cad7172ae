"""A webhook receiver on 127.0.0.1 for the notifier and rejudge tests."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from policyengine.watch.notify import SIGNATURE_HEADER

SECRET = "s3cret"
SBOMS = "examples/litellm-2026"
STORY = "examples/inventory-litellm"


def keep_release(run_cli: Any, service: str, version: str) -> None:
    """Judge and keep one release of the LiteLLM story (offline, the store's database)."""
    code, _, err = run_cli(
        "check",
        f"{SBOMS}/sbom-litellm-{version}.cdx.json",
        "--policy",
        f"{STORY}/policy.yaml",
        "--offline",
        "--advisories",
        "db",
        "--release",
        f"{service}@{version}",
        "--format",
        "json",
    )
    assert code == 0, err


class Hook:
    """A webhook receiver answering from a script of status codes (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()


def _handler(hook: Hook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with hook.lock:
                hook.received.append((dict(self.headers.items()), body))
                status = hook.statuses.pop(0) if hook.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def hook(request: pytest.FixtureRequest) -> Iterator[tuple[Hook, str]]:
    statuses = list(getattr(request, "param", []))
    receiver = Hook(statuses)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def verify(headers: dict[str, str], body: bytes) -> bool:
    """Whether the signature header matches the body under SECRET."""
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
