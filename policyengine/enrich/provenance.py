"""PyPI publisher identities from PEP 740 provenance: the simple JSON index and the Integrity API.

For the component's release and a bounded number of releases before it
(``provenance_releases``), each file's provenance is read from two places:

- the simple JSON index (PEP 691, ``/simple/<project>/`` asked with
  ``Accept: application/vnd.pypi.simple.v1+json``): since api-version 1.3 every file
  carries a ``provenance`` key, a URL when the file has attestations and ``null`` when
  it has none;
- the Integrity API (``/integrity/<project>/<version>/<filename>/provenance``, under the
  configured PyPI base URL, never a URL taken from an answer), which serves the
  attestation bundles grouped by Trusted Publisher.

What counts as "this file has no provenance" is narrow on purpose: only an index that
declares api-version 1.3 or later *and* gives the file ``"provenance": null``. A key the
answer lacks (a mirror that strips it, an index older than 1.3, as the one reachable from
our build machines serves: api-version 1.1), an index that is not served, or a 404 from
the Integrity API is missing evidence: the release's provenance is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson
from packaging.utils import canonicalize_name

from policyengine.enrich.attest_verify import verify_file
from policyengine.enrich.http import Fetcher, FetchError, NotCached
from policyengine.model import (
    ProvenanceStatus,
    PublisherIdentity,
    ReleaseIdentity,
    Source,
)

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
PROVENANCE_API_VERSION = (1, 3)
"""The simple API version that added PEP 740's ``provenance`` key to every file."""


@dataclass(slots=True)
class SimpleIndex:
    """What the simple JSON index says about a project's files' provenance."""

    url: str
    source: Source | None = None
    api_version: tuple[int, int] | None = None
    provenance: dict[str, object] = field(default_factory=dict)
    """filename -> the file's ``provenance`` value (a URL or ``None``), only for files
    whose entry has the key."""
    why_not: str | None = None
    """Why the index says nothing about provenance (not served, too old, stripped)."""

    @property
    def serves_provenance(self) -> bool:
        """Whether a ``null`` here positively means "no provenance" (api-version >= 1.3)."""
        return self.api_version is not None and self.api_version >= PROVENANCE_API_VERSION


async def simple_index(fetcher: Fetcher, name: str) -> SimpleIndex:
    """The project's simple JSON index, reduced to each file's ``provenance`` key."""
    base = fetcher.settings.pypi_url.rstrip("/")
    url = f"{base}/simple/{quote(canonicalize_name(name), safe='')}/"
    try:
        answer = await fetcher.get("pypi", url, fetcher.settings.ttl.pypi, accept=SIMPLE_JSON)
    except NotCached as exc:
        return SimpleIndex(url, why_not=str(exc))
    except FetchError as exc:
        return SimpleIndex(url, why_not=f"the simple index could not be read: {exc}")
    if answer.status != 200:
        return SimpleIndex(url, why_not=f"the simple index {url} answered HTTP {answer.status}")
    try:
        data = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        return SimpleIndex(url, why_not=f"the simple index {url} did not answer JSON (PEP 691)")
    source = Source("pypi", answer.url, answer.fetched_at, answer.digest)
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return SimpleIndex(url, source, why_not=f"the simple index {url} lists no files")
    meta = data.get("meta")
    version = _api_version(meta.get("api-version") if isinstance(meta, dict) else None)
    files = {
        str(f["filename"]): f["provenance"]
        for f in data["files"]
        if isinstance(f, dict) and "filename" in f and "provenance" in f
    }
    index = SimpleIndex(answer.url, source, version, files)
    if not index.serves_provenance:
        shown = ".".join(map(str, version)) if version else "not stated"
        index.why_not = (
            f"the simple index {answer.url} (api-version {shown}) predates PEP 740's "
            "provenance key (1.3): a mirror or an older index, so whether files have "
            "provenance is not said"
        )
    return index


def _api_version(value: object) -> tuple[int, int] | None:
    if not isinstance(value, str):
        return None
    major, _, minor = value.partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ReleaseFiles:
    """One release and its files as the JSON API lists them: (filename, sha256)."""

    version: str
    files: tuple[tuple[str, str | None], ...]


