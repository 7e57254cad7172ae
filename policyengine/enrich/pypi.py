"""PyPI facts from the JSON API: package metadata, releases, files with digests, publishers.

One request per project (``/pypi/<name>/json``). The per-version endpoint
(``/pypi/<name>/<version>/json``) is asked only for publishers, and only for a
release the project document does not describe itself (the component's own
version when it is not the latest, and the release before it); when that
endpoint is not served (404/403) the publishers of that release stay unknown, and
it is not asked again for other releases while the cache remembers that (the TTL of
registry answers).
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from email.utils import getaddresses
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import orjson
from packaging.utils import canonicalize_name

from policyengine.enrich import facts_cache
from policyengine.enrich.advisory import parse_time
from policyengine.enrich.http import Answer, Fetcher, FetchError, NotCached
from policyengine.enrich.provenance import ReleaseFiles, pypi_history
from policyengine.enrich.versions import same_version, sort_key
from policyengine.model import (
    Artifact,
    Artifacts,
    FactKind,
    FactResult,
    Failed,
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

VersionFacts = dict[str, dict[FactKind, FactResult]]
REGISTRY_KINDS = frozenset(
    {FactKind.PACKAGE, FactKind.RELEASES, FactKind.ARTIFACTS, FactKind.PUBLISHERS}
)
_DIGESTS = {"sha256": "sha256", "blake2b_256": "blake2b_256", "md5": "md5"}
# Project URL labels that name the source repository, compared as PEP 753 normalises them
# (lower case, punctuation and whitespace removed): "Source Code", "Sources", "GitHub"...
_FORGES = frozenset({"github.com", "gitlab.com", "codeberg.org", "bitbucket.org"})
_FORGE_PAGES = frozenset({"sponsors", "orgs", "apps", "marketplace", "features", "topics"})
"""First path segments of forge pages that are not a repository (GitHub Sponsors ...)."""
_REPO_LABELS = ("source", "sources", "sourcecode", "repository", "repo", "code", "github", "git")


def removed(version: str) -> Missing:
    """The Missing fact for a version the registry does not list."""
    return Missing(f"version {version} is not listed by the registry (removed)")


def decode_json(answer: Answer, fetcher: Fetcher | None = None, url: str = "") -> Any:
    """Parse an answer's body as JSON, or raise FetchError saying it is not JSON.

    With ``fetcher`` and the requested ``url``, an unusable body is also dropped
    from the cache so that the next run asks again instead of replaying it.
    """
    try:
        return orjson.loads(answer.body)
    except orjson.JSONDecodeError as exc:
        if fetcher is not None:
            fetcher.forget(url or answer.url)
        raise FetchError(f"invalid JSON from {answer.url}: {exc}") from None


async def registry_document(
    fetcher: Fetcher, ecosystem: str, name: str, url: str, ttl: float, key: str | None = None
) -> tuple[dict[str, Any], str, Source] | Missing | Failed:
    """The registry's JSON object for a package, the URL that served it and its source.

    A 404/410 or an offline miss is ``Missing``; any other status, a body that
    is not a JSON object (or lacks the object under ``key``) is ``Failed``, and
    the unusable body is dropped from the cache: that fact is returned instead.
    """
    try:
        answer = await fetcher.get(ecosystem, url, ttl)
        if answer.status in (404, 410):
            return Missing(f"{name} not found on registry ({url})")
        if answer.status != 200:
            raise FetchError(f"HTTP {answer.status} from {url}")
        data = decode_json(answer, fetcher, url)
        if not isinstance(data, dict) or (key is not None and not isinstance(data.get(key), dict)):
            fetcher.forget(url)
            what = "not an object" if key is None else f"no {key!r} object"
            raise FetchError(f"unexpected answer from {url}: {what}")
        wrong = not_about(ecosystem, name, data, answer.url)
        if wrong is not None:
            fetcher.forget(url)
            raise FetchError(wrong)
    except NotCached as exc:
        return Missing(str(exc))
    except FetchError as exc:
        return Failed(str(exc))
    return data, answer.url, Source(ecosystem, answer.url, answer.fetched_at, answer.digest)


SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError)
"""What reading a JSON answer whose fields have the wrong type raises (``releases["1.2.0"]:
5``, ``project_urls`` as a list): the answer is unusable, never an internal error."""


def wrong_shape(fetcher: Fetcher, url: str, exc: Exception) -> Failed:
    """The Failed fact for an answer of the wrong shape; the answer leaves the cache."""
    fetcher.forget(url)
    return Failed(f"unexpected answer from {url}: a field has the wrong type ({exc})")


def named_in(ecosystem: str, data: Mapping[str, Any]) -> object:
    """The package name a registry document says it describes (PyPI ``info.name``, npm ``name``)."""
    if ecosystem == "pypi":
        info = data.get("info")
        return info.get("name") if isinstance(info, dict) else None
    return data.get("name")


def not_about(ecosystem: str, asked: str, data: Mapping[str, Any], url: str) -> str | None:
    """Why the document from ``url`` is not about ``asked``; None when it is.

    A mirror or a redirect can answer a request with another package's document:
    its facts (a clean history, other files) must not stand for the asked package.
    PyPI names compare as PEP 503 normalises them; npm names exactly.
    """
    named = named_in(ecosystem, data)
    if not isinstance(named, str) or not named:
        return f"the answer from {url} does not name the package it describes"
    same = (
        canonicalize_name(named) == canonicalize_name(asked)
        if ecosystem == "pypi"
        else named == asked
    )
    if same:
        return None
    return f"the answer from {url} is about {named[:100]!r}, not {asked!r}"


def fill(versions: Sequence[str], kinds: frozenset[FactKind], fact: FactResult) -> VersionFacts:
    """The same fact for every version and kind (a whole-package failure or absence)."""
    return {v: dict.fromkeys(kinds, fact) for v in versions}


async def pypi_facts(
    fetcher: Fetcher, name: str, versions: Sequence[str], kinds: frozenset[FactKind]
) -> VersionFacts:
    """Every requested registry fact for the given versions of one PyPI project."""
    settings = fetcher.settings
    url = f"{settings.pypi_url.rstrip('/')}/pypi/{quote(name, safe='')}/json"
    # Settings that change the facts extracted are part of what a kept entry is about.
    how = (
        f"version_metadata={settings.pypi_version_metadata} "
        f"provenance={settings.provenance_releases},{settings.provenance_files},"
        f"{settings.verify_provenance}"
    )
    kept = facts_cache.read(fetcher, "pypi", name, url, versions, kinds, settings.ttl.pypi, how)
    if kept is not None:
        return kept  # a warm run: the document is not decoded again
    got = await registry_document(fetcher, "pypi", name, url, settings.ttl.pypi, "releases")
    if not isinstance(got, tuple):
        return fill(versions, kinds, got)
    try:
        found = await _facts(fetcher, name, versions, kinds, got)
    except SHAPE_ERRORS as exc:
        return fill(versions, kinds, wrong_shape(fetcher, url, exc))
    facts_cache.keep(fetcher, "pypi", name, url, found, kinds, how)
    return found


async def _facts(
    fetcher: Fetcher,
    name: str,
    versions: Sequence[str],
    kinds: frozenset[FactKind],
    got: tuple[dict[str, Any], str, Source],
) -> VersionFacts:
    data, served_from, source = got
    history = _releases(data["releases"])
    out: VersionFacts = {}
    for version in versions:
        facts: dict[FactKind, FactResult] = {}
        listed = _find(history, version)
        if FactKind.PACKAGE in kinds:
            facts[FactKind.PACKAGE] = Ok(_package(name, data, version), source)
        if FactKind.RELEASES in kinds:
            facts[FactKind.RELEASES] = Ok(
                ReleaseHistory(version, listed is not None, tuple(r for r, _ in history)), source
            )
        if FactKind.ARTIFACTS in kinds:
            facts[FactKind.ARTIFACTS] = (
                Ok(Artifacts(version, _files(listed[1], served_from)), source)
                if listed is not None
                else removed(version)
            )
        if FactKind.PUBLISHERS in kinds:
            facts[FactKind.PUBLISHERS] = (
                await _publishers(fetcher, name, version, data, history, source)
                if listed is not None
                else removed(version)
            )
        out[version] = facts
    return out


def _find(
    history: Sequence[tuple[Release, list[Mapping[str, Any]]]], version: str
) -> tuple[Release, list[Mapping[str, Any]]] | None:
    for item in history:
        if item[0].version == version:
            return item
    # Another spelling of the same PEP 440 version ("1.0" for "1.0.0"): parse once, compare.
    wanted = sort_key("pypi", version)
    if wanted is None:
        return None
    for item in history:
        if sort_key("pypi", item[0].version) == wanted:
            return item
    return None


def _releases(releases: Mapping[str, Any]) -> list[tuple[Release, list[Mapping[str, Any]]]]:
    items: list[tuple[Release, list[Mapping[str, Any]]]] = []
    for version, files in releases.items():
        files = [f for f in files or () if isinstance(f, dict)]
        times = [t for t in (parse_time(f.get("upload_time_iso_8601")) for f in files) if t]
        yanked = bool(files) and all(f.get("yanked") for f in files)
        reason = next((str(f["yanked_reason"]) for f in files if f.get("yanked_reason")), None)
        release = Release(
            version=str(version),
            published_at=min(times) if times else None,
            yanked=yanked,
            yanked_reason=reason if yanked else None,
        )
        items.append((release, files))
    items.sort(key=lambda item: _upload_order(item[0]))
    return items


def _upload_order(release: Release) -> tuple[int, float, str]:
    # Oldest first by upload time; releases without files last, in version order.
    if release.published_at is not None:
        return (0, release.published_at.timestamp(), release.version)
    key = sort_key("pypi", release.version)
    return (1, 0.0, str(key) if key is not None else release.version)


def _files(files: Sequence[Mapping[str, Any]], base: str) -> tuple[Artifact, ...]:
    out = []
    for f in files:
        digests = f.get("digests") or {}
        hashes = tuple(
            Hash(alg, str(digests[key]).lower())
            for key, alg in _DIGESTS.items()
            if digests.get(key)
        )
        size = f.get("size")
        out.append(
            Artifact(
                filename=str(f.get("filename", "")),
                url=urljoin(base, str(f["url"])) if f.get("url") else None,
                size=size if isinstance(size, int) else None,
                hashes=hashes,
                kind=str(f["packagetype"]) if f.get("packagetype") else None,
                uploaded_at=parse_time(f.get("upload_time_iso_8601")),
            )
        )
    return tuple(sorted(out, key=lambda a: a.filename))


def _forge_repository(urls: Sequence[str]) -> str | None:
    """The repository a code-forge URL of the project points into (its issues, its docs).

    A project that links ``https://github.com/owner/repo/issues`` but labels no "Source"
    still names its repository: ``https://github.com/owner/repo``.
    """
    for url in urls:
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if (
            (parts.hostname or "").lower() in _FORGES
            and len(segments) >= 2
            and segments[0].lower() not in _FORGE_PAGES
        ):
            return f"https://{parts.hostname}/{segments[0]}/{segments[1].removesuffix('.git')}"
    return None


def _label(key: object) -> str:
    """A project URL label as PEP 753 compares it: lower case, no punctuation or spaces."""
    return "".join(c for c in str(key).lower() if c not in string.punctuation and not c.isspace())


def _person(name: object, email: object) -> Person | None:
    if not name and not email:
        return None
    if not name and isinstance(email, str) and "<" in email:
        # Core metadata 2.1+ writes "Name <address>" (pyproject ``authors`` with both keys)
        # into Author-email alone: the first entry names the person.
        found = getaddresses([email])
        if found and any(found[0]):
            return Person(found[0][0] or None, found[0][1] or None)
    return Person(str(name) if name else None, str(email) if email else None)


# The keys of ``info`` that give each field. The JSON API always sends them (null when the
# release declares nothing), so an answer without any of a field's keys was cut short
# (a mirror stripped it): that field is missing evidence, not empty.
_FIELD_KEYS: Mapping[str, tuple[str, ...]] = {
    "repository": ("project_urls",),
    "homepage": ("project_urls", "home_page"),
    "author": ("author", "author_email"),
    "maintainers": ("maintainer", "maintainer_email"),
}
_DEVELOPMENT_STATUS = "Development Status :: "


def _package(name: str, data: Mapping[str, Any], version: str | None = None) -> PackageMetadata:
    """The package facts as the project document gives them, for ``version``.

    Its ``info`` describes the latest release only: for another release, what it names
    still names the project's source and people, but what it leaves empty says nothing
    about the component's release, so those fields are unknown (the per-version endpoint
    is not asked: one request per project, and mirrors often do not serve it).
    """
    info = data.get("info") or {}
    latest = str(info["version"]) if info.get("version") else None
    other_release = version is not None and (
        latest is None or not same_version("pypi", latest, version)
    )
    urls: Mapping[str, Any] = info.get("project_urls") or {}
    labels = {_label(k): str(v) for k, v in urls.items() if v}
    repository = next((labels[k] for k in _REPO_LABELS if k in labels), None)
    if repository is None:
        repository = _forge_repository([*labels.values(), str(info.get("home_page") or "")])
    homepage = labels.get("homepage") or info.get("home_page") or None
    author = _person(info.get("author"), info.get("author_email"))
    maintainer = _person(info.get("maintainer"), info.get("maintainer_email"))
    values = {
        "repository": repository,
        "homepage": homepage,
        "author": author,
        "maintainers": maintainer,
    }
    unknown = tuple(
        field
        for field, keys in _FIELD_KEYS.items()
        if not any(k in info for k in keys) or (other_release and not _declares(values[field]))
    )
    # PEP 792: the JSON API's info.project_status, or the Simple API's "project-status".
    status = (
        info.get("project_status") or data.get("project_status") or data.get("project-status") or {}
    )
    ownership = data.get("ownership") or {}
    roles = tuple(
        sorted(
            (str(r.get("user", "")), str(r.get("role", "")))
            for r in ownership.get("roles") or ()
            if isinstance(r, dict)
        )
    )
    return PackageMetadata(
        ecosystem="pypi",
        name=name,
        repository=repository,
        homepage=str(homepage) if homepage else None,
        author=author,
        maintainers=(maintainer,) if maintainer else (),
        status=str(status["status"]) if isinstance(status, dict) and status.get("status") else None,
        status_reason=(
            str(status["reason"]) if isinstance(status, dict) and status.get("reason") else None
        ),
        organization=str(ownership["organization"]) if ownership.get("organization") else None,
        roles=roles,
        described_version=latest,
        unknown_fields=unknown,
        development_status=_development_status(info.get("classifiers")),
    )


def _declares(value: str | Person | None) -> bool:
    """Whether a field names something: setuptools wrote ``UNKNOWN`` for an empty one."""
    texts = (value.name, value.email) if isinstance(value, Person) else (value,)
    return any(t and t.strip().upper() not in ("", "UNKNOWN") for t in texts)


def _development_status(classifiers: object) -> str | None:
    """The latest release's ``Development Status :: ...`` classifier, without the prefix.

    A release may (wrongly) declare several; the most advanced one (7 - Inactive is the
    highest) is what the project says about itself last.
    """
    if not isinstance(classifiers, list):
        return None
    found = sorted(
        str(c)[len(_DEVELOPMENT_STATUS) :].strip()
        for c in classifiers
        if isinstance(c, str) and c.startswith(_DEVELOPMENT_STATUS)
    )
    return found[-1] if found else None


def _accounts(info: Mapping[str, Any]) -> tuple[str, ...]:
    names = {str(info[k]) for k in ("author", "maintainer") if info.get(k)}
    return tuple(sorted(names))


_UNSERVED = frozenset((403, 404, 410))
"""Answers to a listed release's per-version document that mean the endpoint is not served."""


