"""npm facts from the registry packument (``/<name>``, scoped names as ``@scope%2fname``).

One request per package: versions with publish times, maintainers, ``_npmUser``,
``dist`` integrity / shasum / attestations, install-time lifecycle scripts,
deprecation, repository and homepage.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urljoin

from policyengine.enrich import facts_cache
from policyengine.enrich.advisory import parse_time
from policyengine.enrich.http import Fetcher
from policyengine.enrich.npm_provenance import npm_history
from policyengine.enrich.pypi import (
    SHAPE_ERRORS,
    VersionFacts,
    fill,
    registry_document,
    removed,
    wrong_shape,
)
from policyengine.enrich.versions import same_version, sort_key
from policyengine.model import (
    Artifact,
    Artifacts,
    FactKind,
    FactResult,
    Hash,
    Missing,
    Ok,
    PackageMetadata,
    Person,
    Publishers,
    Release,
    ReleaseHistory,
    Source,
)

_NO_SOURCE = Source("npm")


def _with_source(fact: FactResult, source: Source) -> FactResult:
    return Ok(fact.value, source) if isinstance(fact, Ok) else fact


LIFECYCLE = ("preinstall", "install", "postinstall")
"""Scripts npm runs when the package is installed as a dependency."""
_PERSON = re.compile(r"^\s*([^<(]*?)\s*(?:<([^>]*)>)?\s*(?:\(([^)]*)\))?\s*$")


def packument_path(name: str) -> str:
    """The registry path of a package: ``/name`` or ``/@scope%2fname``."""
    if name.startswith("@") and "/" in name:
        scope, _, rest = name.partition("/")
        return f"/{quote(scope, safe='@')}%2f{quote(rest, safe='')}"
    return "/" + quote(name, safe="")


async def npm_facts(
    fetcher: Fetcher, name: str, versions: Sequence[str], kinds: frozenset[FactKind]
) -> VersionFacts:
    """Every requested registry fact for the given versions of one npm package."""
    url = fetcher.settings.npm_url.rstrip("/") + packument_path(name)
    ttl = fetcher.settings.ttl.npm
    # The publishers fact depends on the provenance window: part of what the entry is about.
    how = f"provenance_releases={fetcher.settings.provenance_releases}"
    kept = facts_cache.read(fetcher, "npm", name, url, versions, kinds, ttl, how)
    if kept is not None:
        return kept  # a warm run: the packument is not decoded again
    got = await registry_document(fetcher, "npm", name, url, ttl)
    if not isinstance(got, tuple):
        return fill(versions, kinds, got)
    try:
        out = _facts(name, versions, kinds, got)
    except SHAPE_ERRORS as exc:
        return fill(versions, kinds, wrong_shape(fetcher, url, exc))
    if FactKind.PUBLISHERS in kinds:
        await _add_history(fetcher, name, out, got)
    facts_cache.keep(fetcher, "npm", name, url, out, kinds, how)
    return out


async def _add_history(
    fetcher: Fetcher, name: str, out: VersionFacts, got: tuple[dict[str, Any], str, Source]
) -> None:
    """Uploader and provenance of each version and the releases before it (the window)."""
    data, served_from, source = got
    known: Mapping[str, Any] = _mapping(data, "versions")
    order = [r.version for r in _history(known, _mapping(data, "time"))]
    for version, facts in out.items():
        spelled = _spelling(known, version)
        if spelled is None or spelled not in order:
            continue
        index = order.index(spelled)
        window = order[max(0, index - fetcher.settings.provenance_releases) : index + 1][::-1]
        history = await npm_history(fetcher, name, known, window, served_from)
        fact = facts.get(FactKind.PUBLISHERS)
        if isinstance(fact, Ok) and isinstance(fact.value, Publishers):
            facts[FactKind.PUBLISHERS] = Ok(replace(fact.value, history=history), fact.source)
        elif history and history[0].provenance != "unknown":
            # Who uploaded is unknown (no _npmUser) but the provenance is not.
            facts[FactKind.PUBLISHERS] = Ok(Publishers(spelled, history=history), source)
        elif isinstance(fact, Missing) and history and history[0].reason:
            facts[FactKind.PUBLISHERS] = Missing(history[0].reason)


def _facts(
    name: str,
    versions: Sequence[str],
    kinds: frozenset[FactKind],
    got: tuple[dict[str, Any], str, Source],
) -> VersionFacts:
    data, served_from, source = got
    known: Mapping[str, Any] = _mapping(data, "versions")
    times: Mapping[str, Any] = _mapping(data, "time")
    bad = next((v for v, manifest in known.items() if not isinstance(manifest, dict)), None)
    if bad is not None:  # not "absent": an entry that says nothing cannot mean "removed"
        raise TypeError(f"versions[{bad!r}] is not an object")
    history = _history(known, times)
    order = [r.version for r in history]
    out: VersionFacts = {}
    for version in versions:
        # The registry's own spelling of the version: an input's ``v1.3.0`` is ``1.3.0``.
        spelled = _spelling(known, version)
        manifest = known.get(spelled) if spelled is not None else None
        listed = isinstance(manifest, dict)
        facts: dict[FactKind, FactResult] = {}
        if FactKind.PACKAGE in kinds:
            facts[FactKind.PACKAGE] = Ok(_package(name, data, version), source)
        if FactKind.RELEASES in kinds:
            facts[FactKind.RELEASES] = Ok(ReleaseHistory(version, listed, history), source)
        if FactKind.ARTIFACTS in kinds:
            facts[FactKind.ARTIFACTS] = (
                Ok(_artifacts(spelled or version, manifest, times, served_from), source)
                if isinstance(manifest, dict)
                else removed(version)
            )
        if FactKind.PUBLISHERS in kinds:
            facts[FactKind.PUBLISHERS] = (
                _with_source(_publishers(spelled or version, known, order), source)
                if listed
                else removed(version)
            )
        out[version] = facts
    return out


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):  # an empty list must not read as "no versions"
        raise TypeError(f"{key!r} is not an object")
    return value


def _spelling(known: Mapping[str, Any], version: str) -> str | None:
    """The key under which the packument lists ``version`` (semver equality), or None."""
    if version in known:
        return version
    if sort_key("npm", version) is None:
        return None
    for listed in known:
        if same_version("npm", str(listed), version):
            return str(listed)
    return None


def person(value: object) -> Person | None:
    """An npm person: ``{"name", "email"}`` or ``"Name <email> (url)"``."""
    if isinstance(value, dict):
        name, email = value.get("name"), value.get("email")
        if not name and not email:
            return None
        return Person(str(name) if name else None, str(email) if email else None)
    if isinstance(value, str) and value.strip():
        match = _PERSON.match(value)
        if match:
            return Person(match.group(1) or None, match.group(2) or None)
        return Person(value.strip(), None)
    return None


def _url_of(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("url")
    return str(value) if isinstance(value, str) and value else None


def _package(name: str, data: Mapping[str, Any], version: str) -> PackageMetadata:
    """The package facts of ``version``: read from its own manifest, never the latest's.

    Each version's manifest is the package.json it was published with: a field the
    publisher left out (``author``, ``repository``) was not given. ``maintainers`` is the
    registry's own field, on every packument and version document: without it (a mirror
    stripped it) who maintains the package is unknown, not nobody. A version the
    packument does not list (removed) has no manifest: only the package-level fields
    speak for it, and what they leave out is unknown.
    """
    versions = data.get("versions")
    manifest = versions.get(version) if isinstance(versions, dict) else None
    own: Mapping[str, Any] = manifest if isinstance(manifest, dict) else {}
    unknown: list[str] = []
    if own:
        repository = _url_of(own.get("repository"))
        homepage = _url_of(own.get("homepage"))
        author = person(own.get("author"))
    else:
        repository = _url_of(data.get("repository"))
        homepage = _url_of(data.get("homepage"))
        author = person(data.get("author"))
        values = {"repository": repository, "homepage": homepage, "author": author}
        unknown.extend(field for field, value in values.items() if value is None)
    if "maintainers" in own:
        maintainers = own["maintainers"]
    elif "maintainers" in data:
        maintainers = data["maintainers"]  # the package's current maintainers
    else:
        maintainers, unknown = (), [*unknown, "maintainers"]
    listed = maintainers if isinstance(maintainers, list) else ()
    people = tuple(p for p in (person(m) for m in listed) if p is not None)
    times = data.get("time")
    unpublished = not versions and isinstance(times, dict) and bool(times.get("unpublished"))
    # npm deprecates versions, not packages: the component's own deprecation is in its
    # release history (registry-status reads it there); a deprecated latest release says
    # nothing about another version.
    return PackageMetadata(
        ecosystem="npm",
        name=name,
        repository=repository,
        homepage=homepage,
        author=author,
        maintainers=people,
        status="unpublished" if unpublished else None,
        described_version=version if own else None,
        unknown_fields=tuple(unknown),
    )


def _history(known: Mapping[str, Any], times: Mapping[str, Any]) -> tuple[Release, ...]:
    releases = []
    for version, manifest in known.items():
        deprecated = manifest.get("deprecated") if isinstance(manifest, dict) else None
        releases.append(
            Release(
                version=str(version),
                published_at=parse_time(times.get(version)),
                deprecated=str(deprecated) if isinstance(deprecated, str) and deprecated else None,
            )
        )

    def order(release: Release) -> tuple[int, float, str]:
        if release.published_at is not None:
            return (0, release.published_at.timestamp(), release.version)
        return (1, 0.0, str(sort_key("npm", release.version) or release.version))

    return tuple(sorted(releases, key=order))


def integrity_hashes(dist: Mapping[str, Any]) -> tuple[Hash, ...]:
    """Hashes from ``dist.integrity`` (SRI, base64) and ``dist.shasum`` (sha1 hex)."""
    hashes: list[Hash] = []
    for item in str(dist.get("integrity") or "").split():
        alg, _, b64 = item.partition("-")
        try:
            raw = base64.b64decode(b64.split("?", 1)[0], validate=True)
        except (binascii.Error, ValueError):
            continue
        hashes.append(Hash(alg.lower(), raw.hex()))
    if dist.get("shasum"):
        hashes.append(Hash("sha1", str(dist["shasum"]).lower()))
    return tuple(hashes)


def _artifacts(
    version: str, manifest: Mapping[str, Any], times: Mapping[str, Any], base: str
) -> Artifacts:
    dist = manifest.get("dist") or {}
    tarball = dist.get("tarball")
    files: tuple[Artifact, ...] = ()
    if tarball:
        url = urljoin(base, str(tarball))
        files = (
            Artifact(
                filename=url.rsplit("/", 1)[-1],
                url=url,
                hashes=integrity_hashes(dist),
                kind="tarball",
                uploaded_at=parse_time(times.get(version)),
            ),
        )
    scripts = manifest.get("scripts") or {}
    lifecycle = tuple(
        (hook, str(scripts[hook]))
        for hook in LIFECYCLE
        if isinstance(scripts, dict) and scripts.get(hook)
    )
    return Artifacts(version=version, files=files, lifecycle_scripts=lifecycle)


def _who(
    manifest: Mapping[str, Any],
) -> tuple[tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]]:
    # ``None`` publishers: the registry does not say who published (no ``_npmUser``).
    user = person(manifest.get("_npmUser"))
    publishers = (user.name or user.email or "",) if user else None
    people = (person(m) for m in manifest.get("maintainers") or ())
    maintainers = tuple(sorted({p.name or p.email or "" for p in people if p}))
    dist = manifest.get("dist") or {}
    attestations: tuple[str, ...] = ()
    found = dist.get("attestations") if isinstance(dist, dict) else None
    if isinstance(found, dict):
        provenance = found.get("provenance") or {}
        kind = provenance.get("predicateType") if isinstance(provenance, dict) else None
        attestations = tuple(str(x) for x in (kind, found.get("url")) if x)
    return publishers, maintainers, attestations


def _publishers(version: str, known: Mapping[str, Any], order: Sequence[str]) -> FactResult:
    publishers, maintainers, attestations = _who(known[version])
    if publishers is None:
        return Missing(f"the registry does not name the publisher of {version} (no _npmUser)")
    index = order.index(version) if version in order else -1
    previous = order[index - 1] if index > 0 else None
    if previous is None:
        return Ok(Publishers(version, publishers, maintainers, attestations), _NO_SOURCE)
    before = _who(known[previous])
    named = before[0] is not None
    return Ok(
        Publishers(
            version=version,
            publishers=publishers,
            maintainers=maintainers,
            attestations=attestations,
            previous_version=previous,
            previous_publishers=before[0],
            previous_maintainers=before[1] if named else None,
            previous_attestations=before[2] if named else None,
        ),
        _NO_SOURCE,
    )