def identity_of(publisher: Mapping[str, Any]) -> tuple[str, str, str | None, str | None]:
    """``(identity, kind, repository, workflow)`` of a PEP 740 Trusted Publisher object.

    GitHub: ``github:OWNER/REPO/WORKFLOW``; GitLab: ``gitlab:NAMESPACE/PROJECT/FILEPATH``;
    Google: ``google:EMAIL``; any other kind (ActiveState ...): its lower-cased kind and
    its other string fields in key order, joined by ``/``.
    """
    kind = str(publisher.get("kind") or "unknown")
    lowered = kind.lower()
    if lowered == "github":
        repository, workflow = _text(publisher, "repository"), _text(publisher, "workflow")
        return f"github:{repository}/{workflow}", kind, repository, workflow
    if lowered == "gitlab":
        repository = _text(publisher, "repository")
        workflow = _text(publisher, "workflow_filepath")
        return f"gitlab:{repository}/{workflow}", kind, repository, workflow
    if lowered == "google":
        return f"google:{_text(publisher, 'email')}", kind, None, None
    rest = "/".join(
        str(v) for k, v in sorted(publisher.items()) if k != "kind" and isinstance(v, str) and v
    )
    return f"{lowered}:{rest}", kind, None, None


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return str(value) if isinstance(value, str | int) else ""


@dataclass(slots=True)
class _FileRead:
    status: ProvenanceStatus
    identities: list[PublisherIdentity] = field(default_factory=list)
    source: Source | None = None
    why: str | None = None
    status_code: int | None = None  # the Integrity API's HTTP status when not 200


class ProvenanceReader:
    """Reads the provenance of a project's releases, one Integrity API request per file."""

    def __init__(self, fetcher: Fetcher, name: str, index: SimpleIndex) -> None:
        self.fetcher = fetcher
        self.name = name
        self.index = index
        self._probed: str | None = None  # why the Integrity API is not asked again

    async def release(self, release: ReleaseFiles) -> ReleaseIdentity:
        """The provenance of one release: its status, Trusted Publishers and sources."""
        reads: list[_FileRead] = []
        fetched = 0
        for filename, sha256 in release.files:
            said = self.index.provenance.get(filename, _UNSAID)
            if said is None and not self.index.serves_provenance:
                said = _UNSAID  # a null from an index that predates the key says nothing
            if said is None:
                reads.append(_FileRead("absent", why=f"{filename}: provenance null in the index"))
                continue
            if fetched >= self.fetcher.settings.provenance_files:
                status: ProvenanceStatus = "present" if isinstance(said, str) else "unknown"
                reads.append(_FileRead(status, why=f"{filename}: provenance not fetched"))
                continue
            if said is _UNSAID and self._probed is None and self._unserved():
                self._probed = (
                    f"the Integrity API of {self._base()} answered 404 for an earlier project "
                    "while its index predates PEP 740 (api-version < 1.3): not served there"
                )
            if said is _UNSAID and self._probed is not None:
                reads.append(_FileRead("unknown", why=self._probed))
                continue
            fetched += 1
            read = await self._file(release.version, filename, sha256)
            if said is _UNSAID and read.status == "unknown":
                # The index does not say and the API does not serve it: asking for every
                # other file of the window would only repeat the same 404.
                self._probed = read.why
                if read.status_code == 404 and not self.index.serves_provenance:
                    # A registry whose index predates PEP 740 and whose Integrity API
                    # answers 404 does not serve provenance (a mirror): remembered, like
                    # an unserved per-version endpoint, so other projects do not probe it
                    # again. Their provenance stays unknown, never "absent".
                    self.fetcher.mark_unserved(self._endpoint(), 404)
            reads.append(read)
        return _combine(release.version, reads, self.index)

    def _base(self) -> str:
        return self.fetcher.settings.pypi_url.rstrip("/")

    def _endpoint(self) -> str:
        return f"{self._base()}/integrity/<name>/<version>/<filename>/provenance"

    def _unserved(self) -> bool:
        """Whether this registry's Integrity API was found not served (index < 1.3, 404)."""
        if self.index.serves_provenance:
            return False
        return self.fetcher.unserved(self._endpoint(), self.fetcher.settings.ttl.pypi)

    async def _file(self, version: str, filename: str, sha256: str | None) -> _FileRead:
        base = self._base()
        url = (
            f"{base}/integrity/{quote(canonicalize_name(self.name), safe='')}/"
            f"{quote(version, safe='')}/{quote(filename, safe='')}/provenance"
        )
        try:
            answer = await self.fetcher.get("pypi", url, self.fetcher.settings.ttl.pypi)
        except NotCached as exc:
            return _FileRead("unknown", why=str(exc))
        except FetchError as exc:
            return _FileRead("unknown", why=f"the Integrity API could not be read: {exc}")
        if answer.status != 200:
            return _FileRead(
                "unknown",
                why=f"the Integrity API answered HTTP {answer.status} for {filename} ({url})",
                status_code=answer.status,
            )
        source = Source("pypi", answer.url, answer.fetched_at, answer.digest)
        try:
            data = orjson.loads(answer.body)
            bundles = data["attestation_bundles"]
            if not isinstance(bundles, list) or not bundles:
                raise ValueError("no attestation bundles")
            identities = [self._identity(b, filename, sha256, answer.url) for b in bundles]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            self.fetcher.forget(url)
            return _FileRead(
                "unknown", source=source, why=f"unusable provenance from {answer.url}: {exc}"
            )
        return _FileRead("present", identities, source)

    def _identity(
        self, bundle: Mapping[str, Any], filename: str, sha256: str | None, url: str
    ) -> PublisherIdentity:
        publisher = bundle["publisher"]
        attestations = bundle.get("attestations") or []
        if not isinstance(publisher, dict) or not isinstance(attestations, list):
            raise TypeError("an attestation bundle without a publisher object")
        identity, kind, repository, workflow = identity_of(publisher)
        environment = publisher.get("environment")
        if self.fetcher.settings.verify_provenance:
            verified, how = verify_file(publisher, attestations, filename, sha256)
        else:
            verified, how = False, "read, not verified: verification is switched off"
        return PublisherIdentity(
            identity=identity,
            kind=kind,
            repository=repository or None,
            workflow=workflow or None,
            environment=str(environment) if isinstance(environment, str) and environment else None,
            verified=verified,
            verification=how,
            source=url,
        )


