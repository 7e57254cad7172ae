"""Command-line wiring of the gate service: ``serve``, ``tokens ...``, ``check --server``.

Wiring only, like :mod:`policyengine.cli`: the service is :mod:`policyengine.service`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

from policyengine.model import UsageError


def add_commands(sub: argparse._SubParsersAction[Any], parser_class: type) -> None:
    """Register ``serve`` and ``tokens``."""
    from policyengine import cli, cli_store

    serve = sub.add_parser("serve", help="run the gate service (HTTP API under /v1)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (more than one needs a PostgreSQL store)",
    )
    serve.add_argument(
        "--policy-dir",
        metavar="DIR",
        help="the organisation's policies: DIR/NAME.yaml is policy NAME (besides the shipped ones)",
    )
    serve.add_argument(
        "--allow-policy-upload",
        action="store_true",
        help="accept policies sent with a check (multipart); by default only the server's",
    )
    serve.add_argument(
        "--per-token-concurrency",
        type=int,
        default=4,
        metavar="N",
        help="checks one token may run at once per process; more are answered 429 (default 4)",
    )
    serve.add_argument(
        "--check-threads",
        type=int,
        default=None,
        metavar="N",
        help="checks judged at once per process; more wait their turn (default: four per CPU; "
        "a check also waits on the store and the registries)",
    )
    serve.add_argument(
        "--request-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="the longest a check may take; the enrichment gets three quarters (default 120)",
    )
    serve.add_argument(
        "--max-input-size",
        type=int,
        default=None,
        metavar="BYTES",
        help="refuse bodies larger than this (default 512 MiB, also after gunzip)",
    )
    cli._add_endpoint_options(serve)
    cli_store.add_store_option(serve)
    serve.set_defaults(handler=run_serve)

    tokens = sub.add_parser("tokens", help="bearer tokens of the gate service")
    actions = tokens.add_subparsers(
        dest="tokens_command", metavar="ACTION", parser_class=parser_class
    )
    actions.required = True
    create = actions.add_parser("create", help="make a token (its secret is shown once)")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=("check", "read", "admin"),
        help="what the token may do (repeatable): check, read, admin (admin implies the others)",
    )
    create.add_argument(
        "--release-prefix", metavar="P", help="only releases whose name starts with P"
    )
    create.add_argument("--name", metavar="N", default="", help="a name for people")
    create.add_argument("--format", choices=("json", "table"), default="table")
    cli_store.add_store_option(create)
    create.set_defaults(handler=run_tokens_create)
    listing = actions.add_parser("list", help="every token (never the secrets)")
    listing.add_argument("--format", choices=("json", "table"), default="table")
    cli_store.add_store_option(listing)
    listing.set_defaults(handler=run_tokens_list)
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id", metavar="ID")
    cli_store.add_store_option(revoke)
    revoke.set_defaults(handler=run_tokens_revoke)


def add_server_option(p: argparse.ArgumentParser) -> None:
    """``check --server URL``."""
    p.add_argument(
        "--server",
        metavar="URL",
        help="judge on this gate service instead of here (token in POLICYENGINE_TOKEN); "
        "the same reports and exit codes",
    )


# --- serve ---------------------------------------------------------------------------------


def run_serve(args: argparse.Namespace) -> int:
    """``serve``: until stopped."""
    from policyengine import cli
    from policyengine.ingest import DEFAULT_MAX_BYTES
    from policyengine.service.config import ServiceConfig
    from policyengine.service.server import serve
    from policyengine.store import make_engine, resolve_url

    for option, value in (
        ("--workers", args.workers),
        ("--per-token-concurrency", args.per_token_concurrency),
        ("--check-threads", args.check_threads if args.check_threads is not None else 1),
        ("--max-input-size", args.max_input_size if args.max_input_size is not None else 1),
    ):
        if value < 1:
            raise UsageError(f"{option} {value}: not a positive number")
    if not args.request_timeout > 0:
        raise UsageError(f"--request-timeout {args.request_timeout}: not a positive number")
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: not a port number")
    policy_dir = Path(args.policy_dir) if args.policy_dir else None
    if policy_dir is not None and not policy_dir.is_dir():
        raise UsageError(f"--policy-dir {policy_dir}: not a directory", hint="name a folder")
    url = resolve_url(args.store, os.environ)
    engine = make_engine(url)
    dialect = engine.dialect.name
    engine.dispose()
    if args.workers > 1 and dialect != "postgresql":
        raise UsageError(
            f"--workers {args.workers} needs a PostgreSQL store (SQLite is for one process)",
            hint="--store postgresql://user@host/db, or --workers 1",
        )
    config = ServiceConfig(
        store_url=url,
        settings=cli._checked_settings(args),
        policy_dir=policy_dir,
        allow_policy_upload=args.allow_policy_upload,
        max_body=args.max_input_size or DEFAULT_MAX_BYTES,
        per_token=args.per_token_concurrency,
        request_timeout=args.request_timeout,
    )
    if args.check_threads is not None:
        config = dataclasses.replace(config, check_threads=args.check_threads)
    serve(config, host=args.host, port=args.port, workers=args.workers)
    return 0


# --- tokens --------------------------------------------------------------------------------


def run_tokens_create(args: argparse.Namespace) -> int:
    """``tokens create``: the secret on stdout, once."""
    from policyengine.cli_store import opened
    from policyengine.service.tokens import create

    with opened(args) as store:
        made = create(store, args.scope, name=args.name, release_prefix=args.release_prefix)
    if args.format == "json":
        print(json.dumps({"token": made.secret, **_token_doc(made.row)}))
    else:
        print(made.secret)
        print(
            f"policyengine: token {made.row.id} ({', '.join(made.row.scopes)}) created; "
            "its secret is shown only now",
            file=sys.stderr,
        )
    return 0


def _token_doc(row: Any) -> dict[str, Any]:
    from policyengine.watch.documents import stamp

    return {
        "id": row.id,
        "name": row.name,
        "scopes": list(row.scopes),
        "release_prefix": row.release_prefix,
        "created_at": stamp(row.created_at),
        "revoked_at": stamp(row.revoked_at) if row.revoked_at else None,
    }


def run_tokens_list(args: argparse.Namespace) -> int:
    """``tokens list``."""
    from policyengine.cli_store import _emit, _table, opened
    from policyengine.store.tokens import StoredTokens

    with opened(args) as store:
        rows = StoredTokens(store).all()
    docs = [_token_doc(r) for r in rows]
    table = _table(
        ("ID", "NAME", "SCOPES", "RELEASES", "CREATED", "REVOKED"),
        [
            (
                d["id"],
                d["name"],
                ",".join(d["scopes"]),
                (d["release_prefix"] + "*") if d["release_prefix"] else "all",
                d["created_at"],
                d["revoked_at"] or "-",
            )
            for d in docs
        ],
    )
    _emit(args, {"tokens": docs}, table)
    return 0


def run_tokens_revoke(args: argparse.Namespace) -> int:
    """``tokens revoke ID``."""
    from policyengine.cli_store import opened
    from policyengine.store.tokens import StoredTokens

    with opened(args) as store:
        row = StoredTokens(store).revoke(args.id)
    if row is None:
        raise UsageError(f"no token {args.id!r}", hint="see `policyengine tokens list`")
    print(f"policyengine: token {row.id} revoked", file=sys.stderr)
    return 0


# --- check --server ------------------------------------------------------------------------

_LOCAL_ONLY = (
    ("evidence", "--evidence"),
    ("record", "--record"),
    ("constraints", "--constraints"),
    ("project_dir", "--project-dir"),
    ("store", "--store"),
    ("offline", "--offline"),
)


def run_remote_check(args: argparse.Namespace) -> int:
    """``check INPUT --server URL``: the report and exit code of a local check."""
    from policyengine import cli
    from policyengine.ingest import DEFAULT_MAX_BYTES, read_bytes
    from policyengine.service.client import ENV_TOKEN, ask, exit_code_of

    for attr, option in _LOCAL_ONLY:
        if getattr(args, attr, None):
            raise UsageError(
                f"{option} is not sent to a server",
                hint="judge locally for it, or leave it out with --server",
            )
    if len(args.inputs) != 1:
        raise UsageError("--server judges one input at a time", hint="run one check per input")
    cli._now(args)
    cli._check_input_options(args)
    cli._check_output(args.output, "-o")
    token = os.environ.get(ENV_TOKEN, "").strip()
    if not token:
        raise UsageError(
            f"--server needs a token in {ENV_TOKEN}",
            hint="ask the service's administrator (`policyengine tokens create --scope check`)",
        )
    if args.release:
        from policyengine.watch.keep import parse_release

        parse_release(args.release)
    path = args.inputs[0]
    body = read_bytes(Path(path), max_bytes=args.max_input_size or DEFAULT_MAX_BYTES)
    params: list[tuple[str, str | int | float | bool | None]] = [("policy", p) for p in args.policy]
    params += [("format", args.format), ("name", path), ("results", args.results)]
    if args.now:
        params.append(("now", args.now))
    if args.release:
        params.append(("release", args.release))
    if args.validate:
        params.append(("validate", "true"))
    answer = ask(args.server, token, body, params)
    for line in answer.warnings:
        print(f"policyengine: warning: {line}", file=sys.stderr)
    if answer.status != 200 or answer.outcome is None:
        detail = answer.detail or f"the service answered HTTP {answer.status}"
        print(f"policyengine: error: {detail}", file=sys.stderr)
        return exit_code_of(answer.status)
    _deliver(args, answer.body)
    code = _exit_code(args, answer.outcome, answer.incomplete)
    if answer.kept:
        seq, _, outcome = answer.kept.partition(" ")
        print(f"policyengine: kept {args.release} (verdict {seq}: {outcome})", file=sys.stderr)
    return code


def _deliver(args: argparse.Namespace, data: bytes) -> None:
    if args.output:
        try:
            Path(args.output).write_bytes(data)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
        return
    from policyengine import cli

    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode())
        sys.stdout.flush()
        return
    try:
        sys.stdout.flush()
        buffer.write(data)
        buffer.flush()
    except BrokenPipeError:
        cli._reader_gone()


def _exit_code(args: argparse.Namespace, outcome: str, incomplete: str | None) -> int:
    """The exit code of a local check with this outcome (cli._exit_code's rule)."""
    if outcome == "fail":
        return 1
    if outcome == "incomplete":
        print(f"policyengine: {incomplete or 'evidence incomplete'}", file=sys.stderr)
        return 4
    if outcome == "warn" and args.fail_on == "warn":
        return 1
    return 0
