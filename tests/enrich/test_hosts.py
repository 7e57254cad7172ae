"""Hosts that cannot answer within a run: a name that does not resolve, a refused port, a
certificate no one trusts. Each is tried a bounded number of times, then every request
to it fails at once with the same reason, and the facts are Failed, never Ok.

Real sockets on 127.0.0.1, and names under the reserved ``.invalid`` TLD (RFC 6761: they
never resolve). Attempts are counted, not timed: the bound is what the test asserts.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from policyengine.enrich import enrich_run
from policyengine.enrich.cache import Cache, Entry
from policyengine.enrich.core import CACHE_NAME
from policyengine.enrich.hosts import classify
from policyengine.enrich.http import Answer, Fetcher, HostDown, make_client
from policyengine.enrich.settings import EnrichSettings
from policyengine.enrich.trust import TLS_HINT
from policyengine.model import Advisories, FactKind, Failed, Ok
from tests.enrich.conftest import RECORDINGS, Replay, import_litellm_advisories, sbom_of

CERT = Path(__file__).resolve().parent.parent / "fixtures" / "tls" / "selfsigned-keycert.pem"
MANY = 40
DNS = "registry.invalid: name does not resolve (DNS); no request was retried"


def _sbom(count: int) -> Any:
    return sbom_of(*[("pypi", f"pkg{i}", "1.0") for i in range(count)])


def _dead(tmp_path: Path, pypi_url: str, **changes: Any) -> EnrichSettings:
    settings = EnrichSettings(
        pypi_url=pypi_url,
        osv_url="http://osv.invalid",
        cache_dir=tmp_path / "cache",
        retries=3,
        backoff=0.05,
        concurrency=4,
        connect_timeout=5.0,
        advisories="off",
        progress=False,
    )
    return replace(settings, **changes)


def _errors(run: Any, kind: FactKind = FactKind.RELEASES) -> set[str]:
    facts = [c.get(kind) for c in run.evidence.components.values()]
    assert facts and all(isinstance(f, Failed) for f in facts), facts
    return {f.error for f in facts}


@pytest.fixture(scope="module")
def resolver_says_no() -> None:
    """The DNS tests need a resolver that answers for ``.invalid`` at once (measured here:
    EAI_NONAME in 0.3-2 ms). One that cannot reach a server says EAI_AGAIN after its own
    timeouts instead: the tests would then measure that machine, not this code."""
    started = time.monotonic()
    try:
        socket.getaddrinfo("registry.invalid", 80)
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_NONAME and time.monotonic() - started < 2.0:
            return
    pytest.skip("this machine's resolver gives no quick NXDOMAIN for .invalid names")


@pytest.fixture
def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class _TlsServer:
    """Completes TLS handshakes on 127.0.0.1 with an untrusted certificate; counts them."""

    def __init__(self) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(CERT)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except OSError:
                pass  # the client rejects the certificate mid-handshake
            finally:
                conn.close()


@pytest.fixture
def tls_server() -> Iterator[_TlsServer]:
    server = _TlsServer()
    try:
        yield server
    finally:
        server.sock.close()
        server.thread.join(timeout=5)


@pytest.mark.usefixtures("resolver_says_no")
def test_a_name_that_does_not_resolve_is_never_retried(tmp_path: Path) -> None:
    settings = _dead(tmp_path, "http://registry.invalid")
    run = enrich_run(_sbom(MANY), settings, {FactKind.RELEASES})
    # only the first wave through the gate reached the resolver (was 4 x 40 = 160)
    assert 1 <= run.requests["pypi"] <= settings.concurrency
    assert _errors(run) == {DNS}


@pytest.mark.usefixtures("resolver_says_no")
def test_one_at_a_time_a_dead_name_costs_one_request(tmp_path: Path) -> None:
    settings = _dead(tmp_path, "http://registry.invalid", concurrency=1)
    run = enrich_run(_sbom(MANY), settings, {FactKind.RELEASES})
    assert run.requests == {"pypi": 1}
    assert _errors(run) == {DNS}


def test_a_refused_port_is_retried_once_then_down(tmp_path: Path, free_port: int) -> None:
    settings = _dead(tmp_path, f"http://127.0.0.1:{free_port}")
    run = enrich_run(_sbom(MANY), settings, {FactKind.RELEASES})
    assert 2 <= run.requests["pypi"] <= settings.concurrency + 1
    assert _errors(run) == {
        f"127.0.0.1:{free_port}: connection refused, also when retried once; "
        "no other request was retried"
    }


def test_without_retries_one_refusal_takes_the_port_down(tmp_path: Path, free_port: int) -> None:
    settings = _dead(tmp_path, f"http://127.0.0.1:{free_port}", retries=0, concurrency=1)
    run = enrich_run(_sbom(MANY), settings, {FactKind.RELEASES})
    assert run.requests == {"pypi": 1}
    assert _errors(run) == {f"127.0.0.1:{free_port}: connection refused; no request was retried"}


def test_requests_queued_at_the_gate_wait_for_the_probe(tmp_path: Path, free_port: int) -> None:
    # One slot and forty requests at once: without the check inside the gate each
    # queued request would be refused once while the probe sleeps its backoff.
    root = f"http://127.0.0.1:{free_port}"
    settings = _dead(tmp_path, root, concurrency=1, backoff=0.2)

    async def ask() -> tuple[Fetcher, list[BaseException | Answer]]:
        cache = Cache(tmp_path / "c.sqlite3")
        try:
            async with make_client(settings) as client:
                fetcher = Fetcher(settings, client, cache)
                asked = (fetcher.get("t", f"{root}/{i}", 0.0) for i in range(MANY))
                return fetcher, await asyncio.gather(*asked, return_exceptions=True)
        finally:
            cache.close()

    fetcher, results = asyncio.run(ask())
    assert fetcher.requests == {"t": 2}
    assert all(isinstance(r, HostDown) for r in results), results
    assert {str(r) for r in results} == {fetcher.hosts.reason(root)}


def test_an_untrusted_certificate_is_never_retried(tmp_path: Path, tls_server: _TlsServer) -> None:
    settings = _dead(tmp_path, f"https://127.0.0.1:{tls_server.port}", concurrency=1)
    run = enrich_run(_sbom(10), settings, {FactKind.RELEASES})
    assert run.requests == {"pypi": 1}
    assert tls_server.connections == 1
    (error,) = _errors(run)
    assert error.startswith(f"127.0.0.1:{tls_server.port}: TLS certificate not accepted (self")
    # A self-signed certificate is fixed by trusting it: the reason says how.
    assert error.endswith(f"; no request was retried; {TLS_HINT}")


def test_a_host_that_comes_back_during_the_probe_is_not_down(tmp_path: Path) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    # Bound but not listening: connections are refused until the second request.
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.server_bind()
    root = f"http://127.0.0.1:{server.server_address[1]}"
    sent = 0

    async def on_request(request: httpx.Request) -> None:
        nonlocal sent
        sent += 1
        if sent == 2:
            server.server_activate()
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()

    async def ask() -> list[int]:
        settings = _dead(tmp_path, root, concurrency=1, backoff=0.01)
        cache = Cache(tmp_path / "c.sqlite3")
        try:
            async with httpx.AsyncClient(event_hooks={"request": [on_request]}) as client:
                fetcher = Fetcher(settings, client, cache)
                answers = await asyncio.gather(
                    *(fetcher.get("t", f"{root}/{i}", 0.0) for i in range(5))
                )
                assert fetcher.hosts.reason(root) is None
                assert fetcher.requests["t"] == 6  # five requests and the probe's one retry
                return [a.status for a in answers]
        finally:
            cache.close()

    try:
        assert asyncio.run(ask()) == [200] * 5
    finally:
        server.shutdown() if sent >= 2 else None
        server.server_close()


def test_fresh_cached_answers_and_other_hosts_still_serve(
    replay: Replay, settings: EnrichSettings, free_port: int
) -> None:
    dead = f"http://127.0.0.1:{free_port}/pypi"
    body = (RECORDINGS / "pypi" / "pypi%2Flitellm%2Fjson.body").read_bytes()
    cache = Cache(settings.cache_dir / CACHE_NAME)
    try:
        url = f"{dead}/pypi/litellm/json"
        cache.put(f"GET {url}", Entry(url, 200, body, time.time()))
    finally:
        cache.close()
    sbom = sbom_of(("pypi", "litellm", "1.82.6"), *[("pypi", f"pkg{i}", "1.0") for i in range(8)])
    run = enrich_run(
        sbom, replace(settings, pypi_url=dead), {FactKind.RELEASES, FactKind.ADVISORIES}
    )
    facts = run.evidence.for_key("pypi/litellm@1.82.6")
    assert isinstance(facts.get(FactKind.RELEASES), Ok)  # fresh in the cache: not asked
    assert isinstance(facts.get(FactKind.ADVISORIES), Ok)  # OSV is another host, alive
    for i in range(8):
        fact = run.evidence.for_key(f"pypi/pkg{i}@1.0").get(FactKind.RELEASES)
        assert isinstance(fact, Failed) and "connection refused" in fact.error
    # the eight went out together (16 slots), one of them retried: none was retried twice
    assert run.requests["pypi"] <= 8 + 1


@pytest.mark.usefixtures("resolver_says_no")
def test_an_unresolvable_osv_api_falls_back_to_the_imported_db(
    replay: Replay, settings: EnrichSettings
) -> None:
    import_litellm_advisories(settings.cache_dir)
    sbom = sbom_of(("pypi", "litellm", "1.82.8"), ("pypi", "litellm", "1.82.6"))
    run = enrich_run(sbom, replace(settings, osv_url="http://osv.invalid", advisories="auto"), None)
    assert run.requests["osv"] == 1
    fact = run.evidence.for_key("pypi/litellm@1.82.8").get(FactKind.ADVISORIES)
    assert isinstance(fact, Ok) and fact.source.name == "osv-db"
    assert isinstance(fact.value, Advisories) and any(a.malicious for a in fact.value.advisories)


@pytest.mark.usefixtures("resolver_says_no")
def test_the_enrich_warning_names_a_dead_hosts_reason_once(run_cli: Any, tmp_path: Path) -> None:
    sbom = tmp_path / "sbom.cdx.json"
    components = [
        {"type": "library", "bom-ref": f"c{i}", "name": f"pkg{i}", "version": "1.0",
         "purl": f"pkg:pypi/pkg{i}@1.0"}
        for i in range(12)
    ]  # fmt: skip
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components}
    sbom.write_text(json.dumps(doc))
    code, _, err = run_cli(
        "enrich", str(sbom), "-o", str(tmp_path / "evidence.json"),
        "--pypi-url", "http://registry.invalid", "--osv-url", "http://osv.invalid",
        "--advisories", "api", "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 2, warnings  # the registry kinds share one line
    (registry,) = [w for w in warnings if "registry.invalid" in w]
    assert registry.count("name does not resolve") == 1
    assert "package" in registry and "releases" in registry
    assert f"for 12 components (all: {DNS})" in registry
    (osv,) = [w for w in warnings if "osv.invalid" in w]
    assert osv.startswith("policyengine: warning: advisories facts could not be obtained")


def _raised(exc: BaseException, cause: BaseException) -> BaseException:
    try:
        raise exc from cause
    except BaseException as caught:
        return caught


def test_passing_faults_are_not_classified() -> None:
    request = httpx.Request("GET", "http://example.invalid/")
    again = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    trouble = classify(_raised(httpx.ConnectError("x", request=request), again))
    assert trouble is not None and not trouble.final  # no answer yet: one retry
    assert classify(httpx.ReadTimeout("slow", request=request)) is None
    assert classify(httpx.RemoteProtocolError("cut", request=request)) is None
    assert classify(_raised(httpx.ConnectError("x"), ConnectionResetError())) is None
    assert classify(_raised(httpx.ConnectError("x"), ssl.SSLEOFError())) is None


def test_probes_of_two_hosts_linked_by_a_redirect_do_not_wait_on_each_other(
    tmp_path: Path,
) -> None:
    # A probes h1 (refused once), then h1 redirects it to h2; B was redirected to h2
    # first and probes h2. A waiting on B's probe while holding h1's, and B waiting on
    # A's at h1, hung enrichment forever (found in review). Both must end, with h2 down.
    from policyengine.enrich.http import FetchError

    h1_calls = 0

    def refused(request: httpx.Request) -> httpx.ConnectError:
        return httpx.ConnectError("All connection attempts failed", request=request)

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal h1_calls
        if request.url.host == "h1.test":
            if request.url.path == "/a":
                h1_calls += 1
                if h1_calls == 1:
                    await asyncio.sleep(0.01)
                    raise refused(request) from ConnectionRefusedError(111, "refused")
            return httpx.Response(302, headers={"location": f"http://h2.test{request.url.path}"})
        raise refused(request) from ConnectionRefusedError(111, "refused")

    async def run() -> list[str]:
        settings = EnrichSettings(
            cache_dir=tmp_path, retries=3, backoff=0.01, concurrency=4, progress=False
        )
        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport, follow_redirects=True) as client:
            fetcher = Fetcher(settings, client, Cache(tmp_path / "c.sqlite"))

            async def one(path: str) -> str:
                try:
                    await fetcher.get("pypi", f"http://h1.test{path}", 60)
                except FetchError as exc:
                    return str(exc)
                return "ok"

            return list(await asyncio.wait_for(asyncio.gather(one("/a"), one("/b")), 20))

    outcomes = asyncio.run(run())
    assert all(o.startswith("h2.test: connection refused") for o in outcomes), outcomes
