"""Transport errors that will not get better within a run, and the hosts they took down.

A retry helps against a timeout, a reset or an overloaded server. It does not help
against a name the resolver says does not exist, a certificate that does not verify
or, past one retry, a port that refuses connections: retrying each of thousands of
requests to such a host only multiplies the wait. :func:`classify` tells those
errors apart; :class:`Hosts` remembers a host found down for the rest of the run,
so that every later request to it fails at once with the same reason.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from policyengine.enrich.proxies import PROXY_HINT, ProxyFailed
from policyengine.enrich.trust import TLS_HINT

# getaddrinfo's answers that the name has no address: the resolver got a definite
# answer (NXDOMAIN, or no record of the family) and caches it for the zone's negative
# TTL (RFC 2308, minutes to hours), so asking again within a run gets the same answer.
_NO_SUCH_NAME = frozenset(
    getattr(socket, name)
    for name in ("EAI_NONAME", "EAI_NODATA", "EAI_FAIL", "EAI_ADDRFAMILY")
    if hasattr(socket, name)
)
# The network stack answered at once that no route leads there.
_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH})
# OpenSSL's verify codes saying no trusted CA issued the chain, what a TLS-intercepting
# proxy with a company CA causes: another trust anchor fixes them. An expired certificate
# or a name mismatch is another matter, and gets no such hint.
_UNTRUSTED_ISSUER = frozenset(
    {
        2,  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
        18,  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        19,  # X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
        20,  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        21,  # X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
    }
)


@dataclass(frozen=True, slots=True)
class Trouble:
    """Why a host cannot be reached; ``final``: not even one retry can change it.

    ``fix`` names the setting that would change it, said after the reason.
    """

    what: str
    final: bool
    fix: str = ""


def classify(exc: BaseException) -> Trouble | None:
    """What a failed connection says about its host; None when it may pass (retry as usual).

    Only :class:`httpx.ConnectError` is looked at: an error after the connection
    was made (a reset, a truncated body) is a passing fault of that one exchange.
    httpx raises it from httpcore's ``ConnectError``, raised in turn from the
    ``OSError`` of the socket layer: ``socket.gaierror`` for name resolution,
    ``ssl.SSLError`` for the handshake, or anyio's "All connection attempts failed"
    raised from the ``ConnectionRefusedError`` (or a group of them, one per address).
    """
    if isinstance(exc, ProxyFailed):
        return _proxy_trouble(exc)
    if not isinstance(exc, httpx.ConnectError):
        return None
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            if cause.errno in _NO_SUCH_NAME:
                return Trouble("name does not resolve (DNS)", final=True)
            if cause.errno == socket.EAI_AGAIN:
                # No answer from the resolver (a timeout, SERVFAIL): may be passing.
                return Trouble("name resolution fails (DNS: temporary failure)", final=False)
            return None
        if isinstance(cause, ssl.SSLCertVerificationError):
            # The same server presents the same certificate on the next attempt.
            detail = cause.verify_message or cause.reason or "not verified"
            fix = TLS_HINT if cause.verify_code in _UNTRUSTED_ISSUER else ""
            return Trouble(f"TLS certificate not accepted ({detail})", final=True, fix=fix)
        if isinstance(cause, ssl.SSLZeroReturnError | ssl.SSLEOFError):
            return None  # the connection was closed mid-handshake, like a reset
        if isinstance(cause, ssl.SSLError):
            return Trouble(f"TLS handshake refused ({cause.reason or cause})", final=False)
        if isinstance(cause, BaseExceptionGroup):
            errors = cause.exceptions
            if all(isinstance(e, ConnectionRefusedError) for e in errors):
                return Trouble("connection refused", final=False)
            return None
        if isinstance(cause, ConnectionRefusedError):
            return Trouble("connection refused", final=False)
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE:
            return Trouble(f"unreachable ({cause.strerror})", final=False)
    return None


def _proxy_trouble(exc: ProxyFailed) -> Trouble:
    """What a failure of the proxy itself says: the proxy is named, and what to check."""
    name = f"the proxy {exc.proxy.name}"
    if exc.status is None:
        reached = exc.__cause__
        trouble = classify(reached) if reached is not None else None
        if trouble is not None:
            detail, final = trouble.what, trouble.final
        elif isinstance(reached, httpx.TimeoutException):
            detail, final = "timed out", False
        else:
            detail, final = str(reached or "no connection"), False
        return Trouble(f"cannot connect to {name}: {detail}", final=final, fix=PROXY_HINT)
    if exc.status == 407:
        return Trouble(
            f"{name} asks for credentials (HTTP 407)",
            final=True,
            fix=f"put them in the proxy URL (http://user:password@host:port); {PROXY_HINT}",
        )
    # 403: the proxy's policy forbids the host, for good; 502/503/504: it could not reach
    # it, which may pass (retried once, as a refused connection is).
    final = exc.status < 500
    return Trouble(f"{name} refused the tunnel (HTTP {exc.status})", final=final, fix=PROXY_HINT)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def origin(url: httpx.URL) -> str:
    """``scheme://host[:port]``: what is down is one service, not every port of a machine."""
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}"


