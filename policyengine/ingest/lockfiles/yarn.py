"""yarn.lock: classic (v1, yarn's own format) and Berry (v2+, YAML).

No maintained Python library reads yarn's v1 format, so :func:`parse_v1` does:
a block per package (``"a@^1", a@^1.1:`` headers at column 0), indented
``key "value"`` lines, nested blocks for dependency maps. Berry files are YAML
and read with PyYAML's safe loader. Yarn does not record which dependencies are
dev-only, so scope and direct are unknown. Berry's ``checksum`` is the digest of
yarn's own cache archive, not of the registry tarball, so it counts as "pinned
by a digest" for the project facts but is not a component hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from policyengine.ingest.lockfiles._common import (
    Package,
    build_sbom,
    expect_mapping,
    fail,
    load_yaml,
    parse_integrity,
    text_of,
    yaml_key_lines,
)
from policyengine.ingest.lockfiles.origins import is_path_spec, npm_origin, path_origin
from policyengine.ingest.lockfiles.pins import npm_pin
from policyengine.model import Hash, InputError, Origin, Position, Sbom

_SHA1_FRAGMENT = re.compile(r"#([0-9a-f]{40})$")
_ENTRY = re.compile(r'^(?:"((?:[^"\\]|\\.)*)"|(\S+?))\s+(?:"((?:[^"\\]|\\.)*)"|(.*))$')


@dataclass
class V1Block:
    """One package block of a yarn v1 lockfile."""

    descriptors: list[str]
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    dependencies: list[tuple[str, str]] = field(default_factory=list)
    """(name, range) from the ``dependencies`` and ``optionalDependencies`` maps."""


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"')
    return text


def parse_v1(text: str, source: str) -> list[V1Block]:
    """Split a yarn v1 lockfile into package blocks with their top-level fields."""
    blocks: list[V1Block] = []
    current: V1Block | None = None
    nested_indent: int | None = None
    nested_key = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            if not line.endswith(":"):
                raise InputError(
                    f"expected a package header ending in ':', found {line.strip()[:60]!r}",
                    position=Position(source, number),
                    hint="the file does not look like a yarn v1 lockfile; run `yarn install`",
                )
            descriptors = [_unquote(d) for d in _split_descriptors(line[:-1])]
            current = V1Block(descriptors, number)
            blocks.append(current)
            nested_indent = None
            continue
        if current is None:
            raise InputError(
                "an indented line before any package header",
                position=Position(source, number),
                hint="the file does not look like a yarn v1 lockfile; run `yarn install`",
            )
        stripped = line.strip()
        if nested_indent is not None and indent > nested_indent:
            # inside "dependencies:" and similar maps
            match = _ENTRY.match(stripped)
            if match and nested_key in ("dependencies", "optionalDependencies"):
                name = match.group(1) if match.group(1) is not None else match.group(2)
                wanted = match.group(3) if match.group(3) is not None else match.group(4)
                current.dependencies.append((name, (wanted or "").strip()))
            continue
        if stripped.endswith(":"):
            nested_indent = indent
            nested_key = _unquote(stripped[:-1])
            continue
        nested_indent = None
        match = _ENTRY.match(stripped)
        if not match:
            raise InputError(
                f"expected 'key value', found {stripped[:60]!r}",
                position=Position(source, number),
                hint="the file does not look like a yarn v1 lockfile; run `yarn install`",
            )
        key = match.group(1) if match.group(1) is not None else match.group(2)
        value = match.group(3) if match.group(3) is not None else (match.group(4) or "")
        current.fields[key] = value.strip()
    return blocks


def _split_descriptors(header: str) -> list[str]:
    parts = []
    buf = ""
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(buf.strip())
            buf = ""
            continue
        buf += char
    if buf.strip():
        parts.append(buf.strip())
    return parts


def _descriptor_name(descriptor: str) -> str:
    """``a@^1`` -> ``a``; ``@s/a@^1`` -> ``@s/a``; ``alias@npm:real@^1`` -> ``real``."""
    at = descriptor.find("@", 1)
    name, rest = (descriptor[:at], descriptor[at + 1 :]) if at > 0 else (descriptor, "")
    if rest.startswith("npm:"):
        real = rest[4:]
        at = real.find("@", 1)
        if at > 0:
            return real[:at]
        if real and not real[0].isdigit() and npm_pin(real)[0] == "unpinned":
            return real
    return name


def read_v1(data: bytes, source: str, text: str) -> Sbom:
    """Components of a yarn v1 lockfile."""
    blocks = parse_v1(text, source)
    by_descriptor = {
        d: (_descriptor_name(b.descriptors[0]), b.fields.get("version"))
        for b in blocks
        for d in b.descriptors
    }
    packages = []
    for block in blocks:
        name = _descriptor_name(block.descriptors[0])
        version = block.fields.get("version")
        if not version:
            raise fail(source, f"package {name!r} has no version", block.line, kind="yarn.lock")
        hashes: tuple[Hash, ...] = parse_integrity(block.fields.get("integrity", ""))
        resolved = block.fields.get("resolved", "")
        origin = _v1_origin(block.descriptors, resolved)
        fragment = _SHA1_FRAGMENT.search(resolved)
        if not hashes and fragment and origin is None:
            hashes = (Hash("sha1", fragment.group(1)),)
        depends_on = tuple(
            by_descriptor[f"{dep}@{wanted}"]
            for dep, wanted in block.dependencies
            if f"{dep}@{wanted}" in by_descriptor
        )
        packages.append(
            Package(
                "npm",
                name,
                version,
                block.line,
                hashes,
                has_hash=bool(hashes),
                depends_on=depends_on,
                origin=origin,
            )
        )
    return build_sbom("yarn.lock", "1", source, data, packages)


def _v1_origin(descriptors: list[str], resolved: str) -> Origin | None:
    """Where a yarn v1 block came from: its ``resolved`` URL, or a path descriptor without one."""
    if resolved:
        return npm_origin(resolved)
    for descriptor in descriptors:
        at = descriptor.find("@", 1)
        spec = descriptor[at + 1 :] if at > 0 else ""
        if is_path_spec(spec):
            return path_origin(spec)
        if spec and not spec.startswith("npm:"):
            found = npm_origin(spec)
            if found is not None:
                return found
    return None


def read_berry(data: bytes, source: str, text: str) -> Sbom:
    """Components of a yarn Berry (v2+) lockfile; workspaces (the project itself) left out.

    What a workspace depends on is direct; Berry does not say which of it is dev-only.
    """
    doc, node = load_yaml(text, source, "yarn.lock")
    doc = expect_mapping(doc, source, "the document", "yarn.lock")
    lines = yaml_key_lines(node)
    meta = expect_mapping(doc.get("__metadata"), source, "__metadata", "yarn.lock")
    resolved: dict[str, tuple[str, str | None]] = {}
    for key, entry in doc.items():
        if key != "__metadata" and isinstance(entry, dict):
            target = _berry_resolution(str(entry.get("resolution") or str(key).split(",")[0]))
            version = entry.get("version")
            for descriptor in str(key).split(","):
                resolved[descriptor.strip()] = (target[0], str(version) if version else None)
    entries = []
    direct: set[tuple[str, str | None]] = set()
    workspaces = 0
    for key, entry in doc.items():
        if key == "__metadata":
            continue
        line = lines.get(str(key))
        entry = expect_mapping(entry, source, f"entry {key!r}", "yarn.lock", line)
        resolution = str(entry.get("resolution") or str(key).split(",")[0])
        name, protocol = _berry_resolution(resolution)
        depends_on = _berry_depends_on(entry, resolved, source, line)
        if protocol.startswith("workspace:"):
            # A workspace is the project itself, not a dependency of it.
            workspaces += 1
            direct.update(depends_on)
            continue
        version = entry.get("version")
        if version is None:
            raise fail(source, f"entry {key!r} has no version", line, kind="yarn.lock")
        origin = _berry_origin(protocol)
        entries.append((name, str(version), line, bool(entry.get("checksum")), depends_on, origin))
    packages = [
        Package(
            "npm",
            name,
            version,
            line,
            (),
            direct=((name, version) in direct) if workspaces else None,
            has_hash=checksum,
            depends_on=depends_on,
            origin=origin,
        )
        for name, version, line, checksum, depends_on, origin in entries
    ]
    spec = meta.get("version")
    return build_sbom("yarn.lock", str(spec) if spec is not None else None, source, data, packages)


def _berry_depends_on(
    entry: dict[str, Any],
    resolved: dict[str, tuple[str, str | None]],
    source: str,
    line: int | None,
) -> tuple[tuple[str, str | None], ...]:
    wanted = expect_mapping(entry.get("dependencies"), source, "dependencies", "yarn.lock", line)
    found = []
    for dep, spec in wanted.items():
        # Older Berry files write "^1.0.0" where the key says "npm:^1.0.0".
        for descriptor in (f"{dep}@{spec}", f"{dep}@npm:{spec}"):
            if descriptor in resolved:
                found.append(resolved[descriptor])
                break
    return tuple(found)


def _berry_origin(protocol: str) -> Origin | None:
    """The origin of a Berry resolution's reference: ``npm:`` is the registry, the rest is not."""
    if protocol.startswith("npm:"):
        return None
    if protocol.startswith("patch:"):
        # "patch:name@<inner>#<patch file>": a local patch over the inner resolution.
        inner = unquote(protocol[len("patch:") :].split("#", 1)[0])
        _name, inner_protocol = _berry_resolution(inner)
        return _berry_origin(inner_protocol)
    if protocol.startswith(("file:", "link:", "portal:")):
        return path_origin(protocol.split("#", 1)[0].split("::", 1)[0])
    return npm_origin(protocol)


def _berry_resolution(resolution: str) -> tuple[str, str]:
    at = resolution.find("@", 1)
    if at < 0:
        return resolution, ""
    return resolution[:at], resolution[at + 1 :]


def read(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """yarn.lock of any version: Berry when it has ``__metadata``, classic otherwise."""
    del validate
    text = text_of(data, source)
    if is_berry(text):
        return read_berry(data, source, text)
    return read_v1(data, source, text)


def berry_checksummed(data: bytes, source: str) -> set[tuple[str, str]]:
    """(name, version) of the Berry entries that carry a ``checksum`` (for project facts)."""
    text = text_of(data, source)
    if not is_berry(text):
        return set()
    doc, _node = load_yaml(text, source, "yarn.lock")
    found = set()
    for key, entry in expect_mapping(doc, source, "the document", "yarn.lock").items():
        if key == "__metadata" or not isinstance(entry, dict) or not entry.get("checksum"):
            continue
        name, _protocol = _berry_resolution(str(entry.get("resolution") or key))
        found.add((name, str(entry.get("version"))))
    return found


def is_berry(text: str) -> bool:
    """Berry lockfiles are YAML with a ``__metadata`` block."""
    return re.search(r"^__metadata:\s*$", text, re.MULTILINE) is not None
