"""``releases affected``: the releases holding a package version, from the index alone.

A purl (with or without a version, optionally narrowed by ``--versions``) or an advisory
id from the offline database names package versions; the component index gives the
releases that hold them, with when each release was first judged and what the gate said
then and says now. No stored SBOM is read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import nodesemver
from packageurl import PackageURL
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from policyengine.enrich.advisory import record_affects
from policyengine.enrich.versions import normalise_name, purl_type
from policyengine.model import UsageError
from policyengine.store import Holder, HolderTotal, Store
from policyengine.watch.advisory_store import AdvisorySource


def document(hit: Holder) -> dict[str, Any]:
    """The JSON form of one release holding an asked-about component."""
    return {
        "release": hit.release,
        "version": hit.version,
        "released_at": _stamp(hit.released_at),
        "component": {
            "name": hit.component,
            "version": hit.component_version,
            "purl": hit.purl,
        },
        "first_verdict": {"outcome": hit.first_outcome, "judged_at": _stamp(hit.first_judged_at)},
        "latest_verdict": {"outcome": hit.outcome, "judged_at": _stamp(hit.judged_at)},
    }


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def version_filter(ecosystem: str, spec: str | None) -> Callable[[str], bool]:
    """A test for ``--versions``: PEP 440 specifiers on PyPI, node-semver ranges on npm."""
    if spec is None:
        return lambda _version: True
    if ecosystem == "pypi":
        try:
            specifiers = SpecifierSet(spec)
        except InvalidSpecifier:
            raise UsageError(
                f"--versions {spec!r} is not a PEP 440 specifier", hint="e.g. '>=1.82.7,<1.83'"
            ) from None

        def pypi(version: str) -> bool:
            try:
                return specifiers.contains(Version(version), prereleases=True)
            except InvalidVersion:
                return False

        return pypi
    if ecosystem == "npm":
        if nodesemver.valid_range(spec, loose=True) is None:
            raise UsageError(f"--versions {spec!r} is not a semver range", hint="e.g. '^4.17.0'")

        def npm(version: str) -> bool:
            try:
                return bool(nodesemver.satisfies(version, spec, loose=True))
            except ValueError:
                return False

        return npm
    raise UsageError(
        f"--versions needs the {ecosystem} version order, not known yet",
        hint="name exact versions in the purl instead",
    )


def purl_versions(store: Store, purl: str, spec: str | None) -> dict[int, str]:
    """Component id -> version of every indexed version the purl (and range) names."""
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError as exc:
        raise UsageError(
            f"{purl!r} is not a package URL: {exc}", hint="e.g. pkg:pypi/litellm@1.82.8"
        ) from None
    ecosystem = parsed.type
    name = f"{parsed.namespace}/{parsed.name}" if parsed.namespace else parsed.name
    name = normalise_name(ecosystem, name)
    if parsed.version and spec:
        raise UsageError("give a purl without a version when --versions names a range")
    wanted = version_filter(ecosystem, spec)
    return {
        cid: version
        for cid, version, _purl in store.versions_of(ecosystem, name)
        if (version == parsed.version if parsed.version else wanted(version))
    }


def advisory_versions(
    store: Store, db: AdvisorySource, ident: str, spec: str | None
) -> tuple[str, dict[int, str]]:
    """(the record's id, component id -> version) of indexed versions it affects."""
    record = db.record(ident)
    if record is None:
        raise UsageError(
            f"advisory {ident} is not in the offline advisory database ({db.path})",
            hint="import it first: policyengine db import PATH",
        )
    found: dict[int, str] = {}
    for entry in record.get("affected") or ():
        package = entry.get("package") or {} if isinstance(entry, dict) else {}
        eco = purl_type(str(package.get("ecosystem", "")))
        if not eco or not package.get("name"):
            continue
        name = normalise_name(eco, str(package["name"]))
        wanted = version_filter(eco, spec)
        for cid, version, _purl in store.versions_of(eco, name):
            if record_affects(record, eco, name, version) and wanted(version):
                found[cid] = version
    return str(record["id"]), found


def hits(store: Store, component_ids: dict[int, str]) -> list[Holder]:
    """Every release holding these components, oldest release first."""
    return store.holders(component_ids)


def first_seen_in(found: list[Holder]) -> dict[str, str]:
    """Per package version, when it first appeared among these holders (oldest first).

    The service and the page answer a token limited to a release-name prefix from the
    holders it may see, so first appearances must come from those, not the whole store.
    """
    seen: dict[str, str] = {}
    for hit in sorted(found, key=lambda h: h.released_at):
        seen.setdefault(f"{hit.component}@{hit.component_version}", _stamp(hit.released_at))
    return seen


def first_seen(totals: list[HolderTotal]) -> dict[str, str]:
    """Per package version, when it first appeared in a stored release (oldest first)."""
    ordered = sorted(totals, key=lambda t: (t.first_seen, t.component, t.component_version))
    return {f"{t.component}@{t.component_version}": _stamp(t.first_seen) for t in ordered}
