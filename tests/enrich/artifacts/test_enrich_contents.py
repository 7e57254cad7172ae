"""CONTENTS through ``enrich``: registry document, previous release, artifacts, inspection."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from policyengine.enrich import EnrichSettings, enrich_run
from policyengine.model import ArtifactContents, FactKind, Missing, Ok
from tests.enrich.artifacts.builders import Registry, wheel
from tests.enrich.conftest import sbom_of

CLEAN = {"demo/__init__.py": b"VALUE = 1\n"}
PAYLOAD = {**CLEAN, "demo_init.pth": b'import os; os.getenv("HOME")\n'}


def _file(registry: Registry, name: str, data: bytes, uploaded: str) -> dict[str, object]:
    registry.routes[f"/files/{name}"] = (200, data, {})
    return {
        "filename": name,
        "url": f"../../files/{name}",
        "digests": {"sha256": hashlib.sha256(data).hexdigest()},
        "size": len(data),
        "packagetype": "bdist_wheel",
        "upload_time_iso_8601": uploaded,
        "yanked": False,
        "yanked_reason": None,
    }


def _project(registry: Registry) -> None:
    old = _file(registry, *wheel("demo", "1.0", CLEAN), "2026-01-01T00:00:00Z")
    new = _file(registry, *wheel("demo", "1.1", PAYLOAD), "2026-03-24T10:00:00Z")
    document = {
        "info": {"name": "demo", "version": "1.1", "author": "Demo", "project_urls": {}},
        "releases": {"1.0": [old], "1.1": [new]},
        "urls": [new],
    }
    registry.routes["/pypi/demo/json"] = (
        200,
        json.dumps(document).encode(),
        {"Content-Type": "application/json"},
    )


def _settings(registry: Registry, cache: Path, *, offline: bool = False) -> EnrichSettings:
    return EnrichSettings(
        pypi_url=registry.base,
        npm_url=registry.base,
        osv_url=registry.base,
        cache_dir=cache,
        offline=offline,
        retries=0,
        progress=False,
        pypi_version_metadata=False,
    )


def test_contents_are_inspected_and_compared_with_the_previous_release(
    registry: Registry, tmp_path: Path
) -> None:
    _project(registry)
    run = enrich_run(
        sbom_of(("pypi", "demo", "1.1")), _settings(registry, tmp_path), {FactKind.CONTENTS}
    )
    fact = run.evidence.for_key("pypi/demo@1.1").get(FactKind.CONTENTS)
    assert isinstance(fact, Ok) and isinstance(fact.value, ArtifactContents)
    contents = fact.value
    assert contents.previous_version == "1.0"
    assert "demo_init.pth" in contents.added_files
    pth = [p for report in contents.artifacts for p in report.pth_files]
    assert [(p.path, p.executes_code) for p in pth] == [("demo_init.pth", True)]
    # One registry document, both wheels; the previous release's files cost no extra request.
    assert run.requests == {"pypi": 1}
    assert registry.hits["/pypi/demo/json"] == 1
    assert registry.hits["/files/demo-1.0-py3-none-any.whl"] == 1


def test_offline_contents_come_from_the_artifact_cache(registry: Registry, tmp_path: Path) -> None:
    _project(registry)
    sbom = sbom_of(("pypi", "demo", "1.1"))
    enrich_run(sbom, _settings(registry, tmp_path), {FactKind.CONTENTS})
    registry.routes.clear()
    run = enrich_run(sbom, _settings(registry, tmp_path, offline=True), {FactKind.CONTENTS})
    fact = run.evidence.for_key("pypi/demo@1.1").get(FactKind.CONTENTS)
    assert isinstance(fact, Ok)
    assert run.requests == {}


def test_a_version_the_registry_does_not_list_has_no_contents(
    registry: Registry, tmp_path: Path
) -> None:
    _project(registry)
    run = enrich_run(
        sbom_of(("pypi", "demo", "1.2")), _settings(registry, tmp_path), {FactKind.CONTENTS}
    )
    fact = run.evidence.for_key("pypi/demo@1.2").get(FactKind.CONTENTS)
    assert isinstance(fact, Missing)
    assert "no artifacts to inspect" in fact.reason and "not listed" in fact.reason
