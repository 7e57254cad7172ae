"""Hostile servers on 127.0.0.1 (issue 13, items 4, 5 and 10).

Each test serves what a broken mirror, a compromised proxy or a poisoned cache would:
an answer about another package, a redirect to another host, pages without end, a
body trickled byte by byte, a host that never answers, a cached answer edited to look
clean. None may turn into a clean fact; none may hang (the limits here are small).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from policyengine.enrich import enrich_run
from policyengine.enrich.artifacts.errors import ArtifactRefused
from policyengine.enrich.artifacts.fetch import fetch_artifact
from policyengine.enrich.core import CACHE_NAME
from policyengine.enrich.http import make_client
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import (
    Artifact,
    FactKind,
    FactResult,
    Failed,
    Hash,
    Missing,
    Ok,
    ReleaseHistory,
)
from tests.enrich.conftest import sbom_of

Reply = tuple[int, dict[str, str], bytes]


class Server:
    """A 127.0.0.1 server answering each path with a function of the request."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], Reply | None]] = {}
        self.counts: Counter[str] = Counter()
        self.root = ""
        self.release = threading.Event()

    def json(self, path: str, document: object, status: int = 200) -> None:
        body = json.dumps(document).encode()
        self.routes[path] = lambda _: (status, {"Content-Type": "application/json"}, body)

    def redirect(self, path: str, location: str) -> None:
        self.routes[path] = lambda _: (302, {"Location": location}, b"")


@contextmanager
def serve() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.body = self.rfile.read(length) if length else b""
            state.counts[f"{self.command} {self.path}"] += 1
            route = state.routes.get(self.path)
            reply = route(self) if route is not None else (404, {}, b"")
            if reply is None:
                return  # the route wrote its own answer (or none)
            status, headers, body = reply
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _answer
        do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.root = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as state:
        yield state


@pytest.fixture
def other() -> Iterator[Server]:
    """A second server: another origin (same address, another port)."""
    with serve() as state:
        yield state


def settings_for(server: Server, tmp_path: Path, **changes: Any) -> EnrichSettings:
    base = EnrichSettings(
        pypi_url=server.root,
        npm_url=server.root + "/npm",
        osv_url=server.root + "/osv",
        cache_dir=tmp_path / "cache",
        retries=0,
        backoff=0.01,
        read_timeout=5.0,
        connect_timeout=2.0,
        progress=False,
    )
    return replace(base, **changes)


def pypi_doc(name: str, yanked: bool = False) -> dict[str, Any]:
    release = {
        "filename": f"{name}-1.0.0.tar.gz",
        "url": f"https://files.example/{name}-1.0.0.tar.gz",
        "digests": {"sha256": "ab" * 32},
        "upload_time_iso_8601": "2026-01-01T00:00:00Z",
        "yanked": yanked,
        "packagetype": "sdist",
    }
    return {
        "info": {"name": name, "version": "1.0.0", "author": "A"},
        "releases": {"0.9.0": [], "1.0.0": [release]},
    }


def facts_of(
    settings: EnrichSettings, *parts: tuple[str, str, str], kinds: set[FactKind] | None = None
) -> dict[str, dict[FactKind, FactResult]]:
    run = enrich_run(sbom_of(*parts), settings, kinds or {FactKind.RELEASES})
    return {key: dict(ev.facts) for key, ev in run.evidence.components.items()}


# Item 5: an answer about another package, redirects to another host.


def test_a_pypi_answer_about_another_project_fails(server: Server, tmp_path: Path) -> None:
    server.json("/pypi/goodpkg/json", pypi_doc("evilpkg"))
    facts = facts_of(settings_for(server, tmp_path), ("pypi", "goodpkg", "1.0.0"))
    fact = facts["pypi/goodpkg@1.0.0"][FactKind.RELEASES]
    assert isinstance(fact, Failed) and "is about 'evilpkg', not 'goodpkg'" in fact.error


