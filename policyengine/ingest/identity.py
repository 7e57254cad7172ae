"""A component the input names in two ways: when they disagree, both are judged.

An SBOM component carries a purl and its own name/version (CycloneDX ``name``,
``group``, ``version``; SPDX ``name``, ``versionInfo``), and an SPDX package may
carry several purls. When these name different packages, taking the purl alone
would let a document hide a malicious name/version behind a clean purl. So the
reader keeps one component per identity, each with the same
``identity_conflict`` note: every identity is looked up and judged, and the note
is shown by ``inspect`` and reported by the ``sbom-quality`` check.

Spellings that normalise equal are one identity: PEP 503 names and PEP 440 equal
versions for PyPI, semver-equal versions (``v1.2.3``) for npm, percent-encoded npm
scopes (the purl parser decodes ``%40``).
"""

from __future__ import annotations

from dataclasses import replace

import nodesemver
from packaging.version import InvalidVersion, Version

from policyengine.ingest.normalize import identity_from_purl, normalize_name, purl_for
from policyengine.model import OTHER_IDENTITY_MARK, Component


def same_name(ecosystem: str, a: str, b: str) -> bool:
    """Whether two spellings name one package of the ecosystem."""
    a, b = normalize_name(ecosystem, a), normalize_name(ecosystem, b)
    if ecosystem in ("pypi", "npm"):
        # npm still serves a few legacy mixed-case names; the registry matches them exactly
        # but purl tooling lower-cases them, so case alone is no disagreement.
        return a.lower() == b.lower()
    return a == b


def same_version(ecosystem: str, a: str, b: str) -> bool:
    """Whether two version strings name one release (PEP 440 for PyPI, semver for npm)."""
    if a == b:
        return True
    if ecosystem == "pypi":
        try:
            return Version(a) == Version(b)
        except InvalidVersion:
            return False
    if ecosystem == "npm":
        left, right = nodesemver.valid(a, True), nodesemver.valid(b, True)
        return left is not None and right is not None and str(left) == str(right)
    return False


def with_other_identities(
    component: Component,
    declared_name: str | None,
    declared_version: str | None,
    other_purls: tuple[str, ...] = (),
    *,
    npm_alias: bool = False,
) -> tuple[Component, ...]:
    """``component`` (identity from its purl), plus one component per identity that differs.

    ``declared_name``/``declared_version`` are the document's own fields for it (the
    name already joined with a CycloneDX ``group``); ``other_purls`` are further purls
    the document gives for the same component. ``npm_alias`` is true when the document
    shows the name is an npm alias (``"x": "npm:real@1.2.3"``, which ``npm sbom``
    writes as name ``x`` with the purl, bom-ref and tarball of ``real``): the name is
    then a folder, not a package, and only a version disagreement counts.
    """
    ecosystem = component.ecosystem
    if ecosystem is None or component.purl is None or component.unidentified_reason:
        return (component,)
    others: list[tuple[str, str, str | None, str | None]] = []
    # Only where a registry is asked (other ecosystems spell names their own ways:
    # a deb purl's namespace is the distribution, not part of the package name).
    if (
        ecosystem in ("pypi", "npm")
        and declared_name
        and (
            (not npm_alias and not same_name(ecosystem, declared_name, component.name))
            or (
                declared_version
                and component.version
                and not same_version(ecosystem, declared_version, component.version)
            )
        )
    ):
        name = component.name if npm_alias else normalize_name(ecosystem, declared_name)
        version = declared_version or component.version
        others.append(("name/version", name, version, purl_for(ecosystem, name, version)))
    for purl in other_purls:
        ident = identity_from_purl(purl.strip())
        if ident.error or not ident.ecosystem or not ident.name:
            continue
        version = ident.version or component.version
        if ident.ecosystem == ecosystem and same_name(ecosystem, ident.name, component.name):
            if version is None or component.version is None:
                continue
            if same_version(ecosystem, version, component.version):
                continue
        others.append(("purl", ident.name, version, purl.strip()))
    if not others:
        return (component,)
    said = "; ".join(
        f"its {what} say{'s' if what == 'purl' else ''} {other}@{version or '?'}"
        for what, other, version, _purl in others
    )
    note = (
        f"the purl {component.purl} says {component.name}@"
        f"{component.version or '?'} but {said}; every identity is judged"
    )
    found = [replace(component, identity_conflict=note)]
    for index, (what, other, version, other_purl) in enumerate(others, start=1):
        ident_ecosystem = ecosystem
        if what == "purl" and other_purl is not None:
            ident_ecosystem = identity_from_purl(other_purl).ecosystem or ecosystem
        found.append(
            replace(
                component,
                ref=f"{component.ref}{OTHER_IDENTITY_MARK}{index}",
                ecosystem=ident_ecosystem,
                name=other,
                version=version,
                purl=other_purl,
                identity_conflict=note,
            )
        )
    return tuple(found)
