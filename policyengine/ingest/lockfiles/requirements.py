"""requirements.txt (pip): requirements, nested ``-r``/``-c`` files, hashes, URLs, VCS, editables.

Requirement syntax is parsed by ``packaging.requirements`` (PEP 508); only pip's
line format (continuations, comments, per-line options) is handled here.
pip-requirements-parser was tried and refused: its ``from_string`` fails with a
NameError, it reads nested files relative to the working directory, and it
rejects current pip options (``--config-settings``, ``-C``) as invalid lines.

Rules: nested files are resolved relative to the file naming them and read from
disk; a URL after ``-r``/``-c`` is never fetched (an InputError says so).
Environment markers are kept but not evaluated (the gate's own interpreter says
nothing about the deployment's). ``${VAR}`` references are not expanded: the
environment of the gate must not change the verdict. A line pip would refuse
is refused with its file and line (exit 3).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from policyengine.ingest.lockfiles._common import Package, build_sbom, parse_hash, text_of
from policyengine.ingest.lockfiles.origins import python_origin
from policyengine.ingest.lockfiles.pins import python_pin, python_url_pin
from policyengine.ingest.normalize import normalize_name
from policyengine.model import (
    DeclaredDependency,
    Hash,
    InputError,
    Origin,
    Pin,
    Position,
    Sbom,
)
from policyengine.safeio import read_capped

KIND = "requirements.txt"
MAX_NESTED_BYTES = 64 * 1024 * 1024

_TOP_ROOT: ContextVar[Path | None] = ContextVar("requirements_top_root", default=None)
"""The folder of the file that started the current parse: nested files stay inside it."""
_EXTRA_ROOTS: ContextVar[tuple[Path, ...]] = ContextVar("requirements_extra_roots", default=())
_NO_FILES: ContextVar[bool] = ContextVar("requirements_no_files", default=False)
"""Set while reading bytes a client sent: their name is no place on this machine."""
"""Folders a setting (``--include-dir``) allows nested files to come from as well."""

_COMMENT = re.compile(r"(^|\s+)#.*$")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9_.\-\[\],]+)")
_GLOBAL_OPTIONS_WITH_VALUE = {
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--no-binary",
    "--only-binary",
    "--trusted-host",
    "--use-feature",
}
_GLOBAL_FLAGS = {"--no-index", "--prefer-binary", "--require-hashes", "--pre"}
_PROJECT_SOURCE = re.compile(r"\((?:[^()]*/)?(?:pyproject\.toml|setup\.cfg|setup\.py)\)$")
_PER_REQ_WITH_VALUE = {"--global-option", "--install-option", "--config-settings", "-C"}


@dataclass(frozen=True, slots=True)
class ReqLine:
    """One requirement of a requirements file, as pip would see it."""

    name: str
    specifier: str
    pin: Pin
    version: str | None
    file: str
    line: int
    hashes: tuple[Hash, ...] = ()
    hash_count: int = 0
    marker: str | None = None
    editable: bool = False
    direct: bool | None = None
    unidentified_reason: str | None = None


def read(data: bytes, source: str, *, validate: bool = False) -> Sbom:
    """Read a requirements file (and the files it nests) into an :class:`Sbom`."""
    del validate
    lines = parse(data, source)
    packages = []
    for r in lines:
        origin = _origin(r)
        packages.append(
            Package(
                "pypi",
                r.name,
                r.version,
                r.line,
                r.hashes,
                None,
                r.direct,
                r.hash_count > 0,
                None if origin is not None else r.unidentified_reason,
                file=r.file,
                origin=origin,
            )
        )
    return build_sbom(KIND, None, source, data, packages)


def _origin(req: ReqLine) -> Origin | None:
    """A named VCS, path or URL requirement is a component of that origin, not a PyPI package."""
    if req.pin not in ("vcs-commit", "vcs-ref", "path", "url") or req.name == req.specifier:
        return None  # a registry requirement, or a location that names no package
    return python_origin(req.specifier)


def declared(data: bytes, source: str) -> list[DeclaredDependency]:
    """The dependencies a requirements file declares, with how each is pinned."""
    return [
        DeclaredDependency(
            ecosystem="pypi",
            name=r.name,
            specifier=r.specifier,
            pin=r.pin,
            manifest=r.file,
            line=r.line,
            version=r.version,
            marker=r.marker,
            hashes=r.hash_count,
        )
        for r in parse(data, source)
    ]


@contextmanager
def include_dirs(folders: Iterable[str | Path]) -> Iterator[None]:
    """Allow ``-r``/``-c`` to read from these folders too, while the block runs.

    By default a nested file must lie inside the folder of the file that started the
    chain (the input, or the manifest found in ``--project-dir``).
    """
    token = _EXTRA_ROOTS.set(tuple(Path(_key(str(f))) for f in folders))
    try:
        yield
    finally:
        _EXTRA_ROOTS.reset(token)


@contextmanager
def no_nested_files() -> Iterator[None]:
    """Refuse every ``-r``/``-c`` while the block runs: the input came over the network.

    A service reading a client's requirements file must not open files of its own
    machine named relative to a name the client chose.
    """
    token = _NO_FILES.set(True)
    try:
        yield
    finally:
        _NO_FILES.reset(token)


def _allowed_roots() -> tuple[Path, ...]:
    top = _TOP_ROOT.get()
    return (*(() if top is None else (top,)), *_EXTRA_ROOTS.get())


def _excerpt(text: str, limit: int = 80) -> str:
    """A bounded, printable excerpt of ``text`` for messages (no control characters)."""
    clean = "".join(c if c.isprintable() else "?" for c in text[:limit])
    return repr(clean + ("..." if len(text) > limit else ""))


def parse(data: bytes, source: str) -> list[ReqLine]:
    """Every requirement of the file and its nested ``-r`` files, constraints applied."""
    requirements: list[ReqLine] = []
    constraints: dict[str, str] = {}
    token = _TOP_ROOT.set(Path(_key(source)).parent)
    try:
        _parse_file(data, source, requirements, constraints, visited={_key(source)})
    finally:
        _TOP_ROOT.reset(token)
    if not constraints:
        return requirements
    # A constraints file pins what a requirements file leaves open (pip's -c semantics).
    return [_constrained(r, constraints) for r in requirements]


def _constrained(req: ReqLine, constraints: dict[str, str]) -> ReqLine:
    version = constraints.get(req.name)
    if req.version is not None or version is None or req.pin in ("url", "path", "vcs-ref"):
        return req
    # The constraints file is part of the declaration: the requirement is pinned there.
    return ReqLine(
        req.name,
        f"=={version}",
        "exact",
        version,
        req.file,
        req.line,
        req.hashes,
        req.hash_count,
        req.marker,
        req.editable,
        req.direct,
        None,
    )


def _key(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path


def _parse_file(
    data: bytes,
    source: str,
    requirements: list[ReqLine],
    constraints: dict[str, str],
    visited: set[str],
    *,
    is_constraint: bool = False,
) -> None:
    text = text_of(data, source)
    logical = list(_logical_lines(text))
    annotated = _via_annotations(text)
    for line_no, line in logical:
        line = _COMMENT.sub("", line).strip()
        if not line:
            continue
        args, options = _split_args_options(line)
        if not args:
            _option_line(options, source, line_no, requirements, constraints, visited)
            continue
        hashes, hash_count = _per_requirement_options(options, source, line_no)
        req = _requirement(args, source, line_no, hashes, hash_count, annotated)
        if is_constraint:
            if req.version is not None:
                constraints[req.name] = req.version
            continue
        requirements.append(req)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    # pip's join_lines: a trailing backslash continues the line, except on comment lines.
    result: list[tuple[int, str]] = []
    parts: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        comment = re.match(r"(^|\s+)#", line) is not None
        if not line.endswith("\\") or comment:
            if comment:
                line = " " + line
            if parts:
                parts.append(line)
                result.append((start, "".join(parts)))
                parts = []
            else:
                result.append((number, line))
        else:
            if not parts:
                start = number
            parts.append(line.strip("\\"))
    if parts:
        result.append((start, "".join(parts)))
    return result


def _split_args_options(line: str) -> tuple[str, str]:
    # pip's break_args_options: the requirement ends at the first token starting with "-".
    tokens = line.split(" ")
    args: list[str] = []
    options = tokens[:]
    for token in tokens:
        if token.startswith(("-", "--")):
            break
        args.append(token)
        options.pop(0)
    return " ".join(args).strip(), " ".join(options).strip()


def _shlex(text: str, source: str, line: int) -> list[str]:
    if not any(char in text for char in "\"'\\"):
        return text.split()  # shlex is slow and only matters for quoted text
    try:
        return shlex.split(text, comments=False)
    except ValueError as exc:
        raise InputError(
            f"cannot split the options of this line: {exc}", position=Position(source, line)
        ) from None


def _option_line(
    options: str,
    source: str,
    line: int,
    requirements: list[ReqLine],
    constraints: dict[str, str],
    visited: set[str],
) -> None:
    tokens = _shlex(options, source, line)
    i = 0
    while i < len(tokens):
        opt, value, i = _take_option(tokens, i)
        if opt in ("-r", "--requirement", "-c", "--constraint"):
            _nested(value, source, line, requirements, constraints, visited, opt)
        elif opt in ("-e", "--editable"):
            req = _url_or_path_requirement(value or "", source, line, (), 0, editable=True)
            requirements.append(req)
        elif opt in _GLOBAL_OPTIONS_WITH_VALUE or opt in _GLOBAL_FLAGS:
            continue
        else:
            raise InputError(
                f"unknown pip option {_excerpt(opt)}",
                position=Position(source, line),
                hint="pip refuses this line too; fix the requirements file",
            )


def _take_option(tokens: list[str], i: int) -> tuple[str, str | None, int]:
    token = tokens[i]
    if token.startswith("--") and "=" in token:
        opt, _, value = token.partition("=")
        return opt, value, i + 1
    if (
        token.startswith("-")
        and not token.startswith("--")
        and len(token) > 2
        and token[:2] in ("-r", "-c", "-e", "-i", "-f", "-C")
    ):
        return token[:2], token[2:], i + 1
    if token in _GLOBAL_FLAGS:
        return token, None, i + 1
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    return token, following, i + 2


def _nested(
    target: str | None,
    source: str,
    line: int,
    requirements: list[ReqLine],
    constraints: dict[str, str],
    visited: set[str],
    opt: str,
) -> None:
    if not target:
        raise InputError(f"{opt} needs a file name", position=Position(source, line))
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", target):
        raise InputError(
            f"{opt} {target} names a URL; URLs inside inputs are never fetched",
            position=Position(source, line),
            hint="download the file and refer to it by a relative path",
        )
    if "\x00" in target:  # no file name holds one; the OS calls would raise ValueError
        raise InputError(
            f"{opt} names a file with a NUL byte in its name",
            position=Position(source, line),
            hint="fix the file name",
        )
    if _NO_FILES.get():
        raise InputError(
            f"{opt} {_excerpt(target)}: nested requirement files are not read from a sent input",
            position=Position(source, line),
            hint="send a flattened file (pip-compile or uv pip compile output)",
        )
    path = Path(source).parent / target
    key = _key(str(path))
    if key in visited:
        return
    allowed = _allowed_roots()
    if not any(Path(key).is_relative_to(root) for root in allowed):
        # The gate runs in CI with secrets in its environment: `-r /proc/self/environ`
        # must not become a parse error that prints them into the log.
        raise InputError(
            f"{opt} {_excerpt(target)} is outside the project folder "
            f"({', '.join(str(r) for r in allowed)}); it is not read",
            position=Position(source, line),
            hint="keep nested requirement files inside the project, or allow a folder with "
            "--include-dir DIR",
        )
    try:
        nested = read_capped(
            path,
            max_bytes=MAX_NESTED_BYTES,
            regular_only=True,
            hint="nested requirement files must be regular files",
        )
    except InputError as exc:
        raise InputError(
            f"nested file {_excerpt(target)}: {exc.message}",
            position=Position(source, line),
            hint=exc.hint,
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read nested requirements file {_excerpt(target)}: {exc.strerror}",
            position=Position(source, line),
            hint="the path is resolved relative to the file that names it",
        ) from None
    _parse_file(
        nested,
        str(path),
        requirements,
        constraints,
        visited | {key},
        is_constraint=opt in ("-c", "--constraint"),
    )


def _per_requirement_options(options: str, source: str, line: int) -> tuple[tuple[Hash, ...], int]:
    if not options:
        return (), 0
    tokens = _shlex(options, source, line)
    hashes: list[Hash] = []
    count = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.startswith("-"):
            # pip's option parser ignores stray words after the options.
            i += 1
            continue
        opt, value, i = _take_option(tokens, i)
        if opt == "--hash":
            count += 1
            parsed = parse_hash(value or "")
            if parsed is not None:
                hashes.append(parsed)
        elif opt not in _PER_REQ_WITH_VALUE:
            raise InputError(
                f"unknown per-requirement option {_excerpt(opt)}",
                position=Position(source, line),
                hint="pip refuses this line too; fix the requirements file",
            )
    return tuple(hashes), count


def _looks_like_url_or_path(text: str) -> bool:
    return (
        "://" in text.split()[0]
        or text.startswith(("git+", "hg+", "svn+", "bzr+", ".", "/", "~"))
        or text.split(";")[0].strip().endswith((".whl", ".tar.gz", ".zip", ".tar.bz2"))
    )


def _requirement(
    text: str,
    source: str,
    line: int,
    hashes: tuple[Hash, ...],
    hash_count: int,
    annotated: dict[int, bool],
) -> ReqLine:
    if "${" in text:
        raise InputError(
            "environment variables in requirement files are not expanded",
            position=Position(source, line),
            hint="substitute the value before checking, so the verdict does not depend on "
            "the environment",
        )
    if _looks_like_url_or_path(text) and " @ " not in text:
        return _url_or_path_requirement(text, source, line, hashes, hash_count)
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise InputError(
            # packaging's message repeats the whole line under a caret: keep its first line.
            f"invalid requirement {_excerpt(text)}: {str(exc).splitlines()[0]}",
            position=Position(source, line),
            hint="pip refuses this line too; fix the requirements file",
        ) from None
    pin, version = python_pin(req)
    reason = None if version else _unlocked_reason(pin, str(req.specifier) or req.url or "")
    return ReqLine(
        name=normalize_name("pypi", req.name),
        specifier=req.url or str(req.specifier),
        pin=pin,
        version=version,
        file=source,
        line=line,
        hashes=hashes,
        hash_count=hash_count,
        marker=str(req.marker) if req.marker else None,
        direct=annotated.get(line),
        unidentified_reason=reason,
    )


def _unlocked_reason(pin: Pin, specifier: str) -> str:
    if pin == "unpinned":
        return "declared without a version in requirements.txt; no version is locked"
    return f"declared as {pin} {specifier!r} in requirements.txt; no exact version is locked"


def _url_or_path_requirement(
    text: str,
    source: str,
    line: int,
    hashes: tuple[Hash, ...],
    hash_count: int,
    *,
    editable: bool = False,
) -> ReqLine:
    location, _, marker = text.partition(";")
    location = location.strip()
    name, version = _name_from_location(location)
    pin: Pin = python_url_pin(location) if "://" in location or "+" in location else "path"
    if location.startswith((".", "/", "~")):
        pin = "path"
    reason = None if version else f"{pin} requirement {location!r}: no exact version is locked"
    if name is None:
        reason = f"{pin} requirement {location!r} names no package (add #egg=NAME)"
    return ReqLine(
        name=normalize_name("pypi", name) if name else location,
        specifier=location,
        pin=pin,
        version=version,
        file=source,
        line=line,
        hashes=hashes,
        hash_count=hash_count,
        marker=marker.strip() or None,
        editable=editable,
        unidentified_reason=reason,
    )


def _name_from_location(location: str) -> tuple[str | None, str | None]:
    egg = _EGG.search(location)
    if egg:
        return egg.group(1).split("[")[0], None
    filename = urlsplit(location).path.rsplit("/", 1)[-1]
    if filename.endswith(".whl"):
        try:
            name, version, _build, _tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            return None, None
        return str(name), str(version)
    return None, None


def _via_annotations(text: str) -> dict[int, bool]:
    # pip-compile writes "# via -r requirements.in" under direct requirements and
    # "# via <package>" under transitive ones; without such comments nothing is known.
    # Compiled from project metadata, a direct requirement is "# via myproj (pyproject.toml)"
    # (uv pip compile writes the same).
    if "# via" not in text:
        return {}
    result: dict[int, bool] = {}
    current: int | None = None
    in_via = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "--")) and not line.startswith(" "):
            current = number
            result[current] = False
            in_via = False
            continue
        if current is None or not stripped.startswith("#"):
            continue
        comment = stripped.lstrip("#").strip()
        if comment.startswith("via"):
            in_via = True
            comment = comment[3:].strip()
        if in_via and (comment.startswith(("-r ", "-c ")) or _PROJECT_SOURCE.search(comment)):
            result[current] = True
    return result
