"""Enrichment settings: endpoints, cache, offline mode, limits; built by the CLI from args/env."""

from __future__ import annotations

import math
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from policyengine.model import UsageError

VERSION = "0.1.0"
"""The version named in requests (User-Agent) and in evidence bundles."""

DEFAULT_PYPI_URL = "https://pypi.org"
DEFAULT_NPM_URL = "https://registry.npmjs.org"
DEFAULT_OSV_URL = "https://api.osv.dev"

ENV_PYPI_URL = "POLICYENGINE_PYPI_URL"
ENV_NPM_URL = "POLICYENGINE_NPM_URL"
ENV_OSV_URL = "POLICYENGINE_OSV_URL"
ENV_CACHE_DIR = "POLICYENGINE_CACHE_DIR"
ENV_CA_BUNDLE = "POLICYENGINE_CA_BUNDLE"
ENV_DEADLINE = "POLICYENGINE_DEADLINE"
ENV_ALLOW_REDIRECT_HOSTS = "POLICYENGINE_ALLOW_REDIRECT_HOSTS"
DEFAULT_DEADLINE = 600.0


def default_cache_dir() -> Path:
    """The per-user cache directory (platformdirs), e.g. ``~/.cache/policyengine``."""
    return Path(platformdirs.user_cache_dir("policyengine", appauthor=False))


@dataclass(frozen=True, slots=True)
class Ttl:
    """How long (seconds) a cached answer counts as fresh, per source.

    Package documents change when a release appears, so they are kept briefly;
    advisory records change rarely but new ones matter, so queries are kept
    briefly too while advisory details (addressed by id) are kept longer.
    """

    pypi: float = 3600.0
    npm: float = 3600.0
    osv_query: float = 3600.0
    osv_vuln: float = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class EnrichSettings:
    """Everything enrichment needs to know about where and how to ask.

    ``advisories`` picks the advisory source: ``auto`` asks the OSV API online
    (answering from the local database, ``policyengine db import``, what the API
    could not) and uses the local database offline; ``api`` and ``db`` force one;
    ``off`` collects no advisories (they are Missing).
    ``pypi_version_metadata`` allows the per-version PyPI endpoint, used only for
    the publishers of releases the project document does not describe.
    """

    pypi_url: str = DEFAULT_PYPI_URL
    npm_url: str = DEFAULT_NPM_URL
    osv_url: str = DEFAULT_OSV_URL
    cache_dir: Path = field(default_factory=default_cache_dir)
    offline: bool = False
    concurrency: int = 16
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    max_retry_after: float = 30.0
    total_timeout: float = 60.0
    """Seconds one request may take in all: a body dripped byte by byte never trips the
    read timeout, which bounds each read only."""
    artifact_timeout: float = 300.0
    """Seconds one artifact download may take in all (artifacts are larger than answers)."""
    deadline: float = DEFAULT_DEADLINE
    """Seconds the whole enrichment may take; what is not answered by then is ``Failed``."""
    osv_max_pages: int = 20
    """Pages of one OSV query followed at most; an API that keeps paging fails the fact."""
    allow_redirect_hosts: frozenset[str] = frozenset()
    """Hosts a redirect may lead to besides the origin asked (:mod:`~.redirects`)."""
    max_response_bytes: int = 256 * 2**20
    """Larger answers are refused (the largest PyPI project document seen was 12.5 MB)."""
    ttl: Ttl = field(default_factory=Ttl)
    advisories: str = "auto"
    pypi_version_metadata: bool = True
    osv_batch_size: int = 1000
    provenance_releases: int = 3
    """Releases before the component's version whose provenance and uploader are read
    (PEP 740 on PyPI, ``_npmUser`` and attestations on npm): the window that
    ``publisher-change`` compares the version with."""
    provenance_files: int = 2
    """Files per release whose PEP 740 provenance is fetched from the Integrity API (a
    release's other files count by what the simple index says about them)."""
    verify_provenance: bool = True
    """Verify PEP 740 attestations offline (pypi-attestations, sigstore's shipped trust
    root); off, or without the library, identities are read, not verified."""
    progress: bool = True
    ca_bundle: Path | None = None
    """A PEM file of CAs trusted on top of the system store (``--ca-bundle``)."""
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)
    """The TLS context, when built ahead (once per run); else the client builds it."""


def settings_from(
    env: Mapping[str, str],
    *,
    pypi_url: str | None = None,
    npm_url: str | None = None,
    osv_url: str | None = None,
    cache_dir: str | None = None,
    offline: bool = False,
    advisories: str | None = None,
    ca_bundle: str | None = None,
    deadline: float | None = None,
    allow_redirect_hosts: Sequence[str] | None = None,
) -> EnrichSettings:
    """Settings from command-line values, falling back to the environment, then defaults.

    ``POLICYENGINE_DEADLINE`` must be a number and ``POLICYENGINE_ALLOW_REDIRECT_HOSTS``
    a comma-separated host list: the CLI checks both before any work.
    """
    directory = cache_dir or env.get(ENV_CACHE_DIR)
    bundle = ca_bundle or env.get(ENV_CA_BUNDLE)
    if deadline is None:
        deadline = seconds_of(env.get(ENV_DEADLINE) or "", ENV_DEADLINE)
    if allow_redirect_hosts is None:
        allow_redirect_hosts = redirect_hosts_from(env)
    return EnrichSettings(
        pypi_url=pypi_url or env.get(ENV_PYPI_URL) or DEFAULT_PYPI_URL,
        npm_url=npm_url or env.get(ENV_NPM_URL) or DEFAULT_NPM_URL,
        osv_url=osv_url or env.get(ENV_OSV_URL) or DEFAULT_OSV_URL,
        cache_dir=Path(directory) if directory else default_cache_dir(),
        offline=offline,
        advisories=advisories or "auto",
        ca_bundle=Path(bundle) if bundle else None,
        deadline=deadline,
        allow_redirect_hosts=frozenset(h.strip().lower() for h in allow_redirect_hosts),
    )


def seconds_of(text: str, setting: str) -> float:
    """A deadline in seconds from ``text`` (empty: the default); UsageError naming ``setting``."""
    if not text:
        return DEFAULT_DEADLINE
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(
            f"{setting} {text[:40]!r}: not a positive number of seconds",
            hint="e.g. --deadline 600",
        )
    return seconds


def redirect_hosts_from(env: Mapping[str, str], given: Sequence[str] | None = None) -> list[str]:
    """``given`` hosts, else those in ``POLICYENGINE_ALLOW_REDIRECT_HOSTS`` (comma-separated).

    Each must be a bare ``host`` or ``host:port``: a usage error names the setting.
    """
    setting = "--allow-redirect-host" if given else ENV_ALLOW_REDIRECT_HOSTS
    hosts = (
        list(given)
        if given
        else [h.strip() for h in env.get(ENV_ALLOW_REDIRECT_HOSTS, "").split(",") if h.strip()]
    )
    if hosts:
        from policyengine.enrich.redirects import is_host  # imports httpx: only when needed
    for host in hosts:
        if not is_host(host):
            raise UsageError(
                f"{setting} {host[:80]!r}: not a host name",
                hint="name the host only, e.g. --allow-redirect-host files.example.org",
            )
    return hosts
