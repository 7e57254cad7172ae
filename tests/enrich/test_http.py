"""HTTP details: bounded concurrency, Retry-After parsing, OSV paging, npm people."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from policyengine.enrich import enrich
from policyengine.enrich.http import retry_after
from policyengine.enrich.npm import integrity_hashes, packument_path, person
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import Advisories, FactKind, Missing, Ok, Person
from tests.enrich.conftest import Replay, sbom_of


def test_concurrency_is_bounded(replay: Replay, settings: EnrichSettings) -> None:
    names = [f"slow-{i}" for i in range(8)]
    for name in names:
        replay.faults[f"/pypi/pypi/{name}/json"] = ["slow"]
    limited = replace(settings, concurrency=3, advisories="off")
    evidence = enrich(sbom_of(*(("pypi", n, "1.0") for n in names)), limited, {FactKind.PACKAGE})
    assert replay.max_in_flight == 3
    assert all(
        isinstance(evidence.for_key(f"pypi/{n}@1.0").get(FactKind.PACKAGE), Missing) for n in names
    )


def test_retry_after_forms() -> None:
    assert retry_after("3", cap=30) == 3.0
    assert retry_after("3600", cap=30) == 30.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    delay = retry_after(later, cap=30)
    assert delay is not None and 8 <= delay <= 10
    assert retry_after("soon", cap=30) is None
    assert retry_after(None, cap=30) is None


def test_osv_pages_are_followed(replay: Replay, settings: EnrichSettings) -> None:
    evidence = enrich(sbom_of(("pypi", "paged-demo", "1.0")), settings, {FactKind.ADVISORIES})
    fact = evidence.for_key("pypi/paged-demo@1.0").get(FactKind.ADVISORIES)
    assert isinstance(fact, Ok) and isinstance(fact.value, Advisories)
    assert [a.id for a in fact.value.advisories] == ["PYSEC-2026-2597", "PYSEC-2026-2598"]
    assert replay.counts["POST /osv/v1/querybatch"] == 2
    tokens = [json.loads(b)["queries"][0].get("page_token") for b in replay.bodies]
    assert tokens == [None, "p1"]


def test_npm_people_paths_and_integrity() -> None:
    assert person("Jane Doe <jane@example.org> (https://x)") == Person(
        "Jane Doe", "jane@example.org"
    )
    assert person({"name": "bob"}) == Person("bob", None)
    assert person("") is None and person(42) is None
    assert packument_path("@scope/pkg") == "/@scope%2fpkg"
    assert packument_path("left-pad") == "/left-pad"
    hashes = integrity_hashes({"integrity": "sha512-AAEC sha1-bad!", "shasum": "ABCD"})
    assert [(h.alg, h.value) for h in hashes] == [("sha512", "000102"), ("sha1", "abcd")]
