"""Re-judging spread over worker processes through PostgreSQL, with procrastinate.

``releases rejudge --queue`` selects the releases as usual and defers one job per
release; ``policyengine worker --store URL`` runs them, on any number of machines.
Procrastinate locks each job row as a worker takes it (``SELECT ... FOR UPDATE SKIP
LOCKED``), so two workers never take the same job. A job names the release *and* the
verdict it was selected on: if a newer verdict exists when it runs (a worker died after
storing, the job was retried) it does nothing, so a release is never judged twice for
one selection. A worker that dies mid-job stops sending heartbeats; the next worker to
start (or a ``--burst`` run) puts the jobs of workers silent for longer than
``STALLED_AFTER`` seconds back in the queue.

On SQLite there is no queue: ``releases rejudge`` re-judges in its own process.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from policyengine.model import UsageError
from policyengine.store import Store, open_store
from policyengine.watch.advisory_store import advisory_source
from policyengine.watch.rejudge import AdvisoryFacts, rejudge_release, select

QUEUE = "policyengine-rejudge"
TASK = "policyengine.rejudge"
STALLED_AFTER = 30.0
"""Seconds without a heartbeat after which a worker counts as dead and its jobs are retried."""
HEARTBEAT = 5.0


def conninfo(url: str) -> str:
    """The libpq URL of a SQLAlchemy PostgreSQL URL (procrastinate speaks psycopg directly)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise UsageError(
            "re-judging jobs need a PostgreSQL store",
            hint="on SQLite, `policyengine releases rejudge` re-judges in its own process",
        )
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(url: str) -> Any:
    """The procrastinate app of a store, with the re-judging task registered."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(url)))
    _state["url"] = url

    @app.task(name=TASK, queue=QUEUE, retry=procrastinate.RetryStrategy(max_attempts=3))
    def rejudge_job(release_id: int, seq: int, reasons: list[str]) -> str:
        return run_job(release_id, seq, reasons)

    return app


# The worker process keeps one store and one advisory database open across jobs.
_state: dict[str, Any] = {}


def run_job(release_id: int, seq: int, reasons: list[str]) -> str:
    """One job: re-judge the release unless a verdict newer than ``seq`` exists."""
    store: Store = _state.setdefault("store", None) or open_store(_state["url"])
    _state["store"] = store
    found = store.releases([release_id])
    if not found:
        return "gone"
    if found[0].latest.seq != seq:
        return "already re-judged"
    with advisory_source(store, Path(_state["cache_dir"])) as db:
        change = rejudge_release(store, release_id, AdvisoryFacts(db), reasons=reasons)
    return f"{change.before}->{change.after}" if change else "gone"


def ensure_schema(app: Any, url: str) -> None:
    """Create procrastinate's tables in the store's database once (under a lock)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(7314002)"))
            exists = conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar()
            if exists is None:
                # Straight to psycopg, without parameters: the script holds literal `%`.
                driver = conn.connection.driver_connection
                assert driver is not None
                driver.execute(app.schema_manager.get_schema())
    finally:
        engine.dispose()


@contextmanager
def opened_app(url: str) -> Iterator[Any]:
    """The app, its schema ensured, opened for synchronous use."""
    app = make_app(url)
    ensure_schema(app, url)
    with app.open():
        yield app


def defer_rejudge(
    store: Store, facts: AdvisoryFacts, *, everything: bool, fresh: bytes | None
) -> int:
    """Queue one job per selected release; the number queued."""
    if fresh is not None:
        raise UsageError("--queue takes no --evidence yet", hint="re-judge in-process instead")
    chosen = select(store, facts, everything=everything)
    if not chosen:
        return 0
    latest = {r.id: r.latest.seq for r in store.releases(chosen)}
    with opened_app(store.url) as app:
        task = app.tasks[TASK]
        for release_id in sorted(latest):
            task.configure(queueing_lock=f"rejudge-{release_id}").defer(
                release_id=release_id, seq=latest[release_id], reasons=sorted(chosen[release_id])
            )
    return len(latest)


async def _retry_stalled(app: Any, stalled_after: float) -> int:
    """Put the jobs of workers silent for ``stalled_after`` seconds back in the queue."""
    stalled = await app.job_manager.get_stalled_jobs(
        queue=QUEUE, seconds_since_heartbeat=stalled_after
    )
    count = 0
    for job in stalled:
        await app.job_manager.retry_job(job)
        count += 1
    return count


def run_worker(
    url: str,
    cache_dir: Path,
    *,
    burst: bool,
    concurrency: int = 1,
    stalled_after: float = STALLED_AFTER,
) -> int:
    """Run a worker until stopped (or, with ``burst``, until the queue is empty)."""
    _state["cache_dir"] = str(cache_dir)
    _state["url"] = url
    with opened_app(url):
        pass  # schema ensured

    async def main() -> None:
        app = make_app(url)
        async with app.open_async():
            retried = await _retry_stalled(app, stalled_after)
            if retried:
                print(f"policyengine: retrying {retried} jobs of stopped workers", file=sys.stderr)
            await app.run_worker_async(
                queues=[QUEUE],
                concurrency=max(1, concurrency),
                wait=not burst,
                name=f"policyengine-{os.getpid()}",
                update_heartbeat_interval=min(HEARTBEAT, stalled_after / 3),
                stalled_worker_timeout=stalled_after,
                install_signal_handlers=not burst,
            )

    asyncio.run(main())
    store = _state.pop("store", None)
    if store is not None:
        store.close()
    return 0
