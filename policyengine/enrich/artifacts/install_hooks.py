"""Install-time hooks: what runs when the artifact is built or installed.

``setup.py`` is parsed with ``ast`` and never executed; ``pyproject.toml`` is
read with ``tomllib``; npm's ``package.json`` for its lifecycle scripts.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from typing import Any

from policyengine.enrich.artifacts.pyast import call_name, dotted, import_aliases, line_of, parse
from policyengine.model import ContentMark

_SURROGATE = re.compile("[\ud800-\udfff]")

SETUP_NAMES = frozenset(
    {"setup", "setuptools.setup", "distutils.core.setup", "numpy.distutils.core.setup"}
)
"""Calls that are the expected body of a ``setup.py``."""

DANGEROUS_PREFIXES = (
    "subprocess.",
    "os.system",
    "os.popen",
    "os.exec",
    "os.spawn",
    "os.startfile",
    "urllib.",
    "urllib2.",
    "requests.",
    "http.client.",
    "httpx.",
    "socket.",
    "ctypes.",
)
"""Dotted call prefixes that reach processes, the network or native code."""

DANGEROUS_BUILTINS = frozenset({"exec", "eval", "compile", "__import__"})

COMMAND_CLASSES = frozenset(
    {
        "install",
        "develop",
        "egg_info",
        "build",
        "build_py",
        "build_ext",
        "sdist",
        "bdist_wheel",
        "bdist_egg",
        "install_lib",
        "install_scripts",
        "easy_install",
    }
)
"""setuptools/distutils commands whose subclassing runs custom code at build/install."""

WELL_KNOWN_BACKENDS = frozenset(
    {
        "setuptools.build_meta",
        "setuptools.build_meta:__legacy__",
        "hatchling.build",
        "flit_core.buildapi",
        "poetry.core.masonry.api",
        "poetry.masonry.api",
        "pdm.backend",
        "pdm.pep517.api",
        "maturin",
        "scikit_build_core.build",
        "mesonpy",
    }
)
"""PEP 517 backends of the common build tools."""

NPM_INSTALL_SCRIPTS = (
    "preinstall",
    "install",
    "postinstall",
    "preprepare",
    "prepare",
    "postprepare",
)
"""npm lifecycle scripts that run when a package is installed."""


def inspect_setup_py(path: str, source: bytes) -> list[ContentMark]:
    """Marks for a ``setup.py`` that does more than call ``setup()``."""
    text = source.decode("utf-8", errors="replace")
    lines = text.splitlines()
    try:
        tree = parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return [
            ContentMark(
                "setup-unparseable",
                path,
                getattr(exc, "lineno", None),
                f"setup.py is not valid Python 3 ({type(exc).__name__}); it cannot be vetted",
            )
        ]
    aliases = import_aliases(tree)
    marks: list[ContentMark] = []
    for call in _module_level_calls(tree.body):
        # A call on an expression (``(here / "x").write_text()``) has no plain name.
        name = call_name(call, aliases) or ast.unparse(call.func)[:80]
        if name not in SETUP_NAMES:
            marks.append(
                ContentMark(
                    "setup-module-call",
                    path,
                    call.lineno,
                    f"module-level call to {name}() besides setup()",
                    line_of(lines, call.lineno),
                )
            )
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = call_name(node, aliases)
            if called is None:
                continue
            if called in DANGEROUS_BUILTINS or called.startswith(DANGEROUS_PREFIXES):
                marks.append(
                    ContentMark(
                        "setup-dangerous-call",
                        path,
                        node.lineno,
                        f"calls {called}()",
                        line_of(lines, node.lineno),
                    )
                )
            if called in SETUP_NAMES and any(k.arg == "cmdclass" for k in node.keywords):
                marks.append(
                    ContentMark(
                        "setup-cmdclass",
                        path,
                        node.lineno,
                        "setup() overrides commands with cmdclass=",
                        line_of(lines, node.lineno),
                    )
                )
        elif isinstance(node, ast.ClassDef):
            for base in node.bases:
                base_name = (dotted(base, aliases) or "").split(".")[-1]
                if base_name in COMMAND_CLASSES:
                    marks.append(
                        ContentMark(
                            "setup-cmdclass",
                            path,
                            node.lineno,
                            f"class {node.name} overrides the {base_name} command",
                            line_of(lines, node.lineno),
                        )
                    )
    return marks


def _module_level_calls(body: list[ast.stmt]) -> list[ast.Call]:
    """Expression-statement calls run at import, looking into if/try/with but not defs."""
    calls: list[ast.Call] = []
    for stmt in body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            calls.append(stmt.value)
        elif isinstance(stmt, ast.If | ast.For | ast.While | ast.With):
            calls.extend(_module_level_calls(stmt.body))
            calls.extend(_module_level_calls(getattr(stmt, "orelse", [])))
        elif isinstance(stmt, ast.Try):
            calls.extend(_module_level_calls(stmt.body))
            for handler in stmt.handlers:
                calls.extend(_module_level_calls(handler.body))
            calls.extend(_module_level_calls(stmt.orelse))
            calls.extend(_module_level_calls(stmt.finalbody))
    return calls


def _line_containing(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


def inspect_pyproject(path: str, source: bytes) -> list[ContentMark]:
    """Marks for a ``[build-system]`` with a custom or in-tree build backend."""
    text = source.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or an int of over 4,300 digits
        return [ContentMark("pyproject-unparseable", path, None, f"invalid TOML: {exc}")]
    system = data.get("build-system")
    if not isinstance(system, dict):
        return []
    marks: list[ContentMark] = []
    backend = system.get("build-backend")
    if isinstance(backend, str) and backend not in WELL_KNOWN_BACKENDS:
        line = _line_containing(text, "build-backend")
        marks.append(
            ContentMark(
                "build-backend-custom",
                path,
                line,
                f"build backend {backend!r} is not a well-known one",
                line_of(text.splitlines(), line),
            )
        )
    if "backend-path" in system:
        line = _line_containing(text, "backend-path")
        marks.append(
            ContentMark(
                "build-backend-in-tree",
                path,
                line,
                f"backend-path {system['backend-path']!r} loads the build backend from the sdist",
                line_of(text.splitlines(), line),
            )
        )
    return marks


def read_package_json(source: bytes) -> dict[str, object] | None:
    """The ``package.json`` object, or ``None`` when it is not a JSON object."""
    try:
        data = json.loads(source.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):  # RecursionError: a hostile, deeply nested file
        return None
    # A lone surrogate escape ("\\ud800") cannot be written into a verdict: U+FFFD instead,
    # so the scripts are still judged (refusing the file would hide them).
    return _scrub(data) if isinstance(data, dict) else None


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, dict):
        return {_scrub(key): _scrub(item) for key, item in value.items()}
    return value


def inspect_package_json(
    path: str, source: bytes, manifest: dict[str, object], has_binding_gyp: bool
) -> list[ContentMark]:
    """Marks for npm lifecycle scripts that run at install time."""
    text = source.decode("utf-8", errors="replace")
    lines = text.splitlines()
    scripts = manifest.get("scripts")
    marks: list[ContentMark] = []
    if isinstance(scripts, dict):
        for name in NPM_INSTALL_SCRIPTS:
            command = scripts.get(name)
            if isinstance(command, str):
                line = _line_containing(text, f'"{name}"')
                marks.append(
                    ContentMark(
                        "npm-script", path, line, f"{name}: {command}", line_of(lines, line)
                    )
                )
    # npm runs `node-gyp rebuild` itself for a package with binding.gyp and no
    # install/preinstall script of its own.
    has_own = isinstance(scripts, dict) and ("install" in scripts or "preinstall" in scripts)
    if has_binding_gyp and not has_own:
        marks.append(
            ContentMark(
                "npm-script",
                path,
                None,
                "install: node-gyp rebuild",
                "(implicit: binding.gyp present and no install or preinstall script)",
            )
        )
    return marks
