"""Proxies, for real on loopback: a CONNECT proxy on 127.0.0.1 (tests/enrich/connect_proxy.py)
sees the registry requests when HTTPS_PROXY names it, and none when NO_PROXY covers the
host; a proxy that cannot be reached or refuses the tunnel is named in the reason, with
the variables to check.

The root conftest clears the machine's proxy variables; each test sets what it needs.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from policyengine.enrich import enrich_run
from policyengine.enrich.hosts import classify
from policyengine.enrich.proxies import PROXY_HINT, Proxy, ProxyFailed, ThroughProxy, proxy_routes
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import FactKind, Failed, Ok, UsageError
from tests.enrich.conftest import Replay, sbom_of
from tests.enrich.connect_proxy import connect_proxy

LITELLM = ("pypi", "litellm", "1.82.8")


@pytest.fixture(autouse=True)
def _no_machine_trust_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


@pytest.fixture
def trusted(https_replay: Replay, settings: EnrichSettings, ca_file: Path) -> EnrichSettings:
    """Settings for the HTTPS stand-in registry, its CA trusted."""
    return replace(
        settings, pypi_url=https_replay.pypi_url, advisories="off", ca_bundle=ca_file, retries=1
    )


def _releases(settings: EnrichSettings) -> tuple[Any, dict[str, int]]:
    run = enrich_run(sbom_of(LITELLM), settings, {FactKind.RELEASES})
    return run.evidence.for_key("pypi/litellm@1.82.8").get(FactKind.RELEASES), run.requests


def _host(replay: Replay) -> str:
    return replay.root.removeprefix("https://")


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"])
def test_requests_go_through_the_proxy_the_environment_names(
    https_replay: Replay,
    trusted: EnrichSettings,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    with connect_proxy() as proxy:
        monkeypatch.setenv(variable, proxy.url)
        fact, _ = _releases(trusted)
    assert isinstance(fact, Ok), fact
    assert proxy.targets and set(proxy.targets) == {_host(https_replay)}
    assert https_replay.total("/pypi/pypi/litellm") >= 1  # it reached the registry, tunnelled


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1", "*"])
def test_no_proxy_sends_the_host_direct(
    https_replay: Replay,
    trusted: EnrichSettings,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    with connect_proxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", no_proxy)
        fact, _ = _releases(trusted)
    assert isinstance(fact, Ok), fact
    assert proxy.targets == []
    assert https_replay.total("/pypi/pypi/litellm") >= 1


def test_no_proxy_for_another_host_still_proxies(
    https_replay: Replay, trusted: EnrichSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connect_proxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "registry.example,10.0.0.1")
        fact, _ = _releases(trusted)
    assert isinstance(fact, Ok), fact
    assert set(proxy.targets) == {_host(https_replay)}


def test_an_http_proxy_variable_does_not_carry_https(
    https_replay: Replay, trusted: EnrichSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connect_proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        fact, _ = _releases(trusted)
    assert isinstance(fact, Ok), fact
    assert proxy.targets == []


def test_credentials_in_the_proxy_url_are_sent_and_never_shown(
    https_replay: Replay, trusted: EnrichSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connect_proxy(credentials="alice:s3cret") as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://alice:s3cret@127.0.0.1:{proxy.port}")
        fact, _ = _releases(trusted)
        assert isinstance(fact, Ok), fact
        monkeypatch.setenv("HTTPS_PROXY", f"http://alice:wrong@127.0.0.1:{proxy.port}")
        fact, requests = _releases(replace(trusted, cache_dir=trusted.cache_dir / "2"))
    assert isinstance(fact, Failed)
    assert fact.error == (
        f"{_host(https_replay)}: the proxy http://127.0.0.1:{proxy.port} (HTTPS_PROXY) asks for "
        "credentials (HTTP 407); no request was retried; put them in the proxy URL "
        f"(http://user:password@host:port); {PROXY_HINT}"
    )
    assert "s3cret" not in fact.error and "wrong" not in fact.error
    assert requests == {"pypi": 1}


def test_a_proxy_that_cannot_be_reached_is_named(
    https_replay: Replay, trusted: EnrichSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connect_proxy() as proxy:
        port = proxy.port
    monkeypatch.setenv("HTTPS_PROXY", f"127.0.0.1:{port}")  # closed: refused; no scheme: http
    fact, requests = _releases(trusted)
    assert isinstance(fact, Failed)
    assert fact.error.startswith(
        f"{_host(https_replay)}: cannot connect to the proxy http://127.0.0.1:{port} "
        "(HTTPS_PROXY): connection refused, also when retried once"
    )
    assert fact.error.endswith(PROXY_HINT) and "NO_PROXY" in fact.error
    assert requests == {"pypi": 2}
    assert https_replay.total() == 0


@pytest.mark.parametrize("status", [403, 502])
def test_a_proxy_refusing_the_tunnel_is_named(
    https_replay: Replay, trusted: EnrichSettings, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    with connect_proxy(answer=status) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        fact, _ = _releases(trusted)
    assert isinstance(fact, Failed)
    assert f"the proxy {proxy.url} (HTTPS_PROXY) refused the tunnel (HTTP {status})" in fact.error
    assert "NO_PROXY" in fact.error
    assert https_replay.total() == 0


def test_through_the_tunnel_an_unknown_ca_is_named_as_such_not_as_a_proxy_fault(
    https_replay: Replay,
    settings: EnrichSettings,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Through the tunnel the certificate is the registry's own (here: an unknown CA's),
    # and the reason names the CA settings, not the proxy.
    pypi = replace(settings, pypi_url=https_replay.pypi_url, advisories="off")
    with connect_proxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        fact, _ = _releases(pypi)
        assert isinstance(fact, Failed)
        assert "TLS certificate not accepted" in fact.error and "--ca-bundle" in fact.error
        assert "NO_PROXY" not in fact.error
        fact, _ = _releases(replace(pypi, ca_bundle=ca_file, cache_dir=pypi.cache_dir / "2"))
    assert isinstance(fact, Ok), fact
    assert proxy.targets


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ftp://proxy.example:21", "is not an http://, https:// or socks5:// proxy"),
        ("http://", "http:// names no proxy host"),
        ("http://[::1", "not a proxy URL"),
    ],
)
def test_an_unusable_proxy_url_is_a_usage_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", value)
    with pytest.raises(UsageError) as caught:
        proxy_routes()
    assert caught.value.one_line().startswith("HTTPS_PROXY: ")
    assert problem in caught.value.one_line()


def test_routes_follow_curls_no_proxy_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "example.com, .corp.example,10.1.2.3,::1,localhost")
    routes = proxy_routes()
    proxy = routes["https://"]
    assert proxy is not None and proxy.name == "http://proxy.example:3128 (HTTPS_PROXY)"
    direct = {pattern for pattern, through in routes.items() if through is None}
    assert direct == {
        "all://*example.com",
        "all://*.corp.example",
        "all://10.1.2.3",
        "all://[::1]",
        "all://localhost",
    }


class _Failing(httpx.AsyncBaseTransport):
    """What the transport to a proxy raises, for the faults a loopback proxy cannot make."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise self.error


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (httpx.ConnectTimeout("timed out"), "timed out"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "[Errno -2] Name or"),
    ],
)
def test_a_proxy_that_times_out_or_has_no_address_is_named(error: Exception, detail: str) -> None:
    proxy = Proxy(httpx.URL("http://user:pw@proxy.corp.example:3128"), "HTTPS_PROXY")
    transport = ThroughProxy(proxy, lambda _: _Failing(error))
    request = httpx.Request("GET", "https://pypi.org/pypi/x/json")
    with pytest.raises(ProxyFailed) as caught:
        asyncio.run(transport.handle_async_request(request))
    trouble = classify(caught.value)
    assert trouble is not None and not trouble.final
    assert trouble.what.startswith(
        "cannot connect to the proxy http://proxy.corp.example:3128 (HTTPS_PROXY): "
    )
    assert detail in trouble.what and "pw" not in trouble.what
    assert trouble.fix == PROXY_HINT
