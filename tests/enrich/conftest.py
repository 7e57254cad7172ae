"""A replay server on 127.0.0.1 serving recorded PyPI, npm and OSV answers, with fault injection.

Base URLs: ``<root>/pypi`` (PyPI JSON API), ``<root>/pypi740`` (a PyPI serving PEP 740
provenance), ``<root>/npm`` (npm registry),
``<root>/osv`` (OSV API). Recordings live in tests/fixtures/recordings (see the
README there). ``faults[path]`` is a list of behaviours consumed one per request
to that path: ``timeout``, ``429``, ``500``, ``truncate``, ``badjson``, ``array``, ``404``.
"""

from __future__ import annotations

import hashlib
import json
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from policyengine.enrich.settings import EnrichSettings
from policyengine.model import Component, Sbom

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"


def _manifest(source: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / source / "manifest.json").read_text())


class Replay:
    """The server state: what it serves, what it was asked, which faults to inject."""

    def __init__(self) -> None:
        self.manifests = {
            "pypi": _manifest("pypi"),
            "pypi740": _manifest("pypi740"),
            "npm": _manifest("npm"),
        }
        self.counts: Counter[str] = Counter()
        self.faults: dict[str, list[str]] = {}
        self.bodies: list[bytes] = []
        self.agents: set[str] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self.fault_sleep = 2.0
        self.root = ""
        self.lock = threading.Lock()

    @property
    def pypi_url(self) -> str:
        return self.root + "/pypi"

    @property
    def pypi740_url(self) -> str:
        """A PyPI that serves PEP 740 provenance (derived recordings, see their README)."""
        return self.root + "/pypi740"

    @property
    def npm_url(self) -> str:
        return self.root + "/npm"

    @property
    def osv_url(self) -> str:
        return self.root + "/osv"

    def total(self, prefix: str = "") -> int:
        return sum(n for key, n in self.counts.items() if key.split(" ", 1)[1].startswith(prefix))

    def reset_counts(self) -> None:
        self.counts.clear()
        self.bodies.clear()


def _handler(state: Replay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _fault(self, path: str) -> bool:
            with state.lock:
                queue = state.faults.get(path)
                fault = queue.pop(0) if queue else None
            if fault is None:
                return False
            if fault == "timeout":
                time.sleep(state.fault_sleep)
                self._send(200, b"{}")
            elif fault == "slow":
                with state.lock:
                    state.in_flight += 1
                    state.max_in_flight = max(state.max_in_flight, state.in_flight)
                time.sleep(0.2)
                with state.lock:
                    state.in_flight -= 1
                self._send(404, b"")
            elif fault == "429":
                self._send(429, b"slow down", {"Retry-After": "1"})
            elif fault == "500":
                self._send(500, b"oops")
            elif fault == "404":
                self._send(404, b"")
            elif fault == "badjson":
                self._send(200, b'{"info": {', {"Content-Type": "application/json"})
            elif fault == "array":
                self._send(200, b"[]", {"Content-Type": "application/json"})
            elif fault == "truncate":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b'{"info": {}, "rel')
                self.wfile.flush()
                self.close_connection = True
            return True

        def _path(self) -> str:
            return self.path.replace("%2F", "%2f")

        def do_GET(self) -> None:
            path = self._path()
            with state.lock:
                state.counts[f"GET {path}"] += 1
                state.agents.add(self.headers.get("User-Agent", ""))
            if self._fault(path):
                return
            source, _, rest = path[1:].partition("/")
            if source in state.manifests:
                entry = state.manifests[source].get(f"GET /{rest}")
                if entry is None:
                    self._send(404, b"")
                    return
                body = (RECORDINGS / source / entry["body"]).read_bytes()
                self._reply(entry["status"], body, dict(entry["headers"]))
            elif source == "osv" and rest.startswith("v1/vulns/"):
                ident = rest.removeprefix("v1/vulns/")
                file = RECORDINGS / "osv" / "vulns" / f"{ident}.json"
                if file.exists():
                    self._reply(200, file.read_bytes(), {"Content-Type": "application/json"})
                else:
                    self._send(404, b'{"code":5,"message":"Bug not found."}')
            else:
                self._send(404, b"")

        def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            tag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            if status == 200:
                headers.setdefault("ETag", tag)
                if self.headers.get("If-None-Match") == tag:
                    self._send(304, b"", {"ETag": tag})
                    return
            self._send(status, body, headers)

        def do_POST(self) -> None:
            path = self._path()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with state.lock:
                state.counts[f"POST {path}"] += 1
                state.agents.add(self.headers.get("User-Agent", ""))
                state.bodies.append(body)
            if self._fault(path):
                return
            if path != "/osv/v1/querybatch":
                self._send(404, b"")
                return
            queries = json.loads(body)["queries"]
            if len(queries) > 1000:
                self._send(400, b'{"code":3,"message":"Too many queries."}')
                return
            results = []
            for query in queries:
                package = query["package"]
                eco = "pypi" if package["ecosystem"] == "PyPI" else package["ecosystem"].lower()
                name = package["name"].replace("/", "%2f")
                file = RECORDINGS / "osv" / "query" / eco / name / f"{query['version']}.json"
                answer = json.loads(file.read_text()) if file.exists() else {}
                if isinstance(answer, list):  # pages, chosen by page_token ("p<n>")
                    answer = answer[int(query.get("page_token", "p0")[1:])]
                results.append(answer)
            answer = json.dumps({"results": results}).encode()
            self._send(200, answer, {"Content-Type": "application/json"})

    return Handler


