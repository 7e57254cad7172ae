"""npm publisher identities per release: ``_npmUser`` and provenance (``dist.attestations``).

For the component's version and a bounded number of releases before it
(``provenance_releases``):

- the uploading account is the version's ``_npmUser``; without it (a mirror strips it)
  the account is unknown, never "nobody";
- provenance is ``present`` when the version's ``dist.attestations`` names it; ``absent``
  only when the version has none *and* another version in the same answer carries
  ``dist.attestations`` (so the answer is not one whose mirror strips the field);
  otherwise ``unknown``;
- the Trusted Publisher of a version with provenance is read from the registry's
  attestations endpoint (``/-/npm/v1/attestations/<name>@<version>`` under the configured
  npm base URL): the SLSA provenance statement names the repository and the workflow.
  These identities are read, not verified: npm's Sigstore bundles are not checked here
  (pypi-attestations verifies PyPI's format only).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from policyengine.enrich.http import Fetcher, FetchError, NotCached
from policyengine.model import ProvenanceStatus, PublisherIdentity, ReleaseIdentity, Source

NOT_VERIFIED = "read, not verified: npm provenance bundles are not verified offline here"
SLSA_PREFIX = "https://slsa.dev/provenance/"


def attestations_path(name: str, version: str) -> str:
    """The attestations endpoint path: ``/-/npm/v1/attestations/@scope%2fname@1.0.0``."""
    if name.startswith("@") and "/" in name:
        scope, _, rest = name.partition("/")
        spelled = f"{quote(scope, safe='@')}%2f{quote(rest, safe='')}"
    else:
        spelled = quote(name, safe="")
    return f"/-/npm/v1/attestations/{spelled}@{quote(version, safe='')}"


def account_of(manifest: Mapping[str, Any]) -> str | None:
    """The ``_npmUser`` name (or e-mail) of a version manifest, or ``None``."""
    user = manifest.get("_npmUser")
    if isinstance(user, dict):
        value = user.get("name") or user.get("email")
        return str(value) if value else None
    if isinstance(user, str) and user.strip():
        return user.split("<", 1)[0].strip() or None
    return None


def _has_attestations(manifest: Mapping[str, Any]) -> bool:
    dist = manifest.get("dist")
    return isinstance(dist, dict) and isinstance(dist.get("attestations"), dict)


async def npm_history(
    fetcher: Fetcher,
    name: str,
    known: Mapping[str, Any],
    window: Sequence[str],
    served_from: str,
) -> tuple[ReleaseIdentity, ...]:
    """Uploader and provenance of each version of ``window`` (the component's first)."""
    base = fetcher.settings.npm_url.rstrip("/")
    anywhere = any(_has_attestations(m) for m in known.values() if isinstance(m, dict))
    out = []
    for version in window:
        manifest = known.get(version)
        if not isinstance(manifest, dict):
            continue
        account = account_of(manifest)
        notes = []
        if account is None:
            notes.append(
                f"the registry at {base} does not name who published {version} (no "
                "_npmUser): a mirror that strips _npmUser leaves the uploader unknown"
            )
        status: ProvenanceStatus
        identities: tuple[PublisherIdentity, ...] = ()
        sources: tuple[Source, ...] = ()
        if _has_attestations(manifest):
            status = "present"
            identities, sources, why = await _identities(fetcher, name, version)
            if why:
                notes.append(why)
        elif anywhere:
            status = "absent"
            notes.append(f"{version} has no dist.attestations while other versions have them")
        else:
            status = "unknown"
            notes.append(
                f"no version in the answer from {served_from} carries dist.attestations: "
                f"published without provenance, or the registry at {base} (a mirror) "
                "strips the field"
            )
        out.append(
            ReleaseIdentity(
                version=version,
                provenance=status,
                identities=identities,
                accounts=(account,) if account else None,
                reason="; ".join(notes) or None,
                sources=sources,
            )
        )
    return tuple(out)


async def _identities(
    fetcher: Fetcher, name: str, version: str
) -> tuple[tuple[PublisherIdentity, ...], tuple[Source, ...], str | None]:
    url = fetcher.settings.npm_url.rstrip("/") + attestations_path(name, version)
    try:
        answer = await fetcher.get("npm", url, fetcher.settings.ttl.npm)
    except (NotCached, FetchError) as exc:
        return (), (), f"the attestations of {version} could not be read: {exc}"
    if answer.status != 200:
        return (), (), f"the attestations endpoint answered HTTP {answer.status} ({url})"
    source = Source("npm", answer.url, answer.fetched_at, answer.digest)
    try:
        data = orjson.loads(answer.body)
        found = [
            identity
            for item in data["attestations"]
            if str(item.get("predicateType", "")).startswith(SLSA_PREFIX)
            for identity in [_slsa_identity(item, answer.url)]
            if identity is not None
        ]
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        fetcher.forget(url)
        return (), (source,), f"unusable attestations from {answer.url}: {exc}"
    if not found:
        return (), (source,), f"no SLSA provenance statement names a workflow ({answer.url})"
    return tuple(sorted(set(found), key=lambda i: i.identity)), (source,), None


def _slsa_identity(item: Mapping[str, Any], url: str) -> PublisherIdentity | None:
    """The repository and workflow a SLSA provenance statement (v1 or v0.2) names."""
    envelope = item["bundle"]["dsseEnvelope"]
    try:
        statement = orjson.loads(base64.b64decode(envelope["payload"], validate=True))
    except (binascii.Error, orjson.JSONDecodeError) as exc:
        raise ValueError(f"the DSSE payload is not base64 JSON ({exc})") from None
    predicate = statement.get("predicate") or {}
    workflow = ((predicate.get("buildDefinition") or {}).get("externalParameters") or {}).get(
        "workflow"
    )
    if isinstance(workflow, dict):
        repository, path = str(workflow.get("repository", "")), str(workflow.get("path", ""))
    else:  # SLSA v0.2: invocation.configSource
        config = (predicate.get("invocation") or {}).get("configSource") or {}
        repository = str(config.get("uri", "")).removeprefix("git+").split("@", 1)[0]
        path = str(config.get("entryPoint", ""))
    parts = urlsplit(repository)
    host = (parts.hostname or "").lower()
    project = parts.path.strip("/").removesuffix(".git")
    if not project or not path:
        return None
    if host == "github.com":
        workflow_name = path.rsplit("/", 1)[-1]
        return PublisherIdentity(
            identity=f"github:{project}/{workflow_name}",
            kind="GitHub",
            repository=project,
            workflow=workflow_name,
            verification=NOT_VERIFIED,
            source=url,
        )
    kind = "GitLab" if host == "gitlab.com" else host
    prefix = "gitlab" if host == "gitlab.com" else host
    return PublisherIdentity(
        identity=f"{prefix}:{project}/{path}",
        kind=kind,
        repository=project,
        workflow=path,
        verification=NOT_VERIFIED,
        source=url,
    )
