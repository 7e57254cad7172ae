"""Bytes -> Sbom: read any supported SBOM or lockfile into the common model.

``read_input`` is the one entry point: it reads the file (gzip transparently,
under a size cap), refuses non-UTF-8 encodings, sniffs the format from the
content and hands the bytes to the reader of that format.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from policyengine.ingest.detect import check_encoding, sniff
from policyengine.model import InputError, Position, Sbom
from policyengine.safeio import display_name, gunzip_capped, read_capped

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
"""Default cap on an input's size, compressed and decompressed (512 MiB)."""

Reader = Callable[..., Sbom]

_READERS: dict[str, str] = {
    "cyclonedx-json": "policyengine.ingest.cyclonedx:read_json",
    "cyclonedx-xml": "policyengine.ingest.cyclonedx:read_xml",
    "spdx-json": "policyengine.ingest.spdx:read_spdx2",
    "spdx-yaml": "policyengine.ingest.spdx:read_spdx2",
    "spdx-tagvalue": "policyengine.ingest.spdx:read_spdx2",
    "spdx-rdf": "policyengine.ingest.spdx:read_spdx2",
    "spdx-xml": "policyengine.ingest.spdx:read_spdx2",
    "spdx3-jsonld": "policyengine.ingest.spdx3:read_spdx3",
}


def read_input(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, validate: bool = False
) -> Sbom:
    """Read an SBOM or lockfile from ``path`` into an :class:`Sbom`.

    Raises :class:`InputError` (exit code 3) with the file and position for any
    unreadable, oversized, unknown or invalid input. ``validate`` turns on full
    JSON Schema validation where the reader supports it.
    """
    source = display_name(path)
    data = read_bytes(Path(path), max_bytes=max_bytes)
    return parse_bytes(data, source, validate=validate)


def read_bytes(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a file's bytes, gunzipping transparently, refusing anything over ``max_bytes``."""
    source = str(path)
    try:
        data = read_capped(path, max_bytes=max_bytes, regular_only=False)
    except FileNotFoundError:
        raise InputError("no such file", position=Position(source), hint="check the path") from None
    except IsADirectoryError:
        raise InputError(
            "is a directory, expected an SBOM or lockfile", position=Position(source)
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read the file: {exc.strerror}", position=Position(source)
        ) from None
    if data[:2] == b"\x1f\x8b":
        data = gunzip_capped(data, source, max_bytes)
    return data


def parse_bytes(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """Detect the format of ``data`` and parse it; ``source`` names it in messages."""
    check_encoding(data, source)
    kind = sniff(data, source)
    if kind is None:
        kind = _lockfile_kind(data, source)
    if kind is None:
        raise InputError(
            "not a recognised SBOM or lockfile (expected CycloneDX JSON/XML, SPDX 2.x "
            "JSON/YAML/tag-value/RDF/XML, SPDX 3 JSON-LD, or a supported lockfile)",
            position=Position(source),
            hint="run `policyengine inspect --help` for the supported formats",
        )
    reader = _reader(kind)
    return reader(data, source, validate=validate)


def _lockfile_kind(data: bytes, source: str) -> str | None:
    try:
        lockfiles = importlib.import_module("policyengine.ingest.lockfiles")
    except ImportError:  # pragma: no cover - the package always ships
        return None
    detect: Callable[[bytes, str], str | None] | None = getattr(lockfiles, "detect", None)
    return detect(data, source) if detect else None


def _reader(kind: str) -> Reader:
    target = _READERS.get(kind)
    if target is None:
        lockfiles = importlib.import_module("policyengine.ingest.lockfiles")
        reader: Reader = lockfiles.reader_for(kind)
        return reader
    module_name, _, func = target.partition(":")
    module = importlib.import_module(module_name)
    found: Reader = getattr(module, func)
    return found
