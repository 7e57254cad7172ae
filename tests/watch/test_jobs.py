"""Re-judging jobs through PostgreSQL (procrastinate): two workers, and a worker that died."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT
from tests.watch.conftest import STORY, keep_release

pytestmark = pytest.mark.slow

SERVICES = ("alpha", "beta", "gamma", "delta")
VERSIONS = ("1.82.6", "1.82.7", "1.82.8")


@pytest.fixture
def fleet(
    run_cli: Any, postgres_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Twelve releases kept in a fresh PostgreSQL store, the LiteLLM advisories imported."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("POLICYENGINE_CACHE_DIR", str(tmp_path / "cache"))
    url = str(postgres_server.new_database())
    monkeypatch.setenv("POLICYENGINE_STORE", url)
    assert run_cli("db", "import", f"{STORY}/advisories-2026-03-20")[0] == 0
    for service in SERVICES:
        for version in VERSIONS:
            keep_release(run_cli, service, version)
    assert run_cli("db", "import", f"{STORY}/advisories-2026-03-24")[0] == 0
    return url


def _worker(url: str, cache: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICYENGINE_CACHE_DIR": str(cache)}
    return subprocess.Popen(
        [sys.executable, "-m", "policyengine", "worker", "--store", url, "--burst", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _rejudged(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT r.name || '@' || r.version, COUNT(*) FROM verdicts v "
                    "JOIN releases r ON r.id = v.release_id WHERE v.reason = 'rejudge' "
                    "GROUP BY 1"
                )
            ).all()
    finally:
        engine.dispose()
    return {str(name): int(count) for name, count in rows}


def _job_states(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT status::text FROM procrastinate_jobs")).all()
    finally:
        engine.dispose()
    return sorted(str(r[0]) for r in rows)


def test_two_workers_never_judge_a_release_twice(run_cli: Any, fleet: str, tmp_path: Path) -> None:
    code, _, err = run_cli("releases", "rejudge", "--all", "--queue")
    assert code == 0, err
    assert "queued 12 re-judging jobs" in err
    # Queuing the same selection again adds nothing while those jobs wait (queueing lock).
    run_cli("releases", "rejudge", "--all", "--queue")
    assert _job_states(fleet) == ["todo"] * 12
    workers = [_worker(fleet, tmp_path / "cache") for _ in range(2)]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    assert _rejudged(fleet) == {f"{s}@{v}": 1 for s in SERVICES for v in VERSIONS}
    assert _job_states(fleet) == ["succeeded"] * 12
    code, out, _ = run_cli("releases", "list", "--format", "json")
    outcomes = {
        (r["release"], r["version"]): r["latest_verdict"]["outcome"]
        for r in json.loads(out)["releases"]
    }
    assert outcomes == {
        (s, v): "pass" if v == "1.82.6" else "fail" for s in SERVICES for v in VERSIONS
    }


def test_the_job_of_a_killed_worker_is_retried(run_cli: Any, fleet: str, tmp_path: Path) -> None:
    code, _, err = run_cli("releases", "rejudge", "--queue")
    assert code == 0, err
    assert "queued 8 re-judging jobs" in err  # the releases with 1.82.7 or 1.82.8
    # A worker takes a job and is killed before finishing it: what procrastinate's tables
    # then hold is a registered worker whose heartbeat stops and a job left in `doing`.
    from policyengine.watch.jobs import QUEUE, make_app

    async def take_one_and_die() -> int:
        app = make_app(fleet)
        async with app.open_async():
            worker_id = await app.job_manager.register_worker()
            job = await app.job_manager.fetch_job(queues=[QUEUE], worker_id=worker_id)
            assert job is not None
            return int(job.id)

    taken = asyncio.run(take_one_and_die())
    assert _job_states(fleet).count("doing") == 1
    # Its heartbeat is now older than --stalled-after: the next worker retries the job.
    engine = sa.create_engine(fleet)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE procrastinate_workers SET last_heartbeat = NOW() - INTERVAL '1 hour'")
        )
    engine.dispose()
    worker = _worker(fleet, tmp_path / "cache", "--stalled-after", "60")
    _, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err
    assert "retrying 1 jobs of stopped workers" in err
    assert _job_states(fleet) == ["succeeded"] * 8
    assert _rejudged(fleet) == {f"{s}@{v}": 1 for s in SERVICES for v in ("1.82.7", "1.82.8")}
    assert taken > 0


def test_a_worker_killed_for_real_loses_nothing(run_cli: Any, fleet: str, tmp_path: Path) -> None:
    """SIGKILL a worker process while it holds a job; a later worker finishes everything."""
    import signal
    import time

    code, _, err = run_cli("releases", "rejudge", "--all", "--queue")
    assert code == 0, err
    victim = _worker(fleet, tmp_path / "cache", "--stalled-after", "2")
    deadline = time.monotonic() + 120
    while "doing" not in _job_states(fleet) and time.monotonic() < deadline:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=60)
    left_doing = _job_states(fleet).count("doing")
    time.sleep(3)  # let its last heartbeat age past --stalled-after
    rescuer = _worker(fleet, tmp_path / "cache", "--stalled-after", "2")
    _, err = rescuer.communicate(timeout=300)
    assert rescuer.returncode == 0, err
    # A job of 53 components takes far longer than the 20 ms poll: the kill lands mid-job.
    assert left_doing == 1
    assert "retrying 1 jobs of stopped workers" in err
    assert _job_states(fleet) == ["succeeded"] * 12
    # Every release re-judged, none twice (a job whose verdict was stored before the kill
    # is recognised by its verdict number and not judged again).
    assert _rejudged(fleet) == {f"{s}@{v}": 1 for s in SERVICES for v in VERSIONS}


def test_workers_need_postgresql(run_cli: Any, tmp_path: Path) -> None:
    code, _, err = run_cli("worker", "--store", f"sqlite:///{tmp_path / 'x.sqlite3'}", "--burst")
    assert code == 2 and "need a PostgreSQL store" in err
