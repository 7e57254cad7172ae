"""Command-line wiring of the release inventory: ``releases ...``, ``worker``, ``check --release``.

Wiring only, like :mod:`policyengine.cli`: the store is :mod:`policyengine.store`, the
questions and re-judging are :mod:`policyengine.watch`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policyengine.model import UsageError
from policyengine.watch.documents import release_doc as _release_doc
from policyengine.watch.documents import stamp as _stamp
from policyengine.watch.documents import verdict_doc as _verdict_doc

if TYPE_CHECKING:
    from policyengine.application import CheckRequest, Prepared
    from policyengine.model.verdict import Verdict
    from policyengine.store import Holder, ReleaseRow, Store
    from policyengine.watch.advisory_store import AdvisorySource


def add_store_option(p: argparse.ArgumentParser) -> None:
    """``--store URL`` (env POLICYENGINE_STORE; default an SQLite file in the user data folder)."""
    p.add_argument(
        "--store",
        metavar="URL",
        help="inventory: sqlite:///FILE or postgresql://... (env POLICYENGINE_STORE; "
        "default an SQLite file in the user data folder)",
    )


def add_release_options(p: argparse.ArgumentParser) -> None:
    """``check --release NAME@VERSION [--store URL]``."""
    p.add_argument(
        "--release",
        metavar="NAME@VERSION",
        help="also keep this judged release in the inventory (see `policyengine releases`)",
    )
    add_store_option(p)


def add_commands(sub: argparse._SubParsersAction[Any], parser_class: type) -> None:
    """Register ``releases`` and ``worker``."""
    p = sub.add_parser("releases", help="the release inventory: list, show, affected, rejudge")
    actions = p.add_subparsers(dest="releases_command", metavar="ACTION", parser_class=parser_class)
    actions.required = True

    listing = actions.add_parser("list", help="every stored release with its latest outcome")
    listing.add_argument("--name", metavar="NAME", help="only the releases of NAME")
    _common(listing)
    listing.set_defaults(handler=run_list)

    show = actions.add_parser("show", help="one release: components, latest verdict")
    show.add_argument("release", metavar="NAME@VERSION")
    show.add_argument(
        "--verdict", action="store_true", help="print the latest verdict JSON as it was written"
    )
    _common(show)
    show.set_defaults(handler=run_show)

    history = actions.add_parser("history", help="every verdict of one release, oldest first")
    history.add_argument("release", metavar="NAME@VERSION")
    _common(history)
    history.set_defaults(handler=run_history)

    affected = actions.add_parser(
        "affected", help="the releases containing a package version or affected by an advisory"
    )
    affected.add_argument("purl", metavar="PURL", nargs="?", help="e.g. pkg:pypi/litellm@1.82.8")
    affected.add_argument("--advisory", metavar="ID", help="an advisory id from `db import`")
    affected.add_argument(
        "--versions", metavar="RANGE", help="PEP 440 specifiers (PyPI) or a semver range (npm)"
    )
    affected.add_argument("--cache-dir", metavar="DIR", help="where the advisory database is")
    affected.add_argument(
        "--limit",
        metavar="N",
        type=_count,
        default=AFFECTED_PAGE,
        help=f"list at most N releases (default {AFFECTED_PAGE}); `total` counts them all",
    )
    affected.add_argument(
        "--offset", metavar="N", type=_count, default=0, help="skip the first N releases"
    )
    affected.add_argument(
        "--all",
        action="store_true",
        help="list every release, written out as it is read (no --limit)",
    )
    _common(affected)
    affected.set_defaults(handler=run_affected)

    rejudge = actions.add_parser(
        "rejudge",
        help="re-judge the releases whose components' facts changed since their last verdict",
    )
    rejudge.add_argument("--all", action="store_true", help="re-judge every release (nightly)")
    rejudge.add_argument(
        "--evidence",
        metavar="FILE",
        help="a newer evidence bundle: its registry facts replace the stored ones",
    )
    rejudge.add_argument(
        "--notify",
        metavar="URL",
        help="POST each change to this webhook, signed with POLICYENGINE_WEBHOOK_SECRET",
    )
    rejudge.add_argument("--now", metavar="TIMESTAMP", help="evaluation time (default: the clock)")
    rejudge.add_argument("--cache-dir", metavar="DIR", help="where the advisory database is")
    rejudge.add_argument(
        "--queue",
        action="store_true",
        help="on PostgreSQL: defer one job per release to `policyengine worker` processes",
    )
    _common(rejudge)
    rejudge.set_defaults(handler=run_rejudge)

    worker = sub.add_parser("worker", help="run re-judging jobs from a PostgreSQL store's queue")
    worker.add_argument("--cache-dir", metavar="DIR", help="where the advisory database is")
    worker.add_argument(
        "--burst", action="store_true", help="exit when the queue is empty instead of waiting"
    )
    worker.add_argument("--concurrency", type=int, default=1, metavar="N")
    worker.add_argument(
        "--stalled-after",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="retry the jobs of workers silent this long (killed mid-job); default 30",
    )
    add_store_option(worker)
    worker.set_defaults(handler=run_worker)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("json", "table"), default="table")
    add_store_option(p)


@contextmanager
def opened(args: argparse.Namespace) -> Iterator[Store]:
    """The store the options name, closed afterwards."""
    from policyengine.store import open_store, resolve_url

    store = open_store(resolve_url(getattr(args, "store", None), os.environ))
    try:
        yield store
    finally:
        store.close()


def cache_dir(args: argparse.Namespace) -> Path:
    """``--cache-dir`` / POLICYENGINE_CACHE_DIR / the user cache folder."""
    from policyengine.enrich import settings_from

    return settings_from(os.environ, cache_dir=getattr(args, "cache_dir", None)).cache_dir


@contextmanager
def advisory_db(args: argparse.Namespace, store: Store) -> Iterator[AdvisorySource]:
    """The store's advisory database if imports went there, else that of ``--cache-dir``."""
    from policyengine.watch.advisory_store import advisory_source

    with advisory_source(store, cache_dir(args)) as db:
        yield db