def test_a_pypi_name_compares_as_pep_503_normalises_it(server: Server, tmp_path: Path) -> None:
    server.json("/pypi/good-pkg/json", pypi_doc("Good_Pkg"))
    facts = facts_of(settings_for(server, tmp_path), ("pypi", "good-pkg", "1.0.0"))
    assert isinstance(facts["pypi/good-pkg@1.0.0"][FactKind.RELEASES], Ok)


def test_a_pypi_answer_naming_no_project_fails(server: Server, tmp_path: Path) -> None:
    document = pypi_doc("goodpkg")
    del document["info"]["name"]
    server.json("/pypi/goodpkg/json", document)
    facts = facts_of(settings_for(server, tmp_path), ("pypi", "goodpkg", "1.0.0"))
    fact = facts["pypi/goodpkg@1.0.0"][FactKind.RELEASES]
    assert isinstance(fact, Failed) and "does not name the package" in fact.error


def test_an_npm_packument_about_another_package_fails(server: Server, tmp_path: Path) -> None:
    packument = {
        "name": "left-pad-evil",
        "versions": {"1.0.0": {"name": "left-pad-evil", "version": "1.0.0"}},
        "time": {"1.0.0": "2026-01-01T00:00:00Z"},
    }
    server.json("/npm/left-pad", packument)
    facts = facts_of(settings_for(server, tmp_path), ("npm", "left-pad", "1.0.0"))
    fact = facts["npm/left-pad@1.0.0"][FactKind.RELEASES]
    assert isinstance(fact, Failed) and "not 'left-pad'" in fact.error


def test_an_osv_record_for_another_id_fails(server: Server, tmp_path: Path) -> None:
    hit = {"results": [{"vulns": [{"id": "MAL-2026-1", "modified": "2026-01-01T00:00:00Z"}]}]}
    server.json("/osv/v1/querybatch", hit)
    server.json("/osv/v1/vulns/MAL-2026-1", {"id": "GHSA-clean", "affected": []})
    settings = settings_for(server, tmp_path, advisories="api")
    facts = facts_of(settings, ("pypi", "goodpkg", "1.0.0"), kinds={FactKind.ADVISORIES})
    fact = facts["pypi/goodpkg@1.0.0"][FactKind.ADVISORIES]
    assert isinstance(fact, Failed) and "is the record 'GHSA-clean'" in fact.error


def test_a_redirect_to_another_host_is_not_followed(
    server: Server, other: Server, tmp_path: Path
) -> None:
    server.redirect("/pypi/goodpkg/json", other.root + "/pypi/goodpkg/json")
    other.json("/pypi/goodpkg/json", pypi_doc("goodpkg"))
    facts = facts_of(settings_for(server, tmp_path), ("pypi", "goodpkg", "1.0.0"))
    fact = facts["pypi/goodpkg@1.0.0"][FactKind.RELEASES]
    assert isinstance(fact, Failed) and "redirects to another origin" in fact.error
    assert other.counts == {}  # the refused hop is never asked


def test_a_redirect_to_an_allowed_host_or_the_same_origin_is_followed(
    server: Server, other: Server, tmp_path: Path
) -> None:
    server.redirect("/pypi/goodpkg/json", other.root + "/pypi/goodpkg/json")
    server.redirect("/pypi/samepkg/json", "/pypi/moved/json")
    server.json("/pypi/moved/json", pypi_doc("samepkg"))
    other.json("/pypi/goodpkg/json", pypi_doc("goodpkg"))
    allowed = other.root.removeprefix("http://")
    settings = settings_for(server, tmp_path, allow_redirect_hosts=frozenset({allowed}))
    facts = facts_of(settings, ("pypi", "goodpkg", "1.0.0"), ("pypi", "samepkg", "1.0.0"))
    assert isinstance(facts["pypi/goodpkg@1.0.0"][FactKind.RELEASES], Ok)
    assert isinstance(facts["pypi/samepkg@1.0.0"][FactKind.RELEASES], Ok)