async def _version_info(
    fetcher: Fetcher, name: str, version: str, data: Mapping[str, Any]
) -> tuple[str, ...] | None:
    info = data.get("info") or {}
    if same_version("pypi", str(info.get("version", "")), version):
        return _accounts(info)
    if not fetcher.settings.pypi_version_metadata:
        return None
    base = fetcher.settings.pypi_url.rstrip("/")
    url = f"{base}/pypi/{quote(name, safe='')}/{quote(version, safe='')}/json"
    ttl = fetcher.settings.ttl.pypi
    endpoint = f"{base}/pypi/<name>/<version>/json"
    if fetcher.unserved(endpoint, ttl):
        # The registry answered 404 for a release its own project document lists, so it
        # does not serve the endpoint (mirrors, this machine's proxy): asking again for
        # every component doubled the cold requests for nothing (issue 16). An answer
        # already cached is still read.
        cached = fetcher.cached(url, ttl)
        if cached is None:
            return None
        answer = cached
    else:
        answer = await fetcher.get("pypi", url, ttl)
        if answer.status in _UNSERVED:
            fetcher.mark_unserved(endpoint, answer.status)
    if answer.status != 200:
        return None  # not served here (404/403): the release's own metadata stays unknown
    found = decode_json(answer)
    if not isinstance(found, dict):
        return None
    wrong = not_about("pypi", name, found, answer.url)
    described = found.get("info")
    own: Mapping[str, Any] = described if isinstance(described, dict) else {}
    if wrong is None and not same_version("pypi", str(own.get("version", "")), version):
        wrong = f"the answer from {answer.url} is about version {str(own.get('version'))[:40]!r}"
    if wrong is not None:
        fetcher.forget(url)
        raise FetchError(wrong)
    return _accounts(own)