def import_advisories(args: argparse.Namespace) -> int:
    """``db import PATH --store URL``: the records go into the store, for every machine."""
    from policyengine.watch.advisory_store import StoreAdvisoryDb, import_into_store

    with opened(args) as store:
        report = import_into_store(store, Path(args.path))
        total = StoreAdvisoryDb(store).count()
        where = StoreAdvisoryDb(store).path
    print(
        f"imported {report.records} advisories from {args.path} "
        f"({len(report.skipped)} files skipped; {total} in {where})",
        file=sys.stderr,
    )
    for name, reason in report.skipped[:20]:
        print(f"  skipped {name}: {reason}", file=sys.stderr)
    return 0


# --- check --release -----------------------------------------------------------------------


def check_release(args: argparse.Namespace) -> None:
    """Refuse a malformed ``--release`` (or a ``--store`` without it) before any work."""
    if getattr(args, "release", None) is None:
        if getattr(args, "store", None):
            raise UsageError("--store needs --release NAME@VERSION")
        return
    from policyengine.store import make_engine, resolve_url
    from policyengine.watch.keep import parse_release

    parse_release(args.release)
    # A URL that names no usable store is refused now, not after the verdict is written.
    make_engine(resolve_url(getattr(args, "store", None), os.environ)).dispose()


def keep_release(
    args: argparse.Namespace, request: CheckRequest, prepared: Prepared, verdict: Verdict
) -> None:
    """Store the judged release named by ``--release``; one line on stderr says so."""
    from policyengine.application import keep

    with opened(args) as store:
        row = keep(store, request, prepared, verdict)
    print(f"policyengine: kept {args.release} (verdict {row.seq}: {row.outcome})", file=sys.stderr)


# --- releases list | show | history --------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(lines) + "\n"


def _emit(args: argparse.Namespace, document: Any, table: str) -> None:
    if args.format == "json":
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(table)
    sys.stdout.flush()


def run_list(args: argparse.Namespace) -> int:
    """``releases list``."""
    with opened(args) as store:
        rows = store.releases(name=args.name)
    table = _table(
        ("RELEASE", "VERSION", "STORED", "COMPONENTS", "VERDICTS", "FIRST", "LATEST"),
        [
            (
                r.name,
                r.version,
                _stamp(r.created_at),
                str(r.components),
                str(r.verdicts),
                r.first.outcome,
                r.latest.outcome,
            )
            for r in rows
        ],
    )
    _emit(args, {"releases": [_release_doc(r) for r in rows]}, table)
    return 0


def _one(store: Store, text: str) -> ReleaseRow:
    from policyengine.watch.keep import parse_release

    name, version = parse_release(text)
    row = store.release(name, version)
    if row is None:
        raise UsageError(f"no release {name}@{version} in the store", hint="see `releases list`")
    return row


