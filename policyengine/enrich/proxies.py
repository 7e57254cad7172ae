"""Proxies named by the environment, routed as httpx, pip and curl route them.

``HTTPS_PROXY``, ``HTTP_PROXY`` and ``ALL_PROXY`` (upper or lower case) name the
proxy per URL scheme; ``NO_PROXY`` lists hosts reached directly: ``*``, names
(``example.com`` covers its subdomains too), IP addresses (any port) and
``localhost``. The variables are read through :func:`urllib.request.getproxies`,
the source httpx and requests read (it also reads the system settings on macOS
and Windows when no variable is set).

The routes are built here rather than by httpx's ``trust_env`` so that a request
that fails on its way through a proxy says so: each proxy gets a transport that
turns the failures of the proxy itself (cannot connect to it, a refused ``CONNECT``,
407) into :class:`ProxyFailed`, naming the proxy and the variable that chose it.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from policyengine.model import UsageError

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")
PROXY_HINT = "check HTTPS_PROXY/HTTP_PROXY/ALL_PROXY, or list the host in NO_PROXY to go direct"
_HTTP_SCHEMES = frozenset({"http", "https"})
_SOCKS_SCHEMES = frozenset({"socks5", "socks5h"})


@dataclass(frozen=True, slots=True)
class Proxy:
    """One proxy: its URL and the environment variable that named it."""

    url: httpx.URL
    variable: str

    @property
    def name(self) -> str:
        """How a message names it: ``http://proxy.corp:3128 (HTTPS_PROXY)``, no credentials."""
        port = f":{self.url.port}" if self.url.port is not None else ""
        return f"{self.url.scheme}://{self.url.host}{port} ({self.variable})"


def proxy_routes() -> dict[str, Proxy | None]:
    """URL patterns (httpx mount keys) to the proxy serving them; None: go direct.

    Raises :class:`UsageError` for a proxy URL that cannot be used, naming its variable.
    """
    found = urllib.request.getproxies()
    routes: dict[str, Proxy | None] = {}
    for scheme in ("http", "https", "all"):
        value = found.get(scheme)
        if value:
            routes[f"{scheme}://"] = _proxy(value, f"{scheme.upper()}_PROXY")
    for entry in (part.strip() for part in found.get("no", "").split(",")):
        if entry == "*":
            return {}  # every host direct, as for curl
        if entry:
            routes[_direct_pattern(entry)] = None
    return routes


def _proxy(value: str, variable: str) -> Proxy:
    text = value if "://" in value else f"http://{value}"
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise UsageError(f"{variable}: not a proxy URL ({exc})", hint=PROXY_HINT) from None
    if url.scheme in _SOCKS_SCHEMES and importlib.util.find_spec("socksio") is None:
        raise UsageError(
            f"{variable}: a SOCKS proxy needs the socksio package",
            hint="pip install 'httpx[socks]', or name an HTTP proxy",
        )
    if not url.host:
        raise UsageError(f"{variable}: {value} names no proxy host", hint=PROXY_HINT)
    if url.scheme not in _HTTP_SCHEMES | _SOCKS_SCHEMES:
        raise UsageError(
            f"{variable}: {url.scheme}://{url.host} is not an http://, https:// or socks5:// proxy",
            hint=PROXY_HINT,
        )
    return Proxy(url, variable)


def _direct_pattern(entry: str) -> str:
    """The httpx mount key for one ``NO_PROXY`` entry (curl's reading, as httpx does it)."""
    if "://" in entry:
        return entry
    host = entry.split("/")[0]  # 10.0.0.0/8: only the address part is understood
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if entry.lower() == "localhost":
            return f"all://{entry}"
        return f"all://*{entry}"  # example.com: also www.example.com, not wwwexample.com
    return f"all://[{address}]" if address.version == 6 else f"all://{address}"


class ProxyFailed(httpx.TransportError):
    """The proxy itself failed the request: not reached, or it refused to go on.

    ``status`` is the proxy's HTTP status when it answered (407, 403, 502, ...).
    The transport error it replaces is the ``__cause__``.
    """

    def __init__(self, proxy: Proxy, status: int | None, *, request: httpx.Request) -> None:
        super().__init__(f"proxy {proxy.name} failed", request=request)
        self.proxy = proxy
        self.status = status


class ThroughProxy(httpx.AsyncBaseTransport):
    """A transport through one proxy that reports the proxy's own failures as such."""

    def __init__(self, proxy: Proxy, make: Callable[[httpx.Proxy], httpx.AsyncBaseTransport]):
        self.proxy = proxy
        self._inner = make(httpx.Proxy(proxy.url))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the proxy; its refusals raise :class:`ProxyFailed`."""
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.ProxyError as exc:  # the CONNECT was answered with another status
            raise ProxyFailed(self.proxy, _status(str(exc)), request=request) from exc
        except httpx.ConnectError as exc:
            if _tls_failure(exc):
                raise  # the tunnel stands: the target's certificate is the trouble
            raise ProxyFailed(self.proxy, None, request=request) from exc
        except httpx.ConnectTimeout as exc:  # a proxy host that drops packets (a firewall)
            raise ProxyFailed(self.proxy, None, request=request) from exc
        if response.status_code == 407:  # a plain http:// URL, forwarded (no CONNECT)
            await response.aclose()
            raise ProxyFailed(self.proxy, 407, request=request)
        return response

    async def aclose(self) -> None:
        """Close the proxy's connection pool."""
        await self._inner.aclose()


def _status(message: str) -> int | None:
    head = message.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def _tls_failure(exc: BaseException) -> bool:
    import ssl

    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
