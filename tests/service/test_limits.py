"""Limits: per-token concurrency (429), and a dead registry gives a verdict in time."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synth import cdx_document, make_specs
from policyengine.enrich import EnrichSettings
from tests.service.conftest import MakeService

SPECS = [s for s in make_specs(12) if s.ecosystem == "pypi"][:4]


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A port on 127.0.0.1 that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_dead_registry_gives_an_incomplete_verdict_and_a_busy_token_429(
    make_service: MakeService, black_hole: str, tmp_path: Path
) -> None:
    settings = EnrichSettings(
        pypi_url=black_hole,
        cache_dir=tmp_path / "cache",
        advisories="off",
        progress=False,
        deadline=2.0,
    )
    # The enrichment gets at most three quarters of the request timeout, here its own 2 s.
    service = make_service(settings=settings, request_timeout=30.0, per_token=1)
    body = json.dumps(cdx_document(SPECS)).encode()
    params = {"policy": "closed", "name": "sbom.cdx.json"}
    answers: dict[str, Any] = {}

    def first() -> None:
        answers["first"] = service.call(
            "POST", "/v1/check", token="check", params=params, content=body
        )

    worker = threading.Thread(target=first)
    worker.start()
    # Wait until the first check is being judged, then ask again with the same token.
    while "policyengine_checks_in_flight 1.0" not in service.call("GET", "/metrics").text:
        assert worker.is_alive()
        threading.Event().wait(0.05)
    busy = service.call("POST", "/v1/check", token="check", params=params, content=body)
    worker.join(60)
    assert busy.status_code == 429
    assert busy.headers["retry-after"] == "1"
    assert "already runs 1 checks at once" in busy.json()["detail"]
    answer = answers["first"]
    assert answer.status_code == 200, answer.text
    verdict = answer.json()
    assert verdict["outcome"] == "incomplete"
    assert {r["outcome"] for r in verdict["results"]} == {"unknown"}
    assert "enrichment deadline of 2 s reached" in answer.text


def test_a_check_past_the_request_timeout_is_504_and_frees_its_slot(
    make_service: MakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from policyengine.service import checking

    release = threading.Event()
    real = checking.judge

    def stuck(request: Any, store: Any) -> Any:
        release.wait(60)  # a judgement that never ends in time (the test frees it)
        return real(request, store)

    monkeypatch.setattr(checking, "judge", stuck)
    service = make_service(request_timeout=0.5, per_token=1)
    body = json.dumps(cdx_document(SPECS)).encode()
    params = {"policy": "sbom-quality", "name": "sbom.cdx.json"}
    try:
        late = service.call("POST", "/v1/check", token="check", params=params, content=body)
        assert late.status_code == 504
        assert late.json()["detail"] == "the check took longer than 0.5 s"
        # The slot is free again: the next request is judged (here: also too late), not 429.
        again = service.call("POST", "/v1/check", token="check", params=params, content=body)
        assert again.status_code == 504
    finally:
        release.set()
