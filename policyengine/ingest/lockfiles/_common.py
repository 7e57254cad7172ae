"""Shared pieces of the lockfile readers: components, hashes, line numbers, parse errors.

Scope convention (the same for every lockfile and manifest, as CycloneDX uses it):
``required`` for runtime dependencies, ``optional`` for optional ones (npm
``optionalDependencies``, Poetry/PDM extras), ``excluded`` for development-only
ones (npm ``devDependencies``, Poetry's ``dev`` group, Pipfile ``develop``,
PDM/uv dev groups). ``None`` when the file does not say (yarn, pylock.toml,
requirements.txt).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import orjson
import yaml

from policyengine.ingest.lockfiles.origins import origin_purl
from policyengine.ingest.normalize import (
    normalize_hash_alg,
    normalize_hash_value,
    normalize_name,
    purl_for,
    valid_name,
)
from policyengine.model import (
    Component,
    DeclaredDependency,
    Hash,
    InputError,
    Location,
    Origin,
    Position,
    Sbom,
)

REQUIRED = "required"
OPTIONAL = "optional"
EXCLUDED = "excluded"

_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_LONG_NUMBER = re.compile(r"\d{4301,}")
"""More digits than Python converts to an int (``sys.get_int_max_str_digits``)."""
_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone UTF-16 surrogate: JSON and YAML escapes can spell one, UTF-8 cannot carry it."""


@dataclass(frozen=True, slots=True)
class Package:
    """One package as a reader found it, before it becomes a :class:`Component`.

    ``has_hash`` is true when the lockfile pins the artifact by a digest, even one
    that cannot be used as a component hash (yarn Berry's cache checksum).
    """

    ecosystem: str
    name: str
    version: str | None
    line: int | None = None
    hashes: tuple[Hash, ...] = ()
    scope: str | None = None
    direct: bool | None = None
    has_hash: bool = False
    unidentified_reason: str | None = None
    depends_on: tuple[tuple[str, str | None], ...] = ()
    """(name, version) of what this package depends on; version ``None`` when the
    lockfile names only the package (resolved when one version of it is locked)."""
    file: str | None = None
    """The file that declares it, when not the input itself (nested requirement files)."""
    origin: Origin | None = None
    """Where it came from when not the registry (git, a path): never a registry package."""


def text_of(data: bytes, source: str) -> str:
    """Decode UTF-8 (a byte-order mark is dropped) or raise an InputError naming the file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            "the file is not valid UTF-8", position=Position(source, line), hint="save it as UTF-8"
        ) from None


def load_json(text: str, source: str, kind: str) -> Any:
    r"""Parse JSON, turning a syntax error into an InputError with the line.

    orjson refuses what no writer could output again: a lone surrogate escape
    (``"\ud800"``), NaN, and nesting deeper than 1,024 levels.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if exc.msg == "depth limit exceeded":
            raise InputError(
                f"{kind} nests too deeply to read", position=Position(source)
            ) from None
        raise InputError(
            f"invalid JSON in {kind}: {exc.msg}",
            position=Position(source, exc.lineno, exc.colno),
            hint=f"regenerate the {kind} with its package manager",
        ) from None


