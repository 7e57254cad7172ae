"""A throwaway PostgreSQL server from the binaries on the machine, for the store tests.

pytest-postgresql's ``postgresql_proc`` runs ``initdb``/``pg_ctl`` as the current user,
and PostgreSQL refuses to run as root, which is what CI here runs as. So this starts
the server itself: ``initdb`` into a fresh folder and ``pg_ctl start`` on a free
loopback port, as the unprivileged ``nobody`` user (through ``setpriv``) when the tests
run as root. Each test gets a database of its own. Without the binaries, the tests
that need the server skip with a one-line reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    """The folder holding ``pg_ctl`` and ``initdb``, or None."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if (folder / "pg_ctl").exists() and (folder / "initdb").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server: its port and how to make a fresh database URL."""

    port: int
    folder: Path

    def new_database(self) -> str:
        """Create an empty database; its SQLAlchemy URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


@contextmanager
def server() -> Iterator[Server]:
    """Start a server in a temporary folder; stop it and remove the folder afterwards."""
    bindir = find_bindir()
    assert bindir is not None
    folder = Path(tempfile.mkdtemp(prefix="policyengine-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL will not run as root: hand the folder to nobody and run as nobody.
        shutil.chown(folder, "nobody", "nogroup")
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
    folder.chmod(0o755)
    data, log, port = folder / "data", folder / "server.log", _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    def run(*argv: str) -> None:
        subprocess.run(
            [*prefix, *argv], check=True, env=env, cwd=folder, capture_output=True, timeout=120
        )

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -h 127.0.0.1 -k {folder} -c fsync=off -c full_page_writes=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
    try:
        yield Server(port, folder)
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