def _artifact(url: str, body: bytes) -> Artifact:
    digest = hashlib.sha256(body).hexdigest()
    return Artifact("demo-1.0.tar.gz", url, len(body), (Hash("sha256", digest),))


def _fetch(settings: EnrichSettings, artifact: Artifact, timeout: float | None = None) -> bytes:
    async def go() -> bytes:
        async with make_client(settings) as client:
            return await fetch_artifact(
                client, artifact, max_bytes=2**20, cache_dir=None, total_timeout=timeout
            )

    return asyncio.run(go())


def test_an_artifact_redirected_to_another_host_is_refused(
    server: Server, other: Server, tmp_path: Path
) -> None:
    body = b"archive bytes"
    server.redirect("/files/demo-1.0.tar.gz", other.root + "/demo-1.0.tar.gz")
    other.routes["/demo-1.0.tar.gz"] = lambda _: (200, {}, body)
    artifact = _artifact(server.root + "/files/demo-1.0.tar.gz", body)
    with pytest.raises(ArtifactRefused, match="redirects to another origin"):
        _fetch(settings_for(server, tmp_path), artifact)
    # The registry's declared file URL on another host is asked as given (digest-checked).
    assert _fetch(settings_for(server, tmp_path), _artifact(other.root + "/demo-1.0.tar.gz", body))


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--allow-redirect-host", "https://evil.example/", "not a host name"),
        ("--allow-redirect-host", "user@evil.example", "not a host name"),
        ("--deadline", "soon", "not a positive number of seconds"),
        ("--deadline", "-5", "not a positive number of seconds"),
        ("--deadline", "nan", "not a positive number of seconds"),
    ],
)
def test_bad_redirect_and_deadline_options_are_usage_errors(
    run_cli: Any, tmp_path: Path, option: str, value: str, message: str
) -> None:
    sbom = tmp_path / "in.json"
    sbom.write_text("{}")  # never read: the options are checked before any work
    code, _, err = run_cli("enrich", str(sbom), "-o", str(tmp_path / "out.json"), option, value)
    assert code == 2 and message in err, err


def test_bad_redirect_and_deadline_settings_from_the_environment(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sbom = tmp_path / "in.json"
    sbom.write_text("{}")
    monkeypatch.setenv("POLICYENGINE_DEADLINE", "0")
    code, _, err = run_cli("enrich", str(sbom), "-o", str(tmp_path / "out.json"))
    assert code == 2 and "POLICYENGINE_DEADLINE '0'" in err
    monkeypatch.delenv("POLICYENGINE_DEADLINE")
    monkeypatch.setenv("POLICYENGINE_ALLOW_REDIRECT_HOSTS", "ok.example, http://x/")
    code, _, err = run_cli("enrich", str(sbom), "-o", str(tmp_path / "out.json"))
    assert code == 2 and "POLICYENGINE_ALLOW_REDIRECT_HOSTS 'http://x/'" in err


# Item 10: pages without end, a trickled body, a host that never answers.


def test_osv_paging_without_end_fails_the_fact(server: Server, tmp_path: Path) -> None:
    def page(handler: BaseHTTPRequestHandler) -> Reply:
        queries = json.loads(handler.body)["queries"]  # type: ignore[attr-defined]
        results = [
            {"vulns": [{"id": f"GHSA-{i}", "modified": "2026-01-01T00:00:00Z"}]}
            | {"next_page_token": f"t{i}"}
            for i, _ in enumerate(queries)
        ]
        return 200, {"Content-Type": "application/json"}, json.dumps({"results": results}).encode()

    server.routes["/osv/v1/querybatch"] = page
    settings = settings_for(server, tmp_path, osv_max_pages=3, advisories="api")
    facts = facts_of(settings, ("pypi", "goodpkg", "1.0.0"), kinds={FactKind.ADVISORIES})
    fact = facts["pypi/goodpkg@1.0.0"][FactKind.ADVISORIES]
    assert isinstance(fact, Failed) and "OSV kept paging: more than 3 pages" in fact.error
    assert server.counts["POST /osv/v1/querybatch"] == 3


def _trickle(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "10000")
    handler.end_headers()
    try:
        for _ in range(10000):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.02)
    except OSError:
        pass  # the client gave up: that is the test


