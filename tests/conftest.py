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
