"""Evidence: what registries, advisory databases and artifacts say about components.

Per component (keyed by ``Component.key``) and per fact kind, a tagged result:
``Ok`` with a value and its source, ``Missing`` with a reason, or ``Failed`` with
the error. Checks read these; a check that finds ``Missing`` or ``Failed`` where
it needs a fact answers ``unknown``, never ``pass``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, Literal, TypeVar

from policyengine.model.component import Hash


class FactKind(StrEnum):
    """The kinds of fact that enrichment collects and checks declare they need."""

    PACKAGE = "package"
    """Registry package metadata: repository, homepage, author, maintainers, status."""
    RELEASES = "releases"
    """Release history: every version with its upload time, yanked and deprecated flags."""
    ARTIFACTS = "artifacts"
    """The distribution files of the component's version with their registry digests."""
    PUBLISHERS = "publishers"
    """Who published this version and the version before it (uploader, attestations)."""
    ADVISORIES = "advisories"
    """Advisories (OSV, GitHub, PyPA, malicious-package reports) affecting the version."""
    CONTENTS = "contents"
    """What the version's artifacts contain: startup code, install hooks, binaries."""
    PROJECT = "project"
    """Document-level: manifests and lockfiles of the project and how deps are declared."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact came from: a named source, the URL asked, when, and the body digest."""

    name: str
    url: str | None = None
    fetched_at: datetime | None = None
    digest: str | None = None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Ok(Generic[T]):
    """A fact that was obtained."""

    value: T
    source: Source
    status: str = "ok"


SWITCHED_OFF = " (off)"
"""Ends the reason of a fact whose source a setting turned off (``--advisories off``)."""


@dataclass(frozen=True, slots=True)
class Missing:
    """A fact that does not exist or was not collected (e.g. offline, not applicable)."""

    reason: str
    status: str = "missing"

    @classmethod
    def off(cls, what: str) -> Missing:
        """The fact of a source that a setting turned off: chosen, not failed."""
        return cls(f"{what} were not collected{SWITCHED_OFF}")

    @property
    def switched_off(self) -> bool:
        """Whether a setting turned the source off (its weight can be left out of a score)."""
        return self.reason.endswith(SWITCHED_OFF)


@dataclass(frozen=True, slots=True)
class Failed:
    """A fact that could not be obtained because something went wrong (timeout, 500 ...)."""

    error: str
    status: str = "failed"


FactResult = Ok[object] | Missing | Failed


@dataclass(frozen=True, slots=True)
class Person:
    """A person or account named by a registry (author, maintainer, uploader)."""

    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class PackageMetadata:
    """Package-level registry facts (``FactKind.PACKAGE``).

    ``status`` follows PEP 792 project status markers (``active``, ``archived``,
    ``quarantined``, ``deprecated``) and npm deprecation; ``None`` when the
    registry does not say.
    """

    ecosystem: str
    name: str
    repository: str | None = None
    homepage: str | None = None
    author: Person | None = None
    maintainers: tuple[Person, ...] = ()
    status: str | None = None
    status_reason: str | None = None
    organization: str | None = None
    roles: tuple[tuple[str, str], ...] = ()
    """(account, role) pairs from PyPI's ``ownership`` where present."""
    described_version: str | None = None
    """The release whose own metadata gave ``repository``, ``homepage``, ``author`` and
    ``maintainers``: on npm the component's version (its manifest in the packument); on
    PyPI the release the JSON API's ``info`` describes (the latest) unless the per-version
    document was served. ``None`` when not recorded (bundles written before it existed)."""
    unknown_fields: tuple[str, ...] = ()
    """Which of ``repository``, ``homepage``, ``author`` and ``maintainers`` the registry did
    not answer for the component's version: a field it always sends that the answer lacks
    (a mirror stripped it), or an empty field of another release than the component's.
    Missing evidence, not an empty value; empty in bundles written before it existed."""
    development_status: str | None = None
    """The trove ``Development Status`` classifier the project's latest release declares
    (PyPI), without its prefix, e.g. ``7 - Inactive``; ``None`` when it declares none."""


@dataclass(frozen=True, slots=True)
class Release:
    """One version in a package's history."""

    version: str
    published_at: datetime | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    deprecated: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseHistory:
    """All versions the registry lists (``FactKind.RELEASES``), oldest first.

    ``listed`` says whether the component's own version is among them: a version
    in the SBOM that the registry no longer lists was removed.
    """

    version: str
    listed: bool
    releases: tuple[Release, ...] = ()

    @property
    def current(self) -> Release | None:
        """The component's own release, when the registry lists it."""
        for release in self.releases:
            if release.version == self.version:
                return release
        return None


@dataclass(frozen=True, slots=True)
class Artifact:
    """A distribution file of a version (wheel, sdist, npm tarball)."""

    filename: str
    url: str | None = None
    size: int | None = None
    hashes: tuple[Hash, ...] = ()
    kind: str | None = None
    uploaded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Artifacts:
    """The files of the component's version with their registry digests (``ARTIFACTS``)."""

    version: str
    files: tuple[Artifact, ...] = ()
    lifecycle_scripts: tuple[tuple[str, str], ...] = ()
    """npm ``scripts`` entries that run at install time: (name, command)."""


