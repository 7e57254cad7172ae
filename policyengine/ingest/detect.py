"""Format sniffing from content, never from the file name alone.

Lockfile formats with no content signature (requirements.txt, package.json)
use the file name as a hint; every SBOM format is recognised by its content.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from policyengine.model import InputError, Position

_SPDX_TV = re.compile(rb"^\s*SPDXVersion\s*:", re.MULTILINE)
_SPDX_XML = re.compile(rb"<Document[\s>].*?<spdxVersion>\s*SPDX-", re.DOTALL)
_SPDX_YAML = re.compile(rb"^\s*['\"]?spdxVersion['\"]?\s*:", re.MULTILINE)

KINDS = (
    "cyclonedx-json",
    "cyclonedx-xml",
    "spdx-json",
    "spdx-yaml",
    "spdx-tagvalue",
    "spdx-rdf",
    "spdx-xml",
    "spdx3-jsonld",
)
"""SBOM kinds this module recognises; lockfile kinds come from ``ingest.lockfiles``."""


def check_encoding(data: bytes, source: str) -> None:
    """Refuse encodings other than UTF-8 with a clear message (UTF-16/32 byte-order marks)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(data) > 3 and (data[0] == 0 or data[1] == 0)
    ):
        raise InputError(
            "the file is UTF-16 or UTF-32 encoded; expected UTF-8",
            position=Position(source),
            hint="convert it, e.g. `iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8`",
        )


def sniff(data: bytes, source: str) -> str | None:
    """Return the SBOM kind of ``data``, or ``None`` when it is not a known SBOM format."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        if _looks_like_cyclonedx_json(data):
            return "cyclonedx-json"
        if b'"spdxVersion"' in data:
            return "spdx-json"
        if b'"@context"' in data and b"spdx.org/rdf/3" in data:
            return "spdx3-jsonld"
        return None
    if head == b"<":
        start = data[:4096]
        if b"cyclonedx.org/schema/bom" in start:
            return "cyclonedx-xml"
        if b"spdx.org/rdf/terms" in start or b"spdx.org/rdf/terms" in data[:65536]:
            return "spdx-rdf"
        if _SPDX_XML.search(data[:65536]):
            return "spdx-xml"
        return None
    if _SPDX_TV.search(data[:65536]):
        return "spdx-tagvalue"
    if _SPDX_YAML.search(data[:65536]):
        return "spdx-yaml"
    return None


def _looks_like_cyclonedx_json(data: bytes) -> bool:
    # A wrong bomFormat value still goes to the CycloneDX reader, which says what is
    # wrong; so does a truncated file that lost its bomFormat (cyclonedx-py writes
    # it last) but still shows CycloneDX-only keys, so the user hears about the JSON
    # syntax error rather than "unknown format".
    if b'"spdxVersion"' in data and b"CycloneDX" not in data:
        return False
    return b'"bomFormat"' in data or b'"bom-ref"' in data or b"cyclonedx.org/schema/bom" in data


def name_hint(source: str) -> str:
    """The base name of a source path, lower-cased, for lockfile kinds without a signature."""
    return PurePath(source).name.lower()
