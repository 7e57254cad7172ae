"""Commands and plug-ins an artifact registers: wheel entry points, scripts, npm ``bin``."""

from __future__ import annotations

import configparser

from policyengine.model import EntryPoint


def parse_entry_points(path: str, source: bytes) -> list[EntryPoint]:
    """Entry points from a wheel's ``entry_points.txt`` (INI with ``name = target`` lines)."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    try:
        parser.read_string(source.decode("utf-8", errors="replace"))
    except configparser.Error:
        return []
    return [
        EntryPoint(group=section, name=name, target=target.strip(), path=path)
        for section in parser.sections()
        for name, target in parser.items(section)
    ]


def npm_bin(path: str, manifest: dict[str, object]) -> list[EntryPoint]:
    """Commands from npm's ``bin`` (a string names one command after the package)."""
    value = manifest.get("bin")
    if isinstance(value, str):
        name = str(manifest.get("name") or "").rsplit("/", 1)[-1]
        return [EntryPoint("bin", name, value, path)]
    if isinstance(value, dict):
        return [EntryPoint("bin", str(k), str(v), path) for k, v in value.items()]
    return []
