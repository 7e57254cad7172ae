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

from policyengine import __version__
from policyengine.model import PolicyEngineError, UsageError

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
