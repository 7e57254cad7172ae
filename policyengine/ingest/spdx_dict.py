"""SPDX 2.x JSON and YAML fast path: decoded dicts -> :class:`RawDocument`, with JSON pointers.

spdx-tools builds a fully typed document (about ten times slower than orjson at
10k packages, and it refuses documents over fields the gate never reads, such
as a missing ``downloadLocation``). This path checks the shape of every field
it reads and reports a wrong one with its JSON pointer; full SPDX validation
is ``validate=True`` (see :mod:`policyengine.ingest.spdx`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policyengine.ingest.spdx_build import RawDocument, RawPackage
from policyengine.model import InputError, Location, Position

RELATIONSHIP_TYPES = frozenset(
    {
        "AMENDS",
        "ANCESTOR_OF",
        "BUILD_DEPENDENCY_OF",
        "BUILD_TOOL_OF",
        "CONTAINED_BY",
        "CONTAINS",
        "COPY_OF",
        "DATA_FILE_OF",
        "DEPENDENCY_MANIFEST_OF",
        "DEPENDENCY_OF",
        "DEPENDS_ON",
        "DESCENDANT_OF",
        "DESCRIBED_BY",
        "DESCRIBES",
        "DEV_DEPENDENCY_OF",
        "DEV_TOOL_OF",
        "DISTRIBUTION_ARTIFACT",
        "DOCUMENTATION_OF",
        "DYNAMIC_LINK",
        "EXAMPLE_OF",
        "EXPANDED_FROM_ARCHIVE",
        "FILE_ADDED",
        "FILE_DELETED",
        "FILE_MODIFIED",
        "GENERATED_FROM",
        "GENERATES",
        "HAS_PREREQUISITE",
        "METAFILE_OF",
        "OPTIONAL_COMPONENT_OF",
        "OPTIONAL_DEPENDENCY_OF",
        "OTHER",
        "PACKAGE_OF",
        "PATCH_APPLIED",
        "PATCH_FOR",
        "PREREQUISITE_FOR",
        "PROVIDED_DEPENDENCY_OF",
        "REQUIREMENT_DESCRIPTION_FOR",
        "RUNTIME_DEPENDENCY_OF",
        "SPECIFICATION_FOR",
        "STATIC_LINK",
        "TEST_CASE_OF",
        "TEST_DEPENDENCY_OF",
        "TEST_OF",
        "TEST_TOOL_OF",
        "VARIANT_OF",
    }
)
"""The relationship types of SPDX 2.3 §11.1; anything else cannot be interpreted."""

_HINT = "fix the document or re-generate it; `--validate` reports every SPDX problem"


class _Reader:
    """Typed access to a decoded document; every failure names its JSON pointer."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, pointer: str, message: str) -> InputError:
        return InputError(message, position=Position(self.source, pointer=pointer), hint=_HINT)

    def obj(self, value: object, pointer: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(pointer, f"expected an object, found {_kind(value)}")
        return value

    def items(self, parent: Mapping[str, Any], key: str, pointer: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{pointer}/{key}", f"expected a list, found {_kind(value)}")
        return value

    def text(self, parent: Mapping[str, Any], key: str, pointer: str) -> str:
        value = parent.get(key)
        if not isinstance(value, str) or not value.strip():
            found = "nothing" if value is None else _kind(value)
            raise self.fail(f"{pointer}/{key}", f"expected a non-empty string, found {found}")
        return value

    def opt_text(self, parent: Mapping[str, Any], key: str, pointer: str) -> str | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(f"{pointer}/{key}", f"expected a string, found {_kind(value)}")
        return value

    def texts(self, parent: Mapping[str, Any], key: str, pointer: str) -> list[str]:
        values = self.items(parent, key, pointer)
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{pointer}/{key}/{i}", f"expected a string, found {_kind(value)}")
        return values


def raw_from_dict(doc: object, source: str) -> RawDocument:
    """Map a decoded SPDX 2.x JSON/YAML document; raise :class:`InputError` on a bad shape."""
    r = _Reader(source)
    top = r.obj(doc, "")
    version = r.text(top, "spdxVersion", "")
    if not version.startswith("SPDX-2."):
        raise r.fail(
            "/spdxVersion",
            f"unsupported SPDX version {version!r}, expected SPDX-2.2 or SPDX-2.3 "
            "(SPDX 3 documents are JSON-LD with an @context)",
        )
    creation = r.obj(top.get("creationInfo", {}), "/creationInfo")
    raw = RawDocument(
        spec_version=version,
        document_id=r.text(top, "SPDXID", ""),
        name=r.opt_text(top, "name", ""),
        created=r.opt_text(creation, "created", "/creationInfo"),
        creators=r.texts(creation, "creators", "/creationInfo"),
        describes=r.texts(top, "documentDescribes", ""),
    )
    seen: set[str] = set()
    for i, item in enumerate(r.items(top, "packages", "")):
        pkg = _package(r, item, f"/packages/{i}")
        if pkg.spdx_id in seen:
            raise r.fail(
                f"/packages/{i}/SPDXID", f"duplicate SPDXID {pkg.spdx_id!r}: each must be unique"
            )
        seen.add(pkg.spdx_id)
        raw.packages.append(pkg)
    for i, item in enumerate(r.items(top, "relationships", "")):
        raw.relationships.append(_relationship(r, item, f"/relationships/{i}"))
    return raw


def _package(r: _Reader, item: object, pointer: str) -> RawPackage:
    obj = r.obj(item, pointer)
    pkg = RawPackage(
        spdx_id=r.text(obj, "SPDXID", pointer),
        name=r.text(obj, "name", pointer),
        version=r.opt_text(obj, "versionInfo", pointer),
        license_declared=r.opt_text(obj, "licenseDeclared", pointer),
        license_concluded=r.opt_text(obj, "licenseConcluded", pointer),
        supplier=r.opt_text(obj, "supplier", pointer),
        originator=r.opt_text(obj, "originator", pointer),
        purpose=r.opt_text(obj, "primaryPackagePurpose", pointer),
        location=Location(r.source, pointer=pointer),
    )
    for j, ref in enumerate(r.items(obj, "externalRefs", pointer)):
        ref_pointer = f"{pointer}/externalRefs/{j}"
        ref_obj = r.obj(ref, ref_pointer)
        ref_type = r.text(ref_obj, "referenceType", ref_pointer)
        locator = r.text(ref_obj, "referenceLocator", ref_pointer)
        # Some generators file the purl under SECURITY: the type, not the category, decides.
        if ref_type.strip().rsplit("/", 1)[-1] == "purl":
            pkg.purls.append(locator)
        else:
            pkg.other_refs.append((ref_type, locator))
    for j, checksum in enumerate(r.items(obj, "checksums", pointer)):
        cs_pointer = f"{pointer}/checksums/{j}"
        cs_obj = r.obj(checksum, cs_pointer)
        pkg.checksums.append(
            (r.text(cs_obj, "algorithm", cs_pointer), r.text(cs_obj, "checksumValue", cs_pointer))
        )
    return pkg


def _relationship(r: _Reader, item: object, pointer: str) -> tuple[str, str, str]:
    obj = r.obj(item, pointer)
    kind = r.text(obj, "relationshipType", pointer)
    if kind not in RELATIONSHIP_TYPES:
        raise r.fail(
            f"{pointer}/relationshipType",
            f"unknown relationship type {kind!r}, expected one of SPDX 2.3 §11.1 "
            "(DESCRIBES, DEPENDS_ON, DEPENDENCY_OF, CONTAINS ...)",
        )
    return (
        r.text(obj, "spdxElementId", pointer),
        kind,
        r.text(obj, "relatedSpdxElement", pointer),
    )


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string" if value.strip() else "an empty string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