def load_toml(text: str, source: str, kind: str) -> dict[str, Any]:
    """Parse TOML with tomllib, turning a syntax error into an InputError with the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POS.search(str(exc))
        line = int(match.group(1)) if match else None
        column = int(match.group(2)) if match else None
        message = _TOML_POS.sub("", str(exc)).strip()
        raise InputError(
            f"invalid TOML in {kind}: {message}",
            position=Position(source, line, column),
            hint=f"regenerate the {kind} with its tool",
        ) from None
    except ValueError:  # an integer of more digits than Python converts
        raise _too_long_number(text, source, kind) from None
    except RecursionError:
        raise InputError(f"{kind} nests too deeply to read", position=Position(source)) from None


def _too_long_number(text: str, source: str, kind: str) -> InputError:
    found = _LONG_NUMBER.search(text)
    line = text.count("\n", 0, found.start()) + 1 if found else None
    return InputError(
        f"invalid TOML in {kind}: a number of more than 4,300 digits",
        position=Position(source, line),
        hint=f"regenerate the {kind} with its tool",
    )


class _LockLoader(yaml.SafeLoader):
    r"""The safe loader, keeping dates as text and refusing what no writer could output.

    A lockfile needs no date objects (``2026-02-30`` would not even build one), an
    integer over 4,300 digits cannot be converted, and a lone surrogate escape
    (``"\ud800"``) cannot be written as UTF-8: each is reported at its line.
    """

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        """An int, or a marked error when it has too many digits to convert."""
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, "a number of more than 4,300 digits", node.start_mark
            ) from None

    def construct_yaml_str(self, node: yaml.ScalarNode) -> Any:
        """A string, or a marked error when an escape spelled a lone surrogate."""
        value = super().construct_yaml_str(node)
        if _SURROGATE.search(value):
            raise yaml.constructor.ConstructorError(
                None, None, "a lone surrogate escape (not a Unicode character)", node.start_mark
            )
        return value


_LockLoader.add_constructor("tag:yaml.org,2002:timestamp", _LockLoader.construct_yaml_str)
_LockLoader.add_constructor("tag:yaml.org,2002:int", _LockLoader.construct_yaml_int)
_LockLoader.add_constructor("tag:yaml.org,2002:str", _LockLoader.construct_yaml_str)


def load_yaml(text: str, source: str, kind: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML with the safe loader; return the data and its node tree (for line numbers)."""
    try:
        loader = _LockLoader(text)
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML in {kind}: {exc}", position=Position(source)) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(
            f"invalid YAML in {kind}: {exc.problem or exc.context}",
            position=Position(
                source,
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
            ),
            hint=f"regenerate the {kind} with its package manager",
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML in {kind}: {exc}", position=Position(source)) from None
    except RecursionError:
        raise InputError(f"{kind} nests too deeply to read", position=Position(source)) from None
    finally:
        loader.dispose()
    return data, node


def yaml_key_lines(node: yaml.Node | None, *path: str) -> dict[str, int]:
    """Line number (1-based) of every key of the mapping found at ``path`` in a node tree."""
    current = node
    for part in path:
        if not isinstance(current, yaml.MappingNode):
            return {}
        current = next(
            (v for k, v in current.value if isinstance(k, yaml.ScalarNode) and k.value == part),
            None,
        )
    if not isinstance(current, yaml.MappingNode):
        return {}
    return {
        str(k.value): k.start_mark.line + 1
        for k, _ in current.value
        if isinstance(k, yaml.ScalarNode)
    }


def fail(source: str, message: str, line: int | None = None, *, kind: str) -> InputError:
    """An InputError for a structurally wrong lockfile, with the usual hint."""
    return InputError(
        message,
        position=Position(source, line),
        hint=f"the file does not look like a valid {kind}; regenerate it with its tool",
    )


def expect_mapping(
    value: Any, source: str, what: str, kind: str, line: int | None = None
) -> dict[str, Any]:
    """``value`` when it is a mapping (``{}`` for null), else an InputError."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(
            source, f"{what} must be a table/object, found {type(value).__name__}", line, kind=kind
        )
    return value


def expect_list(
    value: Any, source: str, what: str, kind: str, line: int | None = None
) -> list[Any]:
    """``value`` when it is a list (``[]`` for null), else an InputError."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(
            source, f"{what} must be an array, found {type(value).__name__}", line, kind=kind
        )
    return value


class LineIndex:
    """Offset -> 1-based line number in O(log n), for readers that search the raw text."""

    def __init__(self, text: str) -> None:
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        """The line holding ``offset``."""
        return bisect.bisect_left(self.newlines, offset) + 1


def table_lines(text: str, header: str) -> list[int]:
    """Line numbers of every ``[[header]]`` array-of-tables header, in file order."""
    pattern = re.compile(rf"^[ \t]*\[\[\s*{re.escape(header)}\s*\]\]\s*(#.*)?$", re.MULTILINE)
    index = LineIndex(text)
    return [index.line(m.start()) for m in pattern.finditer(text)]


