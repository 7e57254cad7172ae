"""Shared test helpers: where the third-party corpus is, and how to run the CLI in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def corpus_path(*parts: str) -> Path:
    """A path inside ../shared/corpus, skipping the test with a clear reason when absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"third-party corpus not found at {path} (../shared is absent in a fresh clone)"
        )
    return path


NETWORK_VARIABLES = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "all_proxy",
    "no_proxy",
    "POLICYENGINE_CA_BUNDLE",
)


@pytest.fixture(autouse=True)
def _no_proxy_from_the_environment(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests talk to servers on 127.0.0.1: a proxy named by the machine (CI runners often
    set one) would carry their requests away. The proxy tests set what they need; the
    live tests keep the machine's settings, which are how it reaches the internet."""
    if request.node.get_closest_marker("live") is None:
        for name in NETWORK_VARIABLES:
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``policyengine`` in-process; return (exit code, stdout, stderr)."""
    from policyengine.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture(scope="session")
def postgres_server():  # type: ignore[no-untyped-def]
    """One throwaway PostgreSQL server for the session (tests/pg.py); skips without binaries."""
    from tests.pg import find_bindir, server

    if find_bindir() is None:
        pytest.skip("no PostgreSQL binaries (pg_ctl, initdb) on this machine")
    with server() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: an SQLite file, or a fresh database on the throwaway PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inventory.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    return str(server.new_database())