def test_a_trickled_artifact_is_cut_off_at_the_download_bound(
    server: Server, tmp_path: Path
) -> None:
    server.routes["/files/demo-1.0.tar.gz"] = _trickle
    artifact = _artifact(server.root + "/files/demo-1.0.tar.gz", b"x" * 10000)
    # Each byte arrives well within the read timeout: only the total bound stops it.
    with pytest.raises(ArtifactRefused, match=r"download took over 0.5 s"):
        _fetch(settings_for(server, tmp_path), artifact, timeout=0.5)


def test_the_enrichment_deadline_leaves_the_rest_failed(server: Server, tmp_path: Path) -> None:
    # A black hole: the connection is accepted and never answered.
    def black_hole(_: BaseHTTPRequestHandler) -> None:
        server.release.wait(30)  # until the test ends

    server.routes["/pypi/slowpkg/json"] = black_hole
    server.json("/pypi/goodpkg/json", pypi_doc("goodpkg"))
    settings = settings_for(server, tmp_path, deadline=1.0, read_timeout=30.0)
    facts = facts_of(settings, ("pypi", "goodpkg", "1.0.0"), ("pypi", "slowpkg", "1.0.0"))
    assert isinstance(facts["pypi/goodpkg@1.0.0"][FactKind.RELEASES], Ok)
    late = facts["pypi/slowpkg@1.0.0"][FactKind.RELEASES]
    assert isinstance(late, Failed) and late.error == "enrichment deadline of 1 s reached"


# Item 4: an HTTP answer edited in the cache to look clean.


def test_a_cached_answer_edited_to_look_clean_is_not_trusted(
    server: Server, tmp_path: Path
) -> None:
    server.json("/pypi/goodpkg/json", pypi_doc("goodpkg", yanked=True))
    settings = settings_for(server, tmp_path)
    first = facts_of(settings, ("pypi", "goodpkg", "1.0.0"))["pypi/goodpkg@1.0.0"]
    history = first[FactKind.RELEASES]
    assert isinstance(history, Ok) and isinstance(history.value, ReleaseHistory)
    assert {r.version: r.yanked for r in history.value.releases}["1.0.0"] is True
    clean = json.dumps(pypi_doc("goodpkg", yanked=False)).encode()
    with sqlite3.connect(settings.cache_dir / CACHE_NAME) as conn:
        conn.execute("UPDATE responses SET body = ?", (clean,))
    offline = facts_of(replace(settings, offline=True), ("pypi", "goodpkg", "1.0.0"))
    assert isinstance(offline["pypi/goodpkg@1.0.0"][FactKind.RELEASES], Missing)
    again = facts_of(settings, ("pypi", "goodpkg", "1.0.0"))["pypi/goodpkg@1.0.0"]
    refetched = again[FactKind.RELEASES]
    assert isinstance(refetched, Ok) and refetched.value == history.value
    assert server.counts["GET /pypi/goodpkg/json"] == 2  # asked again, not replayed


def test_bad_settings_in_the_environment_are_usage_errors_outside_the_cli_too() -> None:
    from policyengine.enrich.settings import settings_from
    from policyengine.model import UsageError

    with pytest.raises(UsageError, match="POLICYENGINE_DEADLINE 'soon'"):
        settings_from({"POLICYENGINE_DEADLINE": "soon"})
    with pytest.raises(UsageError, match="POLICYENGINE_ALLOW_REDIRECT_HOSTS 'a/b'"):
        settings_from({"POLICYENGINE_ALLOW_REDIRECT_HOSTS": "a/b"})
    settings = settings_from(
        {"POLICYENGINE_DEADLINE": "30", "POLICYENGINE_ALLOW_REDIRECT_HOSTS": "A.example, b:8080"}
    )
    assert settings.deadline == 30.0
    assert settings.allow_redirect_hosts == {"a.example", "b:8080"}