class JsonKeys:
    """Where each JSON object key sits: parsers keep no positions, messages need lines.

    Finds every ``"key":`` in the text; with ``objects=True`` only keys whose value
    is an object (lockfile entries), so that a name mentioned in an earlier entry's
    ``requires`` does not shadow the entry itself.
    """

    # The unrolled form of "(?:[^"\\]|\\.)*" backtracks far less on large files, and
    # anchoring at line starts (pretty-printed files) skips every string value.
    _BODY = r'"([^"\\]*(?:\\.[^"\\]*)*)"\s*:'
    _PATTERNS: ClassVar[dict[tuple[bool, bool], re.Pattern[str]]] = {
        (False, False): re.compile(_BODY),
        (True, False): re.compile(_BODY + r"\s*\{"),
        (False, True): re.compile(r"^[ \t]*" + _BODY, re.MULTILINE),
        (True, True): re.compile(r"^[ \t]*" + _BODY + r"\s*\{", re.MULTILINE),
    }

    def __init__(self, text: str, *, objects: bool = False) -> None:
        index = LineIndex(text)
        self.offsets: dict[str, list[int]] = {}
        self.lines: dict[int, int] = {}
        pretty = objects and len(index.newlines) > 2
        for match in self._PATTERNS[(objects, pretty)].finditer(text):
            raw = match.group(1)
            if "\\" in raw:
                try:
                    key = orjson.loads(f'"{raw}"')
                except orjson.JSONDecodeError:
                    continue
            else:
                key = raw
            start = match.start(1) - 1
            self.offsets.setdefault(key, []).append(start)
            self.lines[start] = index.line(start)

    def offset(self, key: str, after: int = 0) -> int | None:
        """Offset of the first ``key`` at or after ``after``."""
        found = self.offsets.get(key)
        if not found:
            return None
        at = bisect.bisect_left(found, after)
        return found[at] if at < len(found) else None

    def line(self, key: str, after: int = 0) -> int | None:
        """Line of the first ``key`` at or after ``after``."""
        offset = self.offset(key, after)
        return self.lines[offset] if offset is not None else None


def parse_hash(text: str) -> Hash | None:
    """``sha256:<hex>`` / ``sha256=<hex>`` -> Hash; ``None`` for anything unusable."""
    for sep in (":", "="):
        if sep in text:
            alg, _, value = text.partition(sep)
            hexed = normalize_hash_value(value)
            if alg.strip() and hexed:
                return Hash(normalize_hash_alg(alg), hexed)
            return None
    return None


def parse_integrity(integrity: str) -> tuple[Hash, ...]:
    """Subresource-integrity strings (``sha512-<base64>`` ..., space separated) -> hex hashes."""
    hashes = []
    for part in integrity.split():
        alg, sep, b64 = part.partition("-")
        if not sep:
            continue
        b64 = b64.split("?", 1)[0]
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            continue
        if raw:
            hashes.append(Hash(normalize_hash_alg(alg), raw.hex()))
    return tuple(hashes)


def unique_hashes(hashes: Iterable[Hash]) -> tuple[Hash, ...]:
    """Hashes without duplicates, in first-seen order."""
    return tuple(dict.fromkeys(hashes))


_PURL_SAFE = re.compile(r"^[A-Za-z0-9._-]+$")


def fast_purl(ecosystem: str, name: str, version: str | None) -> str | None:
    """:func:`purl_for`, with a fast path for names and versions that need no escaping.

    packageurl-python takes ~100 µs per purl, most of a large lockfile's read time;
    for plain names and versions the purl is just the joined text (a property test
    checks the two agree).
    """
    if not valid_name(ecosystem, name):
        return None
    short, scope = name, ""
    if ecosystem == "npm" and name.startswith("@") and "/" in name:
        scope, short = name[1:].split("/", 1)
        if not _PURL_SAFE.match(scope):
            return purl_for(ecosystem, name, version)
        scope = f"%40{scope}/"
    if not _PURL_SAFE.match(short) or (version is not None and not _PURL_SAFE.match(version)):
        return purl_for(ecosystem, name, version)
    if ecosystem in ("pypi", "npm"):
        short = short.lower()  # packageurl lower-cases these names (not the npm scope)
    text = f"pkg:{ecosystem}/{scope}{short}"
    return f"{text}@{version}" if version else text


def merge_scope(a: str | None, b: str | None) -> str | None:
    """The scope of a package reached twice: the strongest need wins."""
    order = {REQUIRED: 0, OPTIONAL: 1, EXCLUDED: 2}
    if a is None or b is None:
        return a if b is None else b
    return a if order.get(a, 3) <= order.get(b, 3) else b