def run_show(args: argparse.Namespace) -> int:
    """``releases show NAME@VERSION``."""
    with opened(args) as store:
        row = _one(store, args.release)
        if args.verdict:
            data = store.blob(row.latest.verdict_blob)
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return 0
        inputs = [source for source, _ in store.inputs(row.id)]
    latest = row.latest
    table = (
        f"release     {row.name}@{row.version}\n"
        f"stored      {_stamp(row.created_at)}\n"
        f"inputs      {', '.join(inputs)}\n"
        f"components  {row.components}\n"
        f"verdicts    {row.verdicts} (first: {row.first.outcome}, {_stamp(row.first.judged_at)})\n"
        f"latest      {latest.outcome} ({latest.reason}, {_stamp(latest.judged_at)}; "
        f"policy {latest.policy_name})\n"
        f"summary     {', '.join(f'{k} {v}' for k, v in sorted(latest.summary.items()))}\n"
    )
    _emit(args, {**_release_doc(row), "inputs": inputs}, table)
    return 0


def run_history(args: argparse.Namespace) -> int:
    """``releases history NAME@VERSION``."""
    with opened(args) as store:
        row = _one(store, args.release)
        verdicts = store.history(row.id)
    table = _table(
        ("#", "JUDGED", "REASON", "OUTCOME", "FAILED", "WARNED", "UNKNOWN", "POLICY"),
        [
            (
                str(v.seq),
                _stamp(v.judged_at),
                v.reason,
                v.outcome,
                str(v.summary.get("failed", 0)),
                str(v.summary.get("warned", 0)),
                str(v.summary.get("unknown", 0)),
                v.policy_name,
            )
            for v in verdicts
        ],
    )
    document = {
        "release": row.name,
        "version": row.version,
        "verdicts": [_verdict_doc(v) for v in verdicts],
    }
    _emit(args, document, table)
    return 0


# --- releases affected ---------------------------------------------------------------------


AFFECTED_PAGE = 1000
"""How many releases ``releases affected`` lists unless told (``--limit``, ``--all``)."""


