"""``policyengine serve`` as a user starts it: one process on SQLite, two on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from policyengine.service.tokens import create
from policyengine.store import open_store
from tests.conftest import ROOT
from tests.service.conftest import free_port

SBOM = ROOT / "examples/litellm-2026/sbom-litellm-1.82.8.cdx.json"


@contextmanager
def serving(store_url: str, tmp_path: Path, *extra: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "policyengine", "serve", "--store", store_url]
    command += ["--port", str(port), "--offline", "--cache-dir", str(tmp_path / "cache"), *extra]
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        command,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(root + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield root
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(60)
        log.close()


def _judge(root: str, token: str) -> httpx.Response:
    return httpx.post(
        root + "/v1/check",
        params={"policy": "sbom-quality", "release": "chat@1.0", "name": "sbom.cdx.json"},
        content=SBOM.read_bytes(),
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )


def test_one_process_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'inv.sqlite3'}"
    with open_store(url) as store:
        token = create(store, ["check"]).secret
    with serving(url, tmp_path) as root:
        answer = _judge(root, token)
    assert answer.status_code == 200 and answer.json()["outcome"] == "fail"
    assert answer.headers["policyengine-kept"] == "1 fail"


def test_two_processes_share_one_postgresql_store(
    tmp_path: Path, postgres_server: pytest.FixtureRequest
) -> None:
    url = postgres_server.new_database()  # type: ignore[attr-defined]
    with open_store(url) as store:
        token = create(store, ["check", "read"]).secret
    with serving(url, tmp_path, "--workers", "2") as root:
        answers = [_judge(root, token) for _ in range(4)]
        listed = httpx.get(
            root + "/v1/releases", headers={"Authorization": f"Bearer {token}"}, timeout=60
        ).json()
    assert [a.status_code for a in answers] == [200] * 4
    assert [r["verdicts"] for r in listed["releases"]] == [4]
