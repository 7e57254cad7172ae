"""Command-line wiring and exit codes only; every behaviour lives in the library.

Exit codes (DESIGN.md): 0 pass, 1 policy failed, 2 usage or policy error,
3 unreadable or invalid input, 4 evidence incomplete where the policy requires it.
An unexpected internal error prints one line and exits 70 (EX_SOFTWARE) unless
``POLICYENGINE_DEBUG=1`` asks for the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from policyengine import __version__
from policyengine.model import PolicyEngineError, UsageError

if TYPE_CHECKING:
    from policyengine.enrich import EnrichSettings

EXIT_INTERNAL = 70

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that raises a UsageError instead of exiting, so exit codes stay ours."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}", hint=f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser; each subcommand sets ``handler``."""
    parser = _Parser(
        prog="policyengine",
        description="Policy-as-code release gate for SBOMs and lockfiles.",
    )
    parser.add_argument("--version", action="version", version=f"policyengine {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    _add_inspect(sub)
    _add_enrich(sub)
    _add_db(sub)
    return parser


def _add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-input-size",
        type=int,
        default=None,
        metavar="BYTES",
        help="refuse inputs larger than this (default 512 MiB, also after gunzip)",
    )
    p.add_argument(
        "--validate",
        action="store_true",
        help="also validate the document against its JSON Schema (slower on large inputs)",
    )


def _add_inspect(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("inspect", help="print the normalised components and coverage of an input")
    p.add_argument("input", metavar="INPUT", help="SBOM or lockfile (gzip accepted)")
    p.add_argument("--format", choices=("json", "table"), default="table")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    _add_input_options(p)
    p.set_defaults(handler=_run_inspect)


def _read(args: argparse.Namespace, path: str) -> object:
    from policyengine.ingest import DEFAULT_MAX_BYTES, read_input

    max_bytes = args.max_input_size or DEFAULT_MAX_BYTES
    return read_input(path, max_bytes=max_bytes, validate=args.validate)


def _run_inspect(args: argparse.Namespace) -> int:
    from policyengine.model import Sbom
    from policyengine.report.inspect import render_inspect

    sbom = _read(args, args.input)
    assert isinstance(sbom, Sbom)
    _write(args.output, render_inspect(sbom, args.format))
    return 0


def _add_endpoint_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pypi-url", metavar="URL", help="PyPI base URL (env POLICYENGINE_PYPI_URL)")
    p.add_argument("--npm-url", metavar="URL", help="npm registry URL (env POLICYENGINE_NPM_URL)")
    p.add_argument("--osv-url", metavar="URL", help="OSV API base URL (env POLICYENGINE_OSV_URL)")
    p.add_argument("--cache-dir", metavar="DIR", help="cache folder (env POLICYENGINE_CACHE_DIR)")
    p.add_argument(
        "--offline", action="store_true", help="use only the cache and the offline database"
    )
    p.add_argument(
        "--advisories",
        choices=("auto", "api", "db", "off"),
        default="auto",
        help="advisory source: OSV API online / local db offline (auto), or force one",
    )


def _add_enrich(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("enrich", help="fetch registry and advisory facts into an evidence bundle")
    p.add_argument("inputs", metavar="INPUT", nargs="+", help="SBOMs or lockfiles")
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="evidence bundle to write")
    _add_endpoint_options(p)
    _add_input_options(p)
    p.set_defaults(handler=_run_enrich)


def _add_db(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("db", help="the offline advisory database")
    actions = p.add_subparsers(dest="db_command", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    imp = actions.add_parser("import", help="import OSV records (zip, folder, or file)")
    imp.add_argument("path", metavar="PATH", help="OSV export: a zip or a folder of JSON/YAML")
    imp.add_argument("--cache-dir", metavar="DIR", help="cache folder (env POLICYENGINE_CACHE_DIR)")
    imp.set_defaults(handler=_run_db_import)


def _enrich_settings(args: argparse.Namespace) -> EnrichSettings:
    from policyengine.enrich import settings_from

    return settings_from(
        os.environ,
        pypi_url=getattr(args, "pypi_url", None),
        npm_url=getattr(args, "npm_url", None),
        osv_url=getattr(args, "osv_url", None),
        cache_dir=args.cache_dir,
        offline=getattr(args, "offline", False),
        advisories=getattr(args, "advisories", None),
    )


def _run_enrich(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from policyengine.enrich import dump_bundle, enrich
    from policyengine.model import Sbom

    settings = _enrich_settings(args)
    sboms = [_read(args, path) for path in args.inputs]
    components = tuple(c for sbom in sboms if isinstance(sbom, Sbom) for c in sbom.components)
    first = sboms[0]
    assert isinstance(first, Sbom)
    evidence = enrich(replace(first, components=components), settings)
    try:
        with open(args.output, "wb") as handle:
            handle.write(dump_bundle(evidence))
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    return 0


def _run_db_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from policyengine.enrich.osv_db import AdvisoryDb

    settings = _enrich_settings(args)
    db = AdvisoryDb(settings.cache_dir)
    try:
        report = db.import_path(Path(args.path))
        total = db.count()
    finally:
        db.close()
    print(
        f"imported {report.records} advisories from {args.path} "
        f"({len(report.skipped)} files skipped; {total} in {db.path})",
        file=sys.stderr,
    )
    for name, reason in report.skipped[:20]:
        print(f"  skipped {name}: {reason}", file=sys.stderr)
    return 0


def _write(output: str | None, text: str) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code instead of exiting."""
    try:
        args = build_parser().parse_args(argv)
        handler: Handler = args.handler
        return handler(args)
    except PolicyEngineError as exc:
        print(f"policyengine: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("policyengine: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("POLICYENGINE_DEBUG"):
            raise
        print(
            f"policyengine: internal error: {type(exc).__name__}: {exc} "
            "(a bug: please report it; set POLICYENGINE_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
