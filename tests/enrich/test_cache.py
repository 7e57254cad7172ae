"""The SQLite cache: two processes at once, and a process killed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from policyengine.enrich.cache import Cache, Entry

WRITER = """
import sys, time
from pathlib import Path
from policyengine.enrich.cache import Cache, Entry
cache = Cache(Path(sys.argv[1]))
tag = sys.argv[2]
for i in range(int(sys.argv[3])):
    cache.put(f"{tag}-{i % 50}", Entry("u", 200, (tag * 20000).encode(), time.time()))
    if i == 0:
        print("writing", flush=True)
print("done", flush=True)
"""


def _writer(path: Path, tag: str, count: int) -> subprocess.Popen[str]:
    root = Path(__file__).resolve().parent.parent.parent
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), tag, str(count)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    procs = [_writer(path, tag, 200) for tag in ("a", "b")]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.split() == ["writing", "done"]
    cache = Cache(path)
    for tag in ("a", "b"):
        entry = cache.get(f"{tag}-7")
        assert entry is not None and entry.body == (tag * 20000).encode()


def test_kill_mid_write_leaves_a_usable_cache(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    cache = Cache(path)
    cache.put("keep", Entry("u", 200, b"kept", time.time()))
    proc = _writer(path, "k", 100000)
    # Kill once it is really writing (a fixed sleep raced with a slow start under load).
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    again = Cache(path)
    kept = again.get("keep")
    assert kept is not None and kept.body == b"kept"
    row = again.get("k-1")
    assert row is None or row.body == b"k" * 20000  # never a half-written body
    integrity = again._conn.execute("PRAGMA integrity_check").fetchone()[0]
    assert integrity == "ok"


def test_entry_freshness() -> None:
    entry = Entry("u", 200, b"", fetched_at=1000.0)
    assert entry.fresh(60, now=1059.0)
    assert not entry.fresh(60, now=1061.0)


def test_damaged_or_unusable_cache_is_a_usage_error(tmp_path: Path) -> None:
    import pytest

    from policyengine.model import UsageError

    damaged = tmp_path / "c.sqlite3"
    damaged.write_bytes(b"this is not an sqlite database" * 100)
    with pytest.raises(UsageError, match="cannot use the cache database"):
        Cache(damaged)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError):
        Cache(blocker / "sub" / "c.sqlite3")


def test_an_edited_or_moved_row_is_not_trusted(tmp_path: Path) -> None:
    # Issue 13, item 4: a cached answer edited to look clean was trusted as the registry's.
    path = tmp_path / "c.sqlite3"
    cache = Cache(path)
    cache.put("GET /pypi/bad/json", Entry("u", 200, b'{"yanked": true}', time.time()))
    cache.put("GET /pypi/good/json", Entry("u", 200, b'{"yanked": false}', time.time()))
    with cache._conn:
        cache._conn.execute(
            "UPDATE responses SET body = ? WHERE key = ?", (b"{}", "GET /pypi/bad/json")
        )
    assert cache.get("GET /pypi/bad/json") is None
    assert cache.get("GET /pypi/bad/json") is None  # dropped, not only skipped
    with cache._conn:
        cache._conn.execute(
            "UPDATE responses SET key = ? WHERE key = ?",
            ("GET /pypi/bad/json", "GET /pypi/good/json"),
        )
    assert cache.get("GET /pypi/bad/json") is None
    cache.put("GET /x", Entry("u", 200, b"fine", time.time()))
    entry = cache.get("GET /x")
    assert entry is not None and entry.body == b"fine"


def test_rows_sealed_with_another_key_are_not_trusted(tmp_path: Path) -> None:
    from policyengine.enrich.seal import Seal

    path = tmp_path / "c.sqlite3"
    Cache(path, Seal(b"a" * 32)).put("k", Entry("u", 200, b"body", time.time()))
    assert Cache(path, Seal(b"a" * 32)).get("k") is not None
    assert Cache(path, Seal(b"b" * 32)).get("k") is None


def test_a_cache_from_before_seals_gains_the_column_and_drops_its_rows(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "c.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE responses (key TEXT PRIMARY KEY, url TEXT NOT NULL, status INTEGER NOT "
        "NULL, content_type TEXT, etag TEXT, last_modified TEXT, body BLOB NOT NULL, "
        "fetched_at REAL NOT NULL)"
    )
    conn.execute("INSERT INTO responses VALUES ('k', 'u', 200, NULL, NULL, NULL, x'00', 1.0)")
    conn.commit()
    conn.close()
    cache = Cache(path)
    assert cache.get("k") is None
    cache.put("k", Entry("u", 200, b"new", time.time()))
    entry = cache.get("k")
    assert entry is not None and entry.body == b"new"
