"""The response cache: one SQLite file in the cache directory, safe across processes.

WAL mode lets readers and a writer work at once; each write is one transaction,
so a process killed mid-write leaves the previous row intact; a busy timeout
makes a second process wait for the lock instead of failing.

Every row carries a seal (:mod:`policyengine.enrich.seal`) over its request key,
status, validators, time and body: a row edited in the file, or moved under
another request's key, does not verify and reads as absent (and is deleted), so
the answer is asked for again instead of trusted.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from policyengine.enrich.seal import Seal
from policyengine.model import UsageError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT,
    etag TEXT,
    last_modified TEXT,
    body BLOB NOT NULL,
    fetched_at REAL NOT NULL,
    seal TEXT
)
"""
_SEALED = "ALTER TABLE responses ADD COLUMN seal TEXT"
"""Caches written before seals existed gain the column; their rows (no seal) never verify."""


_COLUMNS = {"key", "url", "status", "content_type", "etag", "last_modified", "body", "fetched_at"}


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored answer: status, validators, body and when it was last confirmed."""

    url: str
    status: int
    body: bytes
    fetched_at: float
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    def fresh(self, ttl: float, now: float | None = None) -> bool:
        """True when the entry was confirmed less than ``ttl`` seconds ago."""
        return ((now if now is not None else time.time()) - self.fetched_at) < ttl


class _Cursor(sqlite3.Cursor):
    """A cursor whose reads turn a damaged row into the cache error (see _Connection)."""

    def _failed(self, exc: Exception) -> UsageError:
        connection = self.connection
        return cache_error(connection.path if isinstance(connection, _Connection) else Path(), exc)

    def fetchone(self) -> Any:
        """``Cursor.fetchone``; a row that cannot be read is the cache error."""
        try:
            return super().fetchone()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # a text byte overwritten
            raise self._failed(exc) from None

    def fetchall(self) -> list[Any]:
        """``Cursor.fetchall``; a row that cannot be read is the cache error."""
        try:
            return super().fetchall()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise self._failed(exc) from None

    def __next__(self) -> Any:
        """Iteration over rows; a row that cannot be read is the cache error."""
        try:
            return super().__next__()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise self._failed(exc) from None


class _Connection(sqlite3.Connection):
    """A connection whose database errors name the file and the setting that moves it.

    A page damaged inside the file ("database disk image is malformed") or another
    program's SQLite file at the cache path ("no such column") surfaces on a query,
    possibly deep inside enrichment; it is a one-line error there, never an internal one.
    The file is not rebuilt: it may be another program's data, and deleting it is the
    user's decision (the hint says so).
    """

    path: Path = Path()

    def cursor(self, factory: Any = _Cursor) -> Any:
        """A cursor that reports damaged rows (``execute`` makes its cursors here too)."""
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        """``Connection.execute``, its database errors turned into the cache error."""
        try:
            cursor: sqlite3.Cursor = self.cursor()
            return cursor.execute(sql, parameters)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise cache_error(self.path, exc) from None

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        """``Connection.executemany``, its database errors turned into the cache error."""
        try:
            cursor: sqlite3.Cursor = self.cursor()
            return cursor.executemany(sql, parameters)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            raise cache_error(self.path, exc) from None


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) an SQLite file in WAL mode with a busy timeout."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, factory=_Connection)
        conn.path = path
        conn.execute("PRAGMA busy_timeout = 30000")
        _set_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
    except (OSError, sqlite3.Error) as exc:
        raise cache_error(path, exc) from None
    return conn


def check_layout(conn: sqlite3.Connection, path: Path, table: str, columns: set[str]) -> None:
    """Refuse a file whose ``table`` lacks ``columns``: another program's database."""
    found = {str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}
    if not columns <= found:
        conn.close()
        raise cache_error(
            path,
            ValueError(f"not a policyengine file (table {table} has columns {sorted(found)})"),
        )


def _set_wal(conn: sqlite3.Connection) -> None:
    # Switching a new file to WAL needs an exclusive lock; when several processes open the
    # same new cache at once, SQLite can answer "database is locked" at once instead of
    # waiting for the busy timeout. Retry for as long as the busy timeout would wait.
    deadline = time.monotonic() + 30.0
    while True:
        try:
            # A plain cursor: the connection's own turns "locked" into the one-line cache
            # error, and this loop must see it to wait.
            sqlite3.Cursor(conn).execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def cache_error(path: Path, exc: Exception) -> UsageError:
    """The one-line error for a cache file that cannot be opened or is not a database."""
    return UsageError(
        f"cannot use the cache database {path}: {exc}",
        hint="check that --cache-dir / POLICYENGINE_CACHE_DIR is a writable folder; "
        "a damaged cache file can be deleted",
    )


class Cache:
    """Stored HTTP answers keyed by a request key (method, URL and, for POST, the query)."""

    def __init__(self, path: Path, seal: Seal | None = None) -> None:
        self.path = path
        self._seal = seal if seal is not None else Seal.beside(path.parent, os.environ)
        self._conn = connect(path)
        try:
            with self._conn:
                self._conn.execute(_SCHEMA)
                columns = {row[1] for row in self._conn.execute("PRAGMA table_info(responses)")}
                if "seal" not in columns:
                    self._conn.execute(_SEALED)
        except sqlite3.Error as exc:
            self._conn.close()
            raise cache_error(path, exc) from None
        check_layout(self._conn, path, "responses", _COLUMNS)

    def get(self, key: str) -> Entry | None:
        """The stored entry for ``key``, or ``None`` (also when its seal does not verify)."""
        row = self._conn.execute(
            "SELECT url, status, body, fetched_at, content_type, etag, last_modified, seal "
            "FROM responses WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        try:
            entry = Entry(row[0], row[1], bytes(row[2]), row[3], row[4], row[5], row[6])
            trusted = self._seal is not None and self._seal.verify(row[7], *_parts(key, entry))
        except (TypeError, ValueError):  # a column of the wrong type: edited by hand
            trusted = False
        if not trusted:
            self.delete(key)
            return None
        return entry

    def put(self, key: str, entry: Entry) -> None:
        """Store (replace) the entry for ``key`` in one transaction, sealed."""
        if self._seal is None:
            return  # no key: nothing stored could be trusted later
        with self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO responses "
                "(key, url, status, content_type, etag, last_modified, body, fetched_at, seal) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    entry.url,
                    entry.status,
                    entry.content_type,
                    entry.etag,
                    entry.last_modified,
                    entry.body,
                    entry.fetched_at,
                    self._seal.of(*_parts(key, entry)),
                ),
            )

    def touch(self, key: str, fetched_at: float) -> None:
        """Mark an entry as confirmed now (after a 304 Not Modified), sealed anew."""
        entry = self.get(key)
        if entry is not None:
            self.put(key, replace(entry, fetched_at=fetched_at))

    def delete(self, key: str) -> None:
        """Remove the entry for ``key`` if there is one."""
        with self._conn:
            self._conn.execute("DELETE FROM responses WHERE key = ?", (key,))

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def _parts(key: str, entry: Entry) -> tuple[str, ...]:
    """What a seal covers: the request key (so a row cannot move) and every stored field."""
    return (
        key,
        entry.url,
        str(int(entry.status)),
        repr(float(entry.fetched_at)),
        entry.content_type or "",
        entry.etag or "",
        entry.last_modified or "",
        hashlib.sha256(entry.body).hexdigest(),
    )