def host_name(url: httpx.URL) -> str:
    """The host as a person reads it in a reason: ``api.osv.dev``, ``127.0.0.1:8080``."""
    return f"{url.host}:{url.port}" if url.port is not None else url.host


class Asker:
    """One request's part in deciding whether a host is down: the host it probes, if any."""

    __slots__ = ("probing",)

    def __init__(self) -> None:
        self.probing: str | None = None


class Hosts:
    """The hosts found down in one run, and the one retry deciding whether a host is.

    The fetcher runs requests concurrently: when the first request to a host is
    refused, the others queued behind the concurrency gate would each be refused
    in turn. Instead the first becomes the host's *probe*: it retries once, and
    every other request to the host waits for that verdict before sending
    anything. Everything runs on one event loop, so plain dicts are enough.
    """

    def __init__(self) -> None:
        self._down: dict[str, str] = {}
        self._probes: dict[str, tuple[Asker, asyncio.Event]] = {}

    def reason(self, key: str) -> str | None:
        """Why ``key`` (an :func:`origin`) is down, or None while it is not known to be."""
        return self._down.get(key)

    async def settled(self, key: str, asker: Asker) -> str | None:
        """Wait while another request probes ``key``; then why it is down, or None."""
        probe = self._probes.get(key)
        while probe is not None and probe[0] is not asker:
            await probe[1].wait()
            probe = self._probes.get(key)
        return self._down.get(key)

    def free(self, key: str, asker: Asker) -> bool:
        """True if ``asker`` may try ``key`` now: not known down, and no other request probes it."""
        probe = self._probes.get(key)
        return key not in self._down and (probe is None or probe[0] is asker)

    async def judge(
        self, url: httpx.URL, trouble: Trouble, asker: Asker, *, can_retry: bool, retried: bool
    ) -> str | None:
        """After ``trouble`` connecting to ``url``: why its host is down, or None to go on.

        A final trouble takes the host down at once. Otherwise the first request
        to meet it retries once as the host's probe (None), a second trouble on
        that retry takes the host down, and any other request waits for the
        probe's verdict (None when the host answered after all). ``can_retry``:
        the request has an attempt left; ``retried``: this was not its first.
        """
        key = origin(url)
        if asker.probing is not None and asker.probing != key:
            # The trouble is with another host (a redirect led there), so the host this
            # request probes did answer: its probe is over. Waiting for another host's
            # probe while holding our own could wait forever (each waiting on the other).
            self.reached(asker)
        known = self._down.get(key)
        if known is not None:
            return known
        name = host_name(url)
        fix = f"; {trouble.fix}" if trouble.fix else ""
        if asker.probing == key:
            return self._mark_down(
                key,
                f"{name}: {trouble.what}, also when retried once; no other request was retried"
                + fix,
            )
        if trouble.final:
            return self._mark_down(key, f"{name}: {trouble.what}; no request was retried{fix}")
        if key in self._probes:
            return await self.settled(key, asker)
        if not can_retry:
            if retried:  # out of attempts after other faults: one refusal judges no host
                return None
            # ``retries`` is 0: no request can ever be the probe.
            return self._mark_down(key, f"{name}: {trouble.what}; no request was retried{fix}")
        self.reached(asker)
        self._probes[key] = (asker, asyncio.Event())
        asker.probing = key
        return None

    def reached(self, asker: Asker) -> None:
        """``asker``'s attempt got past connecting (or it gave up): its probe, if any, is over."""
        key, asker.probing = asker.probing, None
        if key is not None:
            probe = self._probes.pop(key, None)
            if probe is not None:
                probe[1].set()

    def _mark_down(self, key: str, reason: str) -> str:
        self._down[key] = reason
        probe = self._probes.pop(key, None)
        if probe is not None:
            probe[0].probing = None
            probe[1].set()
        return reason
