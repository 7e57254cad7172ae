"""Command-line wiring and exit codes only; every behaviour lives in the library.

Exit codes (DESIGN.md): 0 pass, 1 policy failed, 2 usage or policy error,
3 unreadable or invalid input, 4 evidence incomplete where the policy requires it.
An unexpected internal error prints one line and exits 70 (EX_SOFTWARE) unless
``POLICYENGINE_DEBUG=1`` asks for the traceback. A reader that closes stdout early
gives 141 (as SIGPIPE would), except for check and diff, whose verdict decides.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import functools
import gc
import inspect
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from policyengine import __version__
from policyengine.model import PolicyEngineError, UsageError

if TYPE_CHECKING:
    from policyengine.application import CheckRequest
    from policyengine.engine import Evaluation
    from policyengine.enrich import EnrichSettings
    from policyengine.model import Evidence, Sbom
    from policyengine.model.policy import Policy
    from policyengine.model.verdict import RuleResult, Verdict
    from policyengine.report import BlockWriter

EXIT_INTERNAL = 70
EXIT_PIPE = 141
"""128 + SIGPIPE: stdout was closed before the output was written (not by check or diff)."""

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
    _add_check(sub)
    _add_diff(sub)
    _add_policy(sub)
    _add_checks(sub)
    _add_enrich(sub)
    _add_db(sub)
    _add_inventory(sub)
    _add_service(sub)
    return parser


def _add_service(sub: argparse._SubParsersAction[_Parser]) -> None:
    from policyengine import cli_service

    cli_service.add_commands(sub, _Parser)


def _add_inventory(sub: argparse._SubParsersAction[_Parser]) -> None:
    from policyengine import cli_store

    cli_store.add_commands(sub, _Parser)


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
    p.add_argument(
        "--include-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder that -r/-c lines of requirements files may read from, besides the "
        "input's own folder (repeatable)",
    )


SUPPORTED_INPUTS = """\
supported inputs (recognised by their content; gzip-compressed files too):
  SBOMs      CycloneDX JSON and XML 1.2-1.7; SPDX 2.2/2.3 JSON, YAML, tag-value,
             RDF/XML and XML; SPDX 3.0 JSON-LD (packages, purls, hashes, licenses,
             relationships)
  Python     requirements*.txt, pyproject.toml (PEP 621, Poetry), Pipfile,
             Pipfile.lock, poetry.lock, uv.lock, pdm.lock, pylock.toml
  JavaScript package.json, package-lock.json v1-v3, npm-shrinkwrap.json,
             yarn.lock (v1 and Berry), pnpm-lock.yaml (5-9)