def build_sbom(
    kind: str,
    spec_version: str | None,
    source: str,
    data: bytes,
    packages: Iterable[Package],
) -> Sbom:
    """Turn packages into an :class:`Sbom`: names normalised, purls built, duplicates merged.

    A package listed twice with the same name and version (npm nests copies) is one
    component; its scope is the strongest of the copies and it is direct if any is.
    ``depends_on`` becomes the dependency graph. ``roots`` stays empty: a lockfile
    describes a project that is not itself a component; ``direct`` marks its
    dependencies.
    """
    merged: dict[tuple[str, str, str | None, Origin | None], Package] = {}
    for pkg in packages:
        name = normalize_name(pkg.ecosystem, pkg.name)
        # A git or path copy is never merged into the same-named registry package.
        key = (pkg.ecosystem, name, pkg.version, pkg.origin)
        earlier = merged.get(key)
        if earlier is None:
            merged[key] = replace(
                pkg,
                name=name,
                hashes=unique_hashes(pkg.hashes),
                has_hash=pkg.has_hash or bool(pkg.hashes),
            )
            continue
        direct = earlier.direct
        if pkg.direct is not None:
            direct = bool(direct) or pkg.direct
        merged[key] = replace(
            earlier,
            hashes=unique_hashes((*earlier.hashes, *pkg.hashes)),
            scope=merge_scope(earlier.scope, pkg.scope),
            direct=direct,
            has_hash=earlier.has_hash or pkg.has_hash or bool(pkg.hashes),
            depends_on=tuple(dict.fromkeys((*earlier.depends_on, *pkg.depends_on))),
        )
    components = []
    refs: dict[tuple[str, str | None], str] = {}
    by_name: dict[str, list[str]] = {}
    used: set[str] = set()
    component_refs: dict[tuple[str, str | None, Origin | None], str] = {}
    for (_ecosystem, name, version, origin), pkg in merged.items():
        if origin is None:
            purl = fast_purl(pkg.ecosystem, pkg.name, pkg.version)
        else:
            purl = origin_purl(pkg.name, origin)
        # A name no purl can carry (a local path) still needs a stable, unique ref.
        ref = purl or f"{pkg.file or source}:{pkg.line or 0}:{pkg.name}"
        if ref in used:
            ref = (
                f"{ref}#{pkg.name}" if f"{ref}#{pkg.name}" not in used else f"{ref}#{pkg.line or 0}"
            )
        used.add(ref)
        if origin is None or (name, version) not in refs:
            refs[(name, version)] = ref
        by_name.setdefault(name, []).append(ref)
        components.append(
            Component(
                ref=ref,
                name=pkg.name,
                version=pkg.version,
                ecosystem=pkg.ecosystem,
                purl=purl,
                hashes=pkg.hashes,
                scope=pkg.scope,
                direct=pkg.direct,
                type="library",
                location=Location(file=pkg.file or source, line=pkg.line),
                unidentified_reason=pkg.unidentified_reason,
                origin=origin,
            )
        )
        component_refs[(name, version, origin)] = ref
    graph = []
    for (ecosystem, _name, _version, origin), pkg in merged.items():
        targets: list[str] = []
        for dep_name, dep_version in pkg.depends_on:
            dep_name = normalize_name(ecosystem, dep_name)
            target = refs.get((dep_name, dep_version))
            if target is None and dep_version is None and len(by_name.get(dep_name, ())) == 1:
                target = by_name[dep_name][0]
            if target is not None:
                targets.append(target)
        if targets:
            ref = component_refs[(pkg.name, pkg.version, origin)]
            graph.append((ref, tuple(dict.fromkeys(targets))))
    return Sbom(
        format=kind,
        spec_version=spec_version,
        source=source,
        digest="sha256:" + hashlib.sha256(data).hexdigest(),
        components=tuple(components),
        dependencies=tuple(graph),
    )


def sbom_from_declared(
    kind: str, declared: list[DeclaredDependency], source: str, data: bytes
) -> Sbom:
    """Components of a manifest: exact pins are identified, the rest say how they were declared."""
    packages = []
    for dep in declared:
        scope = EXCLUDED if dep.dev else OPTIONAL if dep.optional else REQUIRED
        reason = None
        if dep.version is None:
            shown = f" {dep.specifier!r}" if dep.specifier else ""
            reason = f"declared as {dep.pin}{shown} in {kind}; a manifest locks no version"
        packages.append(
            Package(
                dep.ecosystem,
                dep.name,
                dep.version,
                dep.line,
                (),
                scope,
                True,
                dep.hashes > 0,
                reason,
            )
        )
    return build_sbom(kind, None, source, data, packages)
