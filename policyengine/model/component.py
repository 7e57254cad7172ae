"""Components and SBOMs: what every reader produces, whatever the input format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TROVE_LICENSE_REF_PREFIX = "LicenseRef-PyPI-Trove-"
"""How ``Component.licenses`` writes a trove classifier that names no single SPDX license."""

OTHER_IDENTITY_MARK = "#identity-"
"""Joins a component's ref and a number into the ref of another identity the input gives it."""

_NOT_IDSTRING = re.compile(r"[^A-Za-z0-9.]+")


def trove_license_ref(classifier: str) -> str:
    """The ``LicenseRef-`` id standing for a trove licence classifier in a license expression.

    ``License :: OSI Approved :: BSD License`` ->
    ``LicenseRef-PyPI-Trove-OSI-Approved-BSD-License``: a LicenseRef keeps the
    classifier inside an SPDX expression (so ``MIT AND <it>`` still parses) while
    marking it as no SPDX license id; SPDX allows only letters, digits, ``.`` and
    ``-`` after the prefix.
    """
    text = classifier.strip()
    if text.startswith("License ::"):
        text = text[len("License ::") :]
    slug = _NOT_IDSTRING.sub("-", text).strip("-")
    return TROVE_LICENSE_REF_PREFIX + (slug or "License")


@dataclass(frozen=True, slots=True)
class Hash:
    """A digest of a component or one of its artifacts.

    ``alg`` is normalised to lower case without dashes (``sha256``, ``sha512``,
    ``sha1``, ``md5``, ``blake2b_256``, ``sha3_256`` ...); ``value`` is lower-case hex.
    """

    alg: str
    value: str


@dataclass(frozen=True, slots=True)
class Location:
    """Where in the input a component was declared, for messages and audits."""

    file: str
    pointer: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a component was installed from when that is not its ecosystem's registry.

    ``kind`` is ``vcs`` (a repository; ``revision`` is the commit or ref the input
    names, ``None`` when it names none), ``path`` (a local folder, archive or
    workspace: the project's own code) or ``url`` (an archive downloaded from an
    address that is no registry). ``location`` is the repository URL or the path as
    the input wrote it (credentials removed). Registries know nothing about such a
    component: a same-named registry package is another package.
    """

    kind: str
    location: str
    revision: str | None = None

    @property
    def pinned(self) -> bool:
        """True when the input fixes what is installed: a full commit id, or local code."""
        if self.kind == "path":
            return True
        return self.kind == "vcs" and bool(self.revision and _FULL_COMMIT.match(self.revision))


_FULL_COMMIT = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")


@dataclass(frozen=True, slots=True)
class Component:
    """One package of an SBOM or lockfile, normalised per ecosystem.

    ``ecosystem`` is the purl type (``pypi``, ``npm``, ``maven`` ...) or ``None``
    when it could not be determined; then ``unidentified_reason`` says why and
    the component counts as unidentified in the coverage figures. ``name`` is
    normalised per ecosystem: PEP 503 for PyPI, ``@scope/name`` for npm,
    ``group:artifact`` style is left to the purl for others. ``direct`` is
    ``None`` when the input has no dependency graph to tell.
    ``identifiers`` are the input's other unique identifiers besides the purl (CPE names,
    SWID tag ids), which the NTIA minimum elements count as identifiers too.
    ``unmapped_license_classifiers`` are the PyPI trove licence classifiers
    (``License :: ...``) the input gave that name no single SPDX license (PEP 639
    calls e.g. ``BSD License`` ambiguous); ``licenses`` carries each as
    :func:`trove_license_ref` so that the license check keeps it unknown and can
    say which classifier it was.
    """

    ref: str
    name: str
    version: str | None = None
    ecosystem: str | None = None
    purl: str | None = None
    hashes: tuple[Hash, ...] = ()
    licenses: str | None = None
    supplier: str | None = None
    author: str | None = None
    scope: str | None = None
    direct: bool | None = None
    type: str | None = None
    location: Location | None = None
    unidentified_reason: str | None = None
    unmapped_license_classifiers: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    identity_conflict: str | None = None
    """Set when the input names this component in two ways that disagree (the purl
    against the name/version, or two purls): the reader then gives one component per
    identity, each carrying this note, so that every identity is judged."""
    origin: Origin | None = None
    """Set when the component was not installed from its ecosystem's registry (a git
    repository, a local path, a plain URL): then no registry is asked about it."""

    @property
    def identified(self) -> bool:
        """True when the component is known: ecosystem, name and version (or its origin)."""
        return (
            self.unidentified_reason is None
            and bool(self.ecosystem)
            and (bool(self.version) or self.origin is not None)
        )

    @property
    def from_registry(self) -> bool:
        """True when the registry of its ecosystem is where it came from, so it can be asked."""
        return self.origin is None and self.identified

    @property
    def key(self) -> str:
        """The evidence key: ``ecosystem/name@version``, independent of the input document.

        Evidence is keyed by this so that one recorded bundle serves every SBOM
        or lockfile that lists the same package versions. A component with an
        :class:`Origin` gets a key of its own that names it.
        """
        key = f"{self.ecosystem or 'unknown'}/{self.name}@{self.version or ''}"
        if self.origin is not None:
            # Never the key of the same-named registry package: its facts are not these.
            where = self.origin.location + (
                f"#{self.origin.revision}" if self.origin.revision else ""
            )
            key += f" ({self.origin.kind} {where})"
        return key


@dataclass(frozen=True, slots=True)
class SbomMetadata:
    """Document-level facts: when and by what the document was made, and about what."""

    timestamp: str | None = None
    tools: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    subject: str | None = None
    supplier: str | None = None
    lifecycle: str | None = None


@dataclass(frozen=True, slots=True)
class Sbom:
    """A parsed input: an SBOM or lockfile, with its components and dependency graph.

    ``format`` is ``cyclonedx``, ``spdx`` or the lockfile kind (``poetry.lock``,
    ``package-lock.json`` ...). ``digest`` is ``sha256:<hex>`` of the input bytes
    as read (after gzip decompression). ``dependencies`` maps a component ref to
    the refs it depends on; ``roots`` are the refs of what the document describes.
    """

    format: str
    spec_version: str | None
    source: str
    digest: str
    components: tuple[Component, ...]
    metadata: SbomMetadata = field(default_factory=SbomMetadata)
    dependencies: tuple[tuple[str, tuple[str, ...]], ...] = ()
    roots: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unidentified:
    """A component that could not be identified, and why."""

    ref: str
    reason: str


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many components were identified; the rest are listed, never dropped."""

    total: int
    identified: int
    unidentified: tuple[Unidentified, ...]


def coverage_of(components: tuple[Component, ...]) -> Coverage:
    """Count identified components and list the unidentified ones with their reasons."""
    missing = tuple(
        Unidentified(c.ref, c.unidentified_reason or _missing_part(c))
        for c in components
        if not c.identified
    )
    return Coverage(
        total=len(components), identified=len(components) - len(missing), unidentified=missing
    )


def identity_conflicts(components: tuple[Component, ...]) -> tuple[Unidentified, ...]:
    """Each component whose identities disagree, once (its first identity's ref), with the note."""
    notes: dict[str, Unidentified] = {}
    for c in components:
        if c.identity_conflict is not None and c.identity_conflict not in notes:
            notes[c.identity_conflict] = Unidentified(c.ref, c.identity_conflict)
    return tuple(notes.values())


def _missing_part(component: Component) -> str:
    if not component.ecosystem:
        return "no ecosystem: no purl and nothing else names the package type"
    return "no version"