ProvenanceStatus = Literal["present", "absent", "partial", "unknown"]
"""Whether a release's files carry provenance: every file, none (the registry says so
positively), some of them, or not known (the registry or mirror did not say)."""


@dataclass(frozen=True, slots=True)
class PublisherIdentity:
    """One publishing identity of a release: a Trusted Publisher or an account.

    ``identity`` is the spelling policies use: ``github:OWNER/REPO/WORKFLOW``,
    ``gitlab:NAMESPACE/PROJECT/WORKFLOW_FILEPATH``, ``google:EMAIL``; another kind
    (ActiveState) is its lower-cased kind and the publisher's other string fields in key
    order, joined by ``/``. ``verified`` is true only
    when every attestation behind it was verified (signature, transparency log, the
    certificate's identity and the file digest); ``verification`` says how, or why the
    identity was only read.
    """

    identity: str
    kind: str
    repository: str | None = None
    workflow: str | None = None
    environment: str | None = None
    verified: bool = False
    verification: str = "read, not verified"
    source: str | None = None
    """The URL the identity was read from."""


@dataclass(frozen=True, slots=True)
class ReleaseIdentity:
    """How one release was published, as far as the registry says (provenance, uploader).

    ``provenance`` follows :data:`ProvenanceStatus`; ``identities`` are the Trusted
    Publishers its provenance names; ``accounts`` the uploading accounts (npm
    ``_npmUser``), ``None`` when the registry does not say; ``reason`` why something is
    unknown (a mirror that does not serve it, a 404).
    """

    version: str
    provenance: ProvenanceStatus = "unknown"
    identities: tuple[PublisherIdentity, ...] = ()
    accounts: tuple[str, ...] | None = None
    reason: str | None = None
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True, slots=True)
class Publishers:
    """Who published the version and the release before it (``FactKind.PUBLISHERS``).

    ``publishers`` are account names or attestation identities (e.g. a trusted
    publisher's repository and workflow); ``previous_*`` describe the release
    just before this one in upload order, ``None`` when there is none.
    """

    version: str
    publishers: tuple[str, ...] = ()
    maintainers: tuple[str, ...] = ()
    attestations: tuple[str, ...] = ()
    previous_version: str | None = None
    previous_publishers: tuple[str, ...] | None = None
    previous_maintainers: tuple[str, ...] | None = None
    previous_attestations: tuple[str, ...] | None = None
    history: tuple[ReleaseIdentity, ...] = ()
    """The component's version first, then the releases before it in upload order (newest
    first, a bounded number): provenance and uploaders per release. Empty when not
    collected (bundles written before it existed)."""


@dataclass(frozen=True, slots=True)
class Advisory:
    """One advisory affecting the version, aliases merged.

    ``severity`` is ``critical``/``high``/``medium``/``low``/``unknown``; ``score``
    the CVSS base score where a vector was given. ``malicious`` is true for MAL-
    records and CWE-506. ``fixed`` lists versions that fix it, lowest first.
    ``imported_from`` names the offline-database import the record came from (its file or
    folder, time and digest); ``None`` for an answer of the OSV API.
    """

    id: str
    aliases: tuple[str, ...] = ()
    summary: str | None = None
    severity: str = "unknown"
    score: float | None = None
    vector: str | None = None
    malicious: bool = False
    withdrawn: datetime | None = None
    published: datetime | None = None
    modified: datetime | None = None
    fixed: tuple[str, ...] = ()
    url: str | None = None
    cwes: tuple[str, ...] = ()
    imported_from: str | None = None


@dataclass(frozen=True, slots=True)
class Advisories:
    """The advisories affecting a version (``FactKind.ADVISORIES``)."""

    version: str
    advisories: tuple[Advisory, ...] = ()


@dataclass(frozen=True, slots=True)
class ComponentEvidence:
    """Every fact collected for one component key."""

    key: str
    facts: Mapping[FactKind, FactResult] = field(default_factory=dict)

    def get(self, kind: FactKind) -> FactResult:
        """The fact of that kind, or ``Missing`` when it was never collected."""
        fact = self.facts.get(kind)
        # Built only when absent: get() runs per rule and component (benchmarks/README.md).
        return fact if fact is not None else Missing(f"{kind.value} facts were not collected")


@dataclass(frozen=True, slots=True)
class Evidence:
    """All facts for an evaluation: per component key, plus document-level project facts.

    ``digest`` identifies a recorded bundle (``sha256:<hex>``) so that a verdict
    can name the exact evidence it was judged on.
    """

    components: Mapping[str, ComponentEvidence] = field(default_factory=dict)
    project: FactResult | None = None
    created_at: datetime | None = None
    digest: str | None = None

    def for_key(self, key: str) -> ComponentEvidence:
        """The evidence for a component key (empty, so every fact missing, if none)."""
        return self.components.get(key) or ComponentEvidence(key)
