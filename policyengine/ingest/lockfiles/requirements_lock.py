"""Recognise a requirements file that is a lock (pip freeze, pip-compile, ``uv pip compile``).

pip has no separate lockfile format: the lock of a pip project is a requirements
file in which every requirement names one exact release. ``pip freeze``,
``pip-compile`` and ``uv pip compile`` all write such files; the two compilers
also write a header naming the command, and so the manifests they were compiled
from (``pip-compile --output-file=requirements.txt pyproject.toml``).

What counts as pinned: ``==``/``===`` one version, a VCS reference to a full
commit, a local path (the project's own code, which no lockfile pins) and an
archive URL that carries a ``--hash``. A file that pins only its direct
dependencies by hand looks the same as a full lock; that cannot be told apart
without resolving, so it is taken for a lock too (every line still names one
release, which is what the pinning check asks of it).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import PurePath

from policyengine.model import DeclaredDependency

_COMMAND = re.compile(r"^#\s+(?:pip-compile|uv\s+pip\s+compile)\s+(?P<args>.*)$")
_HEADER_LINES = 40
# Options of pip-compile / uv pip compile whose value is a file but not a source.
_FILE_VALUED = {"-o", "--output-file", "-c", "--constraint", "--constraints", "--overrides"}


def is_lock(declared: Sequence[DeclaredDependency]) -> bool:
    """True when every requirement names one release and at least one is an exact version."""
    if not any(d.pin == "exact" for d in declared):
        return False
    return all(
        d.pin in ("exact", "vcs-commit", "path") or (d.pin == "url" and d.hashes > 0)
        for d in declared
    )


def compiled_from(text: str) -> tuple[str, ...]:
    """File names of the sources a pip-compile / ``uv pip compile`` header names, else ``()``.

    Only the header's comment lines are read; the names are returned without
    their folders (the project facts look at one directory).
    """
    for line in text.splitlines()[:_HEADER_LINES]:
        if line.strip() and not line.startswith("#"):
            break  # the header is over
        match = _COMMAND.match(line.strip())
        if match is None:
            continue
        try:
            tokens = shlex.split(match.group("args"))
        except ValueError:
            tokens = match.group("args").split()
        return _sources(tokens)
    return ()


def _sources(tokens: list[str]) -> tuple[str, ...]:
    sources: list[str] = []
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        if token.startswith("-"):
            # "-o requirements.txt" takes the next token; "--output-file=x" does not.
            skip_next = token in _FILE_VALUED
            continue
        sources.append(PurePath(token).name)
    return tuple(dict.fromkeys(sources))