class _TlsServer(ThreadingHTTPServer):
    """The replay server over TLS: the handshake runs in the request's own thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.context = context

    def finish_request(self, request: Any, client_address: Any) -> None:
        with self.context.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client refusing the certificate breaks the handshake: that is the test


@contextmanager
def serving(state: Replay, context: ssl.SSLContext | None = None) -> Iterator[Replay]:
    """Serve ``state`` on 127.0.0.1, over TLS with ``context`` when given."""
    handler = _handler(state)
    server = (
        ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if context is None
        else _TlsServer(handler, context)
    )
    server.daemon_threads = True
    scheme = "http" if context is None else "https"
    state.root = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def replay() -> Iterator[Replay]:
    with serving(Replay()) as state:
        yield state


@pytest.fixture
def ca() -> trustme.CA:
    """A throwaway certificate authority that no trust store holds."""
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    """``ca``'s certificate as a PEM file, what ``--ca-bundle`` is given."""
    path = tmp_path / "company-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    """A server context whose certificate ``ca`` issued for 127.0.0.1 and localhost."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def https_replay(ca: trustme.CA) -> Iterator[Replay]:
    """The replay server over HTTPS, with a certificate from ``ca``."""
    with serving(Replay(), server_context(ca)) as state:
        yield state


@pytest.fixture
def settings(replay: Replay, tmp_path: Path) -> EnrichSettings:
    return EnrichSettings(
        pypi_url=replay.pypi_url,
        npm_url=replay.npm_url,
        osv_url=replay.osv_url,
        cache_dir=tmp_path / "cache",
        retries=1,
        backoff=0.01,
        read_timeout=0.5,
        connect_timeout=2.0,
        max_retry_after=1.0,
        progress=False,
    )


def component(ecosystem: str, name: str, version: str) -> Component:
    return Component(
        ref=f"pkg:{ecosystem}/{name}@{version}",
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=f"pkg:{ecosystem}/{name}@{version}",
    )


def sbom_of(*parts: tuple[str, str, str]) -> Sbom:
    return Sbom(
        format="cyclonedx",
        spec_version="1.6",
        source="test.cdx.json",
        digest="sha256:" + "0" * 64,
        components=tuple(component(*p) for p in parts),
    )


def import_litellm_advisories(cache_dir: Path) -> None:
    """Import the corpus' OSV records of the LiteLLM compromise into the db in ``cache_dir``."""
    from policyengine.enrich.osv_db import AdvisoryDb
    from tests.conftest import corpus_path

    db = AdvisoryDb(cache_dir)
    try:
        db.import_path(corpus_path("osv", "litellm-2026-03"))
    finally:
        db.close()


def offline(settings: EnrichSettings) -> EnrichSettings:
    return replace(settings, offline=True)