"""


def _add_inspect(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "inspect",
        help="print the normalised components and coverage of an input",
        epilog=SUPPORTED_INPUTS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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

    _check_input_options(args)
    _check_output(args.output, "-o")
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
        "--ca-bundle",
        metavar="FILE",
        help="PEM file of CA certificates trusted on top of the system store, e.g. a company "
        "CA that re-signs TLS (env POLICYENGINE_CA_BUNDLE; SSL_CERT_FILE/SSL_CERT_DIR too)",
    )
    p.add_argument(
        "--offline", action="store_true", help="use only the cache and the offline database"
    )
    p.add_argument(
        "--deadline",
        metavar="SECONDS",
        help="seconds the whole enrichment may take; facts not answered by then are unknown "
        "(env POLICYENGINE_DEADLINE; default 600)",
    )
    p.add_argument(
        "--allow-redirect-host",
        metavar="HOST",
        action="append",
        help="a host a registry or OSV redirect may lead to besides the origin asked "
        "(repeatable; env POLICYENGINE_ALLOW_REDIRECT_HOSTS, comma-separated)",
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
    p.add_argument(
        "--contents",
        action="store_true",
        help="also download and inspect each version's artifacts (startup code, install hooks)",
    )
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
    imp.add_argument(
        "--store",
        metavar="URL",
        help="import into the release inventory instead (one copy for every machine sharing it)",
    )
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
        ca_bundle=getattr(args, "ca_bundle", None),
        deadline=_deadline(args),
        allow_redirect_hosts=_redirect_hosts(args),
    )


def _deadline(args: argparse.Namespace) -> float:
    """``--deadline`` or ``POLICYENGINE_DEADLINE``: a positive, finite number of seconds."""
    from policyengine.enrich import settings as names

    given = getattr(args, "deadline", None)
    if given is not None:
        return names.seconds_of(given or "-", "--deadline")
    return names.seconds_of(os.environ.get(names.ENV_DEADLINE) or "", names.ENV_DEADLINE)


def _redirect_hosts(args: argparse.Namespace) -> list[str]:
    """``--allow-redirect-host`` values (else the environment's), each a bare host[:port]."""
    from policyengine.enrich import settings as names

    return names.redirect_hosts_from(os.environ, getattr(args, "allow_redirect_host", None))


def _run_enrich(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from policyengine.enrich import dump_bundle, enrich
    from policyengine.model import Sbom

    _check_input_options(args)
    _check_output(args.output, "-o")
    settings = _checked_settings(args)
    sboms = [_read(args, path) for path in args.inputs]
    components = tuple(c for sbom in sboms if isinstance(sbom, Sbom) for c in sbom.components)
    first = sboms[0]
    assert isinstance(first, Sbom)
    kinds = None
    if args.contents:
        from policyengine.enrich import SUPPORTED_KINDS
        from policyengine.model import FactKind

        kinds = set(SUPPORTED_KINDS) | {FactKind.CONTENTS}
    evidence = enrich(replace(first, components=components), settings, kinds)
    _warn_about_gaps(evidence)
    try:
        with open(args.output, "wb") as handle:
            handle.write(dump_bundle(evidence))
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    return 0


def _run_db_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.store:
        from policyengine import cli_store

        return cli_store.import_advisories(args)
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


_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _output_failed(exc: OSError) -> bool:
    """Whether ``exc`` is a write to stdout that failed (a full disk, say), not a bug.

    An OSError from opening or reading a file names that file; one from writing the
    already open stdout names none.
    """
    return (
        not isinstance(exc, BrokenPipeError)
        and exc.filename is None
        and exc.errno in _OUTPUT_ERRNOS
    )


# --- check, diff, policy, checks (issue 5) -------------------------------------------------


def _add_judge_options(p: argparse.ArgumentParser) -> None:
    from policyengine.report import FORMATS

    p.add_argument(
        "--policy",
        action="append",
        required=True,
        metavar="P",
        help="policy file or shipped policy name (repeat to compose, later ones override)",
    )
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    p.add_argument(
        "--results",
        choices=("attention", "all"),
        default="attention",
        help="list the results that need attention and count passes per rule (default, "
        'verdict schema "2"), or list every result, passes included (schema "1")',
    )
    p.add_argument(
        "--fail-on",
        choices=("fail", "warn"),
        default="fail",
        help="exit 1 on a failing verdict (default) or also on warnings",
    )
    p.add_argument("--evidence", metavar="FILE", help="judge on this evidence bundle (no network)")
    p.add_argument("--record", metavar="FILE", help="also write the evidence used to FILE")
    p.add_argument(
        "--constraints",
        action="append",
        default=[],
        metavar="FILE",
        help="also write what keeps the failing versions out: a pip/uv constraints file, or "
        "an npm overrides snippet when FILE ends in .json (repeatable)",
    )
    p.add_argument(
        "--now", metavar="TIMESTAMP", help="evaluation time, RFC 3339 (default: the clock)"
    )
    _add_endpoint_options(p)
    _add_input_options(p)


def _add_check(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("check", help="judge SBOMs or lockfiles against a policy")
    p.add_argument("inputs", metavar="INPUT", nargs="+", help="SBOMs or lockfiles")
    _add_judge_options(p)
    p.add_argument(
        "--project-dir", metavar="DIR", help="project folder for manifest and lockfile facts"
    )
    from policyengine import cli_store

    cli_store.add_release_options(p)
    from policyengine import cli_service

    cli_service.add_server_option(p)
    p.set_defaults(handler=_run_check)


def _add_diff(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("diff", help="judge only the components HEAD adds or changes")
    p.add_argument("base", metavar="BASE", help="the SBOM or lockfile before")
    p.add_argument("head", metavar="HEAD", help="the SBOM or lockfile after")
    _add_judge_options(p)
    p.set_defaults(handler=_run_diff)


def _add_policy(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("policy", help="policy tooling: validate, test, schema")
    actions = p.add_subparsers(dest="policy_command", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    validate = actions.add_parser("validate", help="load policy files and report problems")
    validate.add_argument("files", metavar="FILE", nargs="+")
    validate.set_defaults(handler=_run_policy_validate)
    test = actions.add_parser(
        "test", help="run check case folders (docs/policy.md, Testing policies)"
    )
    test.add_argument("paths", metavar="PATH", nargs="+", help="case folders or folders of them")
    test.set_defaults(handler=_run_policy_test)
    schema = actions.add_parser("schema", help="print the policy JSON Schema")
    schema.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    schema.set_defaults(handler=_run_policy_schema)


def _add_checks(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("checks", help="list the checks, or explain one")
    p.add_argument("id", metavar="ID", nargs="?", help="a check slug or id")
    p.set_defaults(handler=_run_checks)


# --- options, validated before any work ----------------------------------------------------
# A usage error found after minutes of enrichment wastes them, and sends requests for a run
# that cannot succeed: every option and setting is checked before an input is read.


def _check_judge_options(args: argparse.Namespace) -> EnrichSettings:
    """Validate every option of check and diff; return the enrichment settings."""
    _now(args)
    _check_input_options(args)
    _check_output(args.output, "-o")
    _check_output(args.record, "--record")
    for path in getattr(args, "constraints", None) or ():
        _check_output(path, "--constraints")
    project_dir = getattr(args, "project_dir", None)
    if project_dir and not Path(project_dir).is_dir():
        raise UsageError(
            f"--project-dir {project_dir}: not a directory", hint="name the project's folder"
        )
    return _checked_settings(args, enriching=not args.evidence)


def _check_input_options(args: argparse.Namespace) -> None:
    if args.max_input_size is not None and args.max_input_size < 1:
        raise UsageError(
            f"--max-input-size {args.max_input_size}: not a positive number of bytes",
            hint="e.g. --max-input-size 1073741824 for 1 GiB",
        )


def _check_output(path: str | None, option: str) -> None:
    """An output file must be creatable: its folder exists and is writable."""
    if not path:
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a directory", hint="name a file to write")
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: no directory {folder}", hint="create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot write in {folder}", hint="permission denied")


def _checked_settings(args: argparse.Namespace, *, enriching: bool = True) -> EnrichSettings:
    """The enrichment settings, each checked; with the run's one TLS context when online.

    Registry URLs must be http(s) URLs and the ``--ca-bundle`` file must hold PEM
    certificates, whether or not the run ends up asking anything; a cache folder named by
    ``--cache-dir`` or the environment must be usable when the run may enrich
    (``enriching``: not judging a recorded bundle). The environment's proxies and
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` are checked only when it may go online (also not
    ``--offline``).
    """
    from policyengine.enrich import settings as names
    from policyengine.enrich.trust import tls_context

    settings = _enrich_settings(args)
    for option, env, value in (
        ("--pypi-url", names.ENV_PYPI_URL, settings.pypi_url),
        ("--npm-url", names.ENV_NPM_URL, settings.npm_url),
        ("--osv-url", names.ENV_OSV_URL, settings.osv_url),
    ):
        if not _is_web_url(value):
            given = option if getattr(args, option[2:].replace("-", "_"), None) else env
            raise UsageError(
                f"{given} {value!r}: not an http:// or https:// URL",
                hint="e.g. https://pypi.org or a mirror's base URL",
            )
    # A cache folder someone named is checked; the default one is not: a policy that needs
    # no facts must still run where the home folder is read-only.
    named = "--cache-dir" if args.cache_dir else None
    named = named or (names.ENV_CACHE_DIR if os.environ.get(names.ENV_CACHE_DIR) else None)
    if enriching and named:
        _check_cache_dir(settings.cache_dir, named)
    if not enriching or settings.offline:
        if settings.ca_bundle is not None:
            tls_context(settings.ca_bundle, {})  # unused in this run, but named: checked
        return settings
    # Built once for the whole run: loading a CA file costs ~30 ms, and each transport
    # (one per proxy) would otherwise load its own.
    context = tls_context(settings.ca_bundle, os.environ)
    from policyengine.enrich.proxies import proxy_routes  # imports httpx: only when online

    proxy_routes()
    return dataclasses.replace(settings, ssl_context=context)


_PLAIN_WEB_URL = re.compile(
    r"https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::(\d{1,5}))?(?:/[A-Za-z0-9._~/-]*)?"
)
"""A URL httpx accepts for sure (the defaults and most mirrors): no need to import it."""


def _is_web_url(value: str) -> bool:
    plain = _PLAIN_WEB_URL.fullmatch(value)
    if plain is not None and (plain[1] is None or int(plain[1]) <= 65535):
        return True
    import httpx

    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def _check_cache_dir(path: Path, setting: str) -> None:
    """The cache folder, or the nearest existing folder above it, must be writable."""
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{setting} {path}: {existing} is not a directory", hint="name a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{setting} {path}: cannot write in {existing}", hint="permission denied")


def _now(args: argparse.Namespace) -> datetime:
    if not args.now:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(args.now)
    except ValueError:
        raise UsageError(
            f"--now {args.now!r} is not an RFC 3339 time", hint="e.g. 2026-03-24T18:00:00Z"
        ) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        in_utc = None
    # Checks compute windows around it (release ages, cadences, waiver expiry): a time
    # outside these years is a typo, and near year 1 or 9999 that arithmetic overflows.
    if in_utc is None or not _EARLIEST <= in_utc.year <= _LATEST:
        raise UsageError(
            f"--now {args.now!r} is outside the years {_EARLIEST} to {_LATEST}",
            hint="e.g. 2026-03-24T18:00:00Z",
        )
    return moment


_EARLIEST, _LATEST = 1970, 9000


def _load_policy(args: argparse.Namespace) -> Policy:
    from policyengine.application import load_policy

    return load_policy(args.policy)


def _evidence(
    args: argparse.Namespace, sboms: Sequence[Sbom], policy: Policy, settings: EnrichSettings
) -> Evidence:
    from policyengine.application import evidence_for

    return evidence_for(_request(args, settings, inputs=()), sboms, policy)


def _warn(line: str) -> None:
    print(f"policyengine: warning: {line}", file=sys.stderr)


def _warn_about_gaps(evidence: Evidence) -> None:
    """One stderr line per fact kind that could not be obtained (see application.gap_warnings)."""
    from policyengine.application import gap_warnings

    for line in gap_warnings(evidence):
        _warn(line)


def _record(args: argparse.Namespace, evidence: Evidence) -> Evidence:
    """The evidence with its digest; written to ``--record FILE`` when asked."""
    from policyengine.application import name_evidence

    return name_evidence(evidence, args.evidence, args.record)


def _request(
    args: argparse.Namespace, settings: EnrichSettings, *, inputs: Sequence[str]
) -> CheckRequest:
    """The application's request for ``check`` (and ``diff``'s evidence) from the options."""
    from policyengine.application import CheckRequest, Input
    from policyengine.ingest import DEFAULT_MAX_BYTES

    return CheckRequest(
        inputs=tuple(Input(path) for path in inputs),
        policies=tuple(args.policy),
        settings=settings,
        now=_now(args) if args.now else None,
        max_bytes=args.max_input_size or DEFAULT_MAX_BYTES,
        validate=args.validate,
        evidence_file=args.evidence,
        record_file=args.record,
        project_dir=getattr(args, "project_dir", None),
        release=getattr(args, "release", None),
        results=getattr(args, "results", "attention"),
        warn=_warn,
    )


def _finish(args: argparse.Namespace, verdict: Verdict, policy: Policy) -> int:
    from policyengine.engine import fail_closed_rules
    from policyengine.report import verdict_writer
    from policyengine.report.incomplete import incomplete_line

    with verdict_writer(verdict, args.format, tool_version=__version__) as writer:
        _deliver(args, writer, verdict)
    if args.constraints:
        _write_constraints(args, verdict, verdict.results)
    blocking = fail_closed_rules(policy)
    return _exit_code(args, verdict, lambda: incomplete_line(verdict, blocking=blocking))


def _write_constraints(
    args: argparse.Namespace, verdict: Verdict, results: Sequence[RuleResult]
) -> None:
    """``--constraints``: the failing versions kept out, in each FILE's format."""
    from policyengine.report.constraints import Constraints

    found = Constraints()
    for result in results:
        found.add(result)
    header = (
        f"written by policyengine {__version__} from the verdict of {verdict.policy.name} "
        f"({verdict.policy.digest}) at {verdict.evaluated_at.isoformat()}"
    )
    for path in args.constraints:
        text = found.npm() if path.endswith(".json") else found.pip(header)
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _deliver(args: argparse.Namespace, writer: BlockWriter, verdict: Verdict) -> None:
    """Write the report to ``-o FILE`` or stdout; a reader gone early changes nothing."""
    if args.output:
        try:
            with open(args.output, "wb") as handle:
                writer.write(verdict, handle)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    elif (buffer := getattr(sys.stdout, "buffer", None)) is not None:
        try:
            sys.stdout.flush()
            writer.write(verdict, buffer)
            buffer.flush()
        except BrokenPipeError:
            _reader_gone()
    else:  # a text-only stdout (embedding, some test harnesses)
        memory = io.BytesIO()
        writer.write(verdict, memory)
        _write(None, memory.getvalue().decode())


def _reader_gone() -> None:
    """Stdout's reader left (``| head``): the verdict still decides the exit code.

    A gate piping the report somewhere must not read 0 from a failed verdict because the
    pipe closed early. Later writes to stdout (the interpreter's final flush) go nowhere.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _exit_code(args: argparse.Namespace, verdict: Verdict, incomplete: Callable[[], str]) -> int:
    if verdict.outcome == "fail":
        return 1
    if verdict.outcome == "incomplete":
        # Exit 4 alone does not say what to fix: name the components without evidence.
        print(f"policyengine: {incomplete()}", file=sys.stderr)
        return 4
    if verdict.outcome == "warn" and args.fail_on == "warn":
        return 1
    return 0


def _gc_paused(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a judging command with the cyclic garbage collector paused.

    The readers, the bundle loader and the engine each pause it while they build, but
    everything they build survives them, so the first collection after each phase
    rescanned it all: ~0.5 s of 6 s at 10,000 components (benchmarks/README.md). A run
    leaves about a thousand cyclic objects behind and the same peak memory.
    """

    @functools.wraps(run)
    def paused(args: argparse.Namespace) -> int:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return run(args)
        finally:
            if was_enabled:
                gc.enable()

    return paused


@_gc_paused
def _run_check(args: argparse.Namespace) -> int:
    from policyengine import application, cli_store
    from policyengine.engine import Evaluation, evaluate
    from policyengine.report import STREAMED

    if args.server:
        from policyengine import cli_service

        return cli_service.run_remote_check(args)
    settings = _check_judge_options(args)
    cli_store.check_release(args)
    request = _request(args, settings, inputs=args.inputs)
    prepared = application.prepare(request, functools.partial(_read_sbom, args))
    policy = prepared.policy
    if args.release:
        # The inventory keeps the whole verdict: judged in memory, written as usual, kept.
        verdict = evaluate(
            prepared.sboms, prepared.evidence, policy, _now(args), results=args.results
        )
        code = _finish(args, verdict, policy)
        cli_store.keep_release(args, request, prepared, verdict)
        return code
    if args.format in STREAMED:
        # Written rule by rule as evaluated: 50,000 components give 750,000 results and a
        # 370 MB verdict with release-gate (benchmarks/README.md).
        run = Evaluation(
            prepared.sboms, prepared.evidence, policy, _now(args), results=args.results
        )
        del prepared
        return _stream(args, run, policy)
    verdict = evaluate(prepared.sboms, prepared.evidence, policy, _now(args), results=args.results)
    # The verdict holds its own copies; freeing the inputs before rendering lowers the
    # peak at 50k components by the size of the evidence (benchmarks/README.md).
    del prepared
    return _finish(args, verdict, policy)


def _stream(args: argparse.Namespace, run: Evaluation, policy: Policy) -> int:
    from policyengine.engine import fail_closed_rules
    from policyengine.report import block_writer
    from policyengine.report.incomplete import Lacking

    lacking = Lacking(fail_closed_rules(policy))
    failing: list[RuleResult] = []
    with block_writer(args.format, inputs=run.subject.inputs, tool_version=__version__) as writer:
        for block in run.blocks():
            for result in block:
                lacking.add(result)
                if result.outcome == "fail" and args.constraints:
                    failing.append(result)
            writer.add(block)
        verdict = run.verdict()
        # The output is opened only now: a failed evaluation leaves no half-written file.
        _deliver(args, writer, verdict)
    if args.constraints:
        _write_constraints(args, verdict, failing)
    return _exit_code(args, verdict, lambda: lacking.line(verdict.summary.components))


@_gc_paused
def _run_diff(args: argparse.Namespace) -> int:
    from policyengine.application import with_project_facts
    from policyengine.engine import changed_components, evaluate_diff

    settings = _check_judge_options(args)
    policy = _load_policy(args)
    base, head = _read_sbom(args, args.base), _read_sbom(args, args.head)
    keys = changed_components(base, head)
    changed = dataclasses.replace(
        head, components=tuple(c for c in head.components if c.key in keys)
    )
    evidence = with_project_facts(
        _evidence(args, [changed], policy, settings),
        policy,
        [head],
        project_dir=None,
        first_input=args.head,
    )
    evidence = _record(args, evidence)
    verdict = evaluate_diff(base, head, evidence, policy, _now(args), results=args.results)
    return _finish(args, verdict, policy)


def _read_sbom(args: argparse.Namespace, path: str) -> Sbom:
    from policyengine.model import Sbom

    sbom = _read(args, path)
    assert isinstance(sbom, Sbom)
    return sbom


def _run_policy_validate(args: argparse.Namespace) -> int:
    from policyengine.checks import registry
    from policyengine.policy.loader import load_policy

    failed = 0
    for file in args.files:
        try:
            policy = load_policy(file, checks=registry.CHECKS)
        except PolicyEngineError as exc:
            print(f"policyengine: error: {exc.one_line()}", file=sys.stderr)
            failed += 1
            continue
        print(f"{file}: ok ({len(policy.rules)} rules, {len(policy.waivers)} waivers)")
    return 2 if failed else 0


def _run_policy_schema(args: argparse.Namespace) -> int:
    from policyengine.checks import registry
    from policyengine.policy.schema import policy_schema

    text = json.dumps(policy_schema(registry.CHECKS), indent=2, ensure_ascii=False) + "\n"
    _write(args.output, text)
    return 0


def _run_policy_test(args: argparse.Namespace) -> int:
    from policyengine.cases import find_cases, run_case
    from policyengine.checks import registry

    cases = find_cases(args.paths)
    if not cases:
        raise UsageError(
            f"no case folders (with expected.yaml) under {' '.join(args.paths)}",
            hint="see docs/policy.md, section Testing policies, for the case folder layout",
        )
    failed = 0
    covered: dict[str, set[str]] = {}
    rules: dict[str, set[str]] = {}
    for folder in cases:
        result = run_case(folder)
        for check, outcomes in result.outcomes.items():
            covered.setdefault(check, set()).update(outcomes)
        for rule, outcomes in result.rules.items():
            rules.setdefault(rule, set()).update(outcomes)
        if result.passed:
            print(f"ok    {folder}")
        else:
            failed += 1
            print(f"FAIL  {folder}")
            for problem in result.problems:
                print(f"      {problem}")
    print(f"\n{len(cases) - failed} passed, {failed} failed")
    print("check coverage (outcomes exercised):")
    for slug in (c.slug for c in registry.CHECKS):
        seen = covered.get(slug)
        print(f"  {slug:28} {', '.join(sorted(seen)) if seen else 'no cases'}")
    exercised = sum(1 for outcomes in rules.values() if outcomes)
    print(f"rule coverage: {exercised} of {len(rules)} rules have an expected result")
    for rule in sorted(rules):
        print(f"  {rule:40} {', '.join(sorted(rules[rule])) or 'not exercised'}")
    return 1 if failed else 0


def _run_checks(args: argparse.Namespace) -> int:
    from policyengine.checks import registry
    from policyengine.checks.docs import needs_of

    if args.id is None:
        for listed in registry.CHECKS:
            needs = ", ".join(k.value for k in needs_of(listed)) or "-"
            print(f"{listed.slug:28} {listed.id:12} {listed.title}  [needs: {needs}]")
        return 0
    check = registry.get_check(args.id)
    if check is None:
        known = ", ".join(c.slug for c in registry.CHECKS)
        raise UsageError(f"no check {args.id!r}", hint=f"known checks: {known}")
    params = json.dumps(check.params_model.model_json_schema(), indent=2)
    doc = inspect.cleandoc(check.__doc__ or "")
    print(f"{check.slug} ({check.id}): {check.title}")
    needed = ", ".join(k.value for k in needs_of(check)) or "nothing"
    print(f"level: {check.level}; needs (default parameters): {needed}")
    print()
    print(doc)
    print()
    print("params schema:")
    print(params)
    return 0


@contextlib.contextmanager
def _include_dirs(folders: list[str] | None) -> Iterator[None]:
    """Let nested requirement files come from ``--include-dir`` folders (checked first)."""
    if not folders:
        yield
        return
    for folder in folders:
        if not Path(folder).is_dir():
            raise UsageError(
                f"--include-dir {folder}: no such folder", hint="name an existing folder"
            )
    from policyengine.ingest.lockfiles.requirements import include_dirs

    with include_dirs(folders):
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code instead of exiting."""
    try:
        args = build_parser().parse_args(argv)
        handler: Handler = args.handler
        with _include_dirs(getattr(args, "include_dir", None)):
            return handler(args)
    except PolicyEngineError as exc:
        print(f"policyengine: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("policyengine: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Stdout's reader left before the output was written (``| head``), outside
        # check and diff, whose verdict decides: what a shell reports for SIGPIPE, so
        # that e.g. a failing ``policy test`` is not read as 0.
        _reader_gone()
        return EXIT_PIPE
    except Exception as exc:
        if os.environ.get("POLICYENGINE_DEBUG"):
            raise
        if isinstance(exc, OSError) and _output_failed(exc):  # `policyengine checks > /dev/full`
            _reader_gone()
            print(
                f"policyengine: error: cannot write the output: {exc.strerror} "
                "(free some space, or write it elsewhere)",
                file=sys.stderr,
            )
            return UsageError.exit_code
        print(
            f"policyengine: internal error: {type(exc).__name__}: {exc} "
            "(a bug: please report it; set POLICYENGINE_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
