"""Which redirects enrichment follows: within the origin asked, or to a host the settings allow.

A redirect is the server choosing where the answer comes from. Followed blindly, a
registry (or anything between it and us) can send a request for one package to
any host, over plain HTTP too. So a redirect is followed only to the same origin
(scheme, host and port) as the request, or to a host named by
``--allow-redirect-host`` / ``POLICYENGINE_ALLOW_REDIRECT_HOSTS``, never from https
to http. URLs the registry declares in its answer (PyPI's files on
files.pythonhosted.org, npm tarballs) are not redirects: they are asked for as
given, and their bodies are verified against the registry's digests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import httpx


class RedirectRefused(Exception):
    """A redirect to an origin the settings do not allow; the request fails, unretried."""


def host_key(value: str) -> str:
    """A host as the allow list holds it: lower case, ``host`` or ``host:port``."""
    return value.strip().lower().rstrip(".")


def is_host(value: str) -> bool:
    """True when ``value`` is a bare host name or ``host:port`` (no scheme, path or user)."""
    key = host_key(value)
    if not key or any(c in key for c in "/@?#\\ \t"):
        return False
    try:
        url = httpx.URL(f"https://{key}/")
    except httpx.InvalidURL:
        return False
    return bool(url.host) and url.path == "/"


def _allowed(request: httpx.URL, target: httpx.URL, hosts: frozenset[str]) -> bool:
    if request.scheme == "https" and target.scheme != "https":
        return False  # a downgrade exposes the answer to anyone on the path
    if (target.scheme, target.host, target.port) == (request.scheme, request.host, request.port):
        return True
    names = {host_key(target.host)}
    if target.port is not None:
        names.add(f"{host_key(target.host)}:{target.port}")
    return bool(names & hosts)


def redirect_guard(hosts: Iterable[str]) -> Callable[[httpx.Response], Awaitable[None]]:
    """An httpx response hook refusing a redirect to an origin not allowed.

    httpx calls response hooks for each response of a redirect chain before it
    follows the next, so a refused hop is never requested.
    """
    allowed = frozenset(host_key(h) for h in hosts)

    async def guard(response: httpx.Response) -> None:
        if not response.has_redirect_location:
            return
        asked = response.request.url
        try:
            target = asked.join(response.headers["location"])
        except httpx.InvalidURL:
            raise RedirectRefused(f"{asked} redirects to an invalid URL") from None
        if not _allowed(asked, target, allowed):
            where = f"{target.scheme}://{target.host}" + (
                f":{target.port}" if target.port is not None else ""
            )
            raise RedirectRefused(
                f"{asked} redirects to another origin ({where}); not followed "
                "(allow the host with --allow-redirect-host)"
            )

    return guard
