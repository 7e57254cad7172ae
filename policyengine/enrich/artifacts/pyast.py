"""Small helpers over Python's ``ast``: dotted call names with import aliases resolved."""

from __future__ import annotations

import ast
import threading

_PARSE = threading.Lock()


def parse(text: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse`` one file at a time in this process.

    Artifacts are inspected in worker threads (``asyncio.to_thread``), and CPython 3.11's
    parser is not safe to run from several threads at once: a real enrichment failed with
    ``SystemError: AST constructor recursion depth mismatch`` (gunicorn 27.0.1). Parsing
    is a small share of an inspection, so serialising it costs little.
    """
    with _PARSE:
        return ast.parse(text, filename=filename)


def import_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> dotted origin for every import in the tree.

    ``import subprocess as sp`` maps ``sp`` to ``subprocess``; ``from os import
    system`` maps ``system`` to ``os.system``.
    """
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                aliases[local] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """``a.b.c`` for a name/attribute chain, its head resolved through ``aliases``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def call_name(call: ast.Call, aliases: dict[str, str]) -> str | None:
    """The dotted name of what ``call`` calls, when it is a plain name chain."""
    return dotted(call.func, aliases)


def line_of(source_lines: list[str], lineno: int | None) -> str | None:
    """The stripped source line ``lineno`` (1-based), trimmed to 200 characters."""
    if lineno is None or not 1 <= lineno <= len(source_lines):
        return None
    return source_lines[lineno - 1].strip()[:200]