_UNSAID = object()


def _combine(version: str, reads: Sequence[_FileRead], index: SimpleIndex) -> ReleaseIdentity:
    """One release's status from its files'.

    A file without provenance next to attested ones makes it ``partial``; unknown files
    never turn into "absent".
    """
    statuses = {r.status for r in reads}
    status: ProvenanceStatus
    if not reads:
        status = "unknown"
    elif "absent" in statuses and "present" in statuses:
        status = "partial"
    elif statuses == {"absent"}:
        status = "absent"
    elif "present" in statuses:
        status = "present"
    else:
        status = "unknown"
    merged: dict[str, PublisherIdentity] = {}
    for read in reads:
        for found in read.identities:
            seen = merged.get(found.identity)
            if seen is None or (seen.verified and not found.verified):
                merged[found.identity] = found  # one unverified file makes it unverified
    sources: list[Source] = [index.source] if index.source is not None else []
    sources.extend(r.source for r in reads if r.source is not None and r.source not in sources)
    why = [r.why for r in reads if r.why and r.status == "unknown"]
    reason = None
    if status == "unknown":
        reason = "; ".join(dict.fromkeys([*(why or ["the release has no files"])]))
        if index.why_not and index.why_not not in reason:
            reason = f"{index.why_not}; {reason}"
    elif status in ("absent", "partial"):
        reason = "; ".join(r.why for r in reads if r.status == "absent" and r.why)
    return ReleaseIdentity(
        version=version,
        provenance=status,
        identities=tuple(sorted(merged.values(), key=lambda i: i.identity)),
        reason=reason,
        sources=tuple(sources),
    )


async def pypi_history(
    fetcher: Fetcher, name: str, window: Sequence[ReleaseFiles]
) -> tuple[ReleaseIdentity, ...]:
    """The provenance of each release of ``window`` (the component's first), in order."""
    index = await simple_index(fetcher, name)
    reader = ProvenanceReader(fetcher, name, index)
    return tuple([await reader.release(release) for release in window])