def _count(text: str) -> int:
    """A non-negative whole number for ``--limit`` and ``--offset``."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def run_affected(args: argparse.Namespace) -> int:
    """``releases affected PURL | --advisory ID [--versions RANGE] [--limit N] [--all]``.

    A package held by the whole fleet is held by thousands of releases: a page of them
    (``--limit``, ``--offset``) comes with the total and, per package version, when it
    first appeared (both over every release); ``--all`` writes every release out as
    the database hands it over.
    """
    if bool(args.purl) == bool(args.advisory):
        raise UsageError("give either a PURL or --advisory ID", hint="e.g. pkg:pypi/litellm@1.82.8")
    if args.all and (args.offset or args.limit != AFFECTED_PAGE):
        raise UsageError("--all lists every release: give it without --limit or --offset")
    with opened(args) as store:
        total, shown = answer_affected(store, args)
    if shown < total - (0 if args.all else args.offset):
        start = args.offset + 1 if shown else args.offset
        print(
            f"policyengine: listed releases {start}-{args.offset + shown} of {total};"
            " --offset/--limit for another page, --all for every one",
            file=sys.stderr,
        )
    return 0


def answer_affected(store: Store, args: argparse.Namespace) -> tuple[int, int]:
    """Write the ``releases affected`` answer to stdout: (releases in all, releases listed)."""
    from policyengine.watch.affected import advisory_versions, first_seen, purl_versions

    if args.advisory:
        with advisory_db(args, store) as db:
            ident, ids = advisory_versions(store, db, args.advisory, args.versions)
        query: dict[str, Any] = {"advisory": ident, "asked": args.advisory}
    else:
        ids = purl_versions(store, args.purl, args.versions)
        query = {"purl": args.purl}
    if args.versions:
        query["versions"] = args.versions
    if args.all:
        totals, found = store.holder_totals(ids), store.stream_holders(ids)
    else:
        totals, page = store.holders_page(ids, args.limit, args.offset)
        found = iter(page)
    total = sum(t.releases for t in totals)
    head: dict[str, Any] = {
        "query": query,
        "total": total,
        "offset": 0 if args.all else args.offset,
        "limit": None if args.all else args.limit,
        "first_seen": first_seen(totals),
    }
    return total, _write_affected(args, head, found)


def _write_affected(args: argparse.Namespace, head: dict[str, Any], found: Iterator[Holder]) -> int:
    """Write the answer as the rows come (JSON as ``json.dumps(indent=2)`` would); the count."""
    import orjson

    from policyengine.watch.affected import document

    out = sys.stdout
    shown = 0
    if args.format == "json":
        opening = json.dumps({**head, "releases": []}, indent=2, ensure_ascii=False)
        out.write(opening[: opening.rindex("[]")] + "[")
        for hit in found:
            # orjson's two-space indent is json.dumps(indent=2)'s, in C (UTF-8, as
            # ensure_ascii=False writes): the standard encoder with an indent is pure Python.
            text = orjson.dumps(document(hit), option=orjson.OPT_INDENT_2).decode()
            out.write(("," if shown else "") + "\n    " + text.replace("\n", "\n    "))
            shown += 1
        out.write(("\n  ]" if shown else "]") + "\n}\n")
    else:
        headers = ("RELEASE", "VERSION", "STORED", "COMPONENT", "GATE THEN", "GATE NOW")
        # Columns as wide as the first thousand rows need: the rest is written as read.
        batch: list[tuple[str, ...]] = []
        widths: list[int] | None = None
        for hit in found:
            batch.append(_affected_cells(hit))
            shown += 1
            if widths is None and len(batch) == 1000:
                widths = _widths(headers, batch)
                out.write(_row(headers, widths))
            if widths is not None:
                out.writelines(_row(cells, widths) for cells in batch)
                batch.clear()
        if widths is None:
            widths = _widths(headers, batch)
            out.write(_row(headers, widths))
        out.writelines(_row(cells, widths) for cells in batch)
    out.flush()
    return shown


def _affected_cells(h: Holder) -> tuple[str, ...]:
    return (
        h.release,
        h.version,
        _stamp(h.released_at),
        f"{h.component}@{h.component_version}",
        f"{h.first_outcome} ({_stamp(h.first_judged_at)})",
        h.outcome,
    )


def _widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    return widths


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n"


# --- releases rejudge, worker --------------------------------------------------------------


def _now(text: str | None) -> datetime | None:
    if not text:
        return None
    from datetime import UTC

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--now {text!r} is not an RFC 3339 time", hint="e.g. 2026-03-24T18:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_rejudge(args: argparse.Namespace) -> int:
    """``releases rejudge``: exit 1 when a release's outcome got worse, else 0."""
    from policyengine.watch.notify import Notifier
    from policyengine.watch.rejudge import AdvisoryFacts, Change, rejudge

    now = _now(args.now)
    fresh = None
    if args.evidence:
        try:
            fresh = Path(args.evidence).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.evidence}: {exc.strerror}") from None
    notifier = Notifier.from_env(args.notify, os.environ) if args.notify else None

    def changed(change: Change) -> None:
        if notifier is not None and change.after != change.before:
            notifier.send(f"{change.release}@{change.version}", change.document())

    try:
        with opened(args) as store, advisory_db(args, store) as db:
            facts = AdvisoryFacts(db)
            if args.queue:
                from policyengine.watch.jobs import defer_rejudge

                count = defer_rejudge(store, facts, everything=args.all, fresh=fresh)
                print(f"policyengine: queued {count} re-judging jobs", file=sys.stderr)
                return 0
            changes = rejudge(
                store, facts, everything=args.all, now=now, fresh_bundle=fresh, on_change=changed
            )
    finally:
        failures = notifier.close() if notifier is not None else []
    for failure in failures:
        print(
            f"policyengine: warning: webhook delivery for {failure.release} failed: "
            f"{failure.error}",
            file=sys.stderr,
        )
    worse = [c for c in changes if c.worse]
    table = _table(
        ("RELEASE", "VERSION", "BEFORE", "NOW", "WHY"),
        [(c.release, c.version, c.before, c.after, ", ".join(c.reasons)) for c in worse],
    )
    print(
        f"policyengine: re-judged {len(changes)} release{'s' if len(changes) != 1 else ''}; "
        f"{len(worse)} got worse",
        file=sys.stderr,
    )
    document = {
        "rejudged": [c.document() for c in changes],
        "worse": [c.document() for c in worse],
        "notify": {
            "delivered": notifier.delivered if notifier is not None else 0,
            "failed": [{"release": f.release, "error": f.error} for f in failures],
        },
    }
    _emit(args, document, table if worse else "")
    return 1 if worse else 0


def run_worker(args: argparse.Namespace) -> int:
    """``worker``: run re-judging jobs (PostgreSQL store) until stopped, or done with --burst."""
    from policyengine.store import resolve_url
    from policyengine.watch.jobs import run_worker as work

    url = resolve_url(args.store, os.environ)
    return int(
        work(
            url,
            cache_dir(args),
            burst=args.burst,
            concurrency=args.concurrency,
            stalled_after=args.stalled_after,
        )
    )
