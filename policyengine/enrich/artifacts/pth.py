"""``.pth`` files: which lines ``site.py`` would execute at interpreter start.

CPython's ``site.addpackage`` reads a ``.pth`` file line by line (universal
newlines), skips lines starting with ``#`` and blank lines, and executes a
line that starts with ``import`` followed by a space or a tab, with no leading
whitespace; every other line is a path added to ``sys.path``. A leading
byte-order mark is ignored here, erring towards reporting: a reader that
strips it would run the first line.
"""

from __future__ import annotations

import hashlib
import io
import re

from policyengine.model import PthFile

_SITE_DATA = re.compile(r"^[^/]+\.data/(purelib|platlib)/[^/]+\.pth$")


def executable_lines(text: str) -> tuple[int, ...]:
    """1-based numbers of the lines ``site.addpackage`` would execute."""
    found: list[int] = []
    for number, line in enumerate(io.StringIO(text.removeprefix("\ufeff"), newline=None), 1):
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith(("import ", "import\t")):
            found.append(number)
    return tuple(found)


def at_site_root(name: str, artifact_kind: str) -> bool:
    """True when installing the artifact puts this ``.pth`` directly in site-packages."""
    if artifact_kind != "wheel":
        return False
    return "/" not in name or bool(_SITE_DATA.match(name))


def inspect_pth(name: str, data: bytes, artifact_kind: str) -> PthFile:
    """The ``PthFile`` fact for a member named ``name`` with content ``data``."""
    text = data.decode("utf-8", errors="replace")
    lines = executable_lines(text)
    excerpt = None
    if lines:
        all_lines = list(io.StringIO(text.removeprefix("\ufeff"), newline=None))
        excerpt = all_lines[lines[0] - 1].strip()[:200]
    return PthFile(
        path=name,
        site_root=at_site_root(name, artifact_kind),
        executable_lines=lines,
        excerpt=excerpt,
        sha256=hashlib.sha256(data).hexdigest(),
    )