async def _publishers(
    fetcher: Fetcher,
    name: str,
    version: str,
    data: Mapping[str, Any],
    history: Sequence[tuple[Release, list[Mapping[str, Any]]]],
    source: Source,
) -> FactResult:
    order = [r.version for r, _ in history]
    index = next(i for i, v in enumerate(order) if v == version or same_version("pypi", v, version))
    previous = order[index - 1] if index > 0 else None
    try:
        own = await _version_info(fetcher, name, version, data)
        before = await _version_info(fetcher, name, previous, data) if previous else None
    except FetchError as exc:
        return Failed(str(exc))
    window = [
        ReleaseFiles(release.version, _digests(files))
        for release, files in reversed(
            history[max(0, index - fetcher.settings.provenance_releases) : index + 1]
        )
    ]
    identities = await pypi_history(fetcher, name, window)
    if own is None and all(r.provenance == "unknown" for r in identities):
        reason = identities[0].reason if identities else None
        return Missing(
            f"the registry serves no metadata for {name} {version} "
            "(only the latest release is described and the per-version endpoint is not served)"
            + (f", and no provenance: {reason}" if reason else "")
        )
    # The JSON API names no uploader, so ``publishers`` stays empty for PyPI; who
    # published is what the releases' provenance names (``history``).
    return Ok(
        Publishers(
            version=version,
            maintainers=own or (),
            previous_version=previous,
            previous_maintainers=before if own is not None else None,
            history=identities,
        ),
        source,
    )


def _digests(files: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str | None], ...]:
    """(filename, sha256) of a release's files, the sdist first.

    The sdist is the file most often attested when only some are.
    """
    out = []
    for f in files:
        digests = f.get("digests")
        sha = digests.get("sha256") if isinstance(digests, dict) else None
        out.append((f.get("packagetype") != "sdist", str(f.get("filename", "")), sha))
    return tuple((n, str(d).lower() if d else None) for _, n, d in sorted(out))
