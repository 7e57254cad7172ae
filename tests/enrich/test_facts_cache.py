"""The cache keeps the facts it extracted: a warm run does not decode the documents again."""

from __future__ import annotations

from typing import Any

import pytest

from policyengine.enrich import enrich, npm, pypi
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import FactKind, Failed
from tests.enrich.conftest import Replay, sbom_of

REGISTRY = {FactKind.PACKAGE, FactKind.RELEASES, FactKind.ARTIFACTS, FactKind.PUBLISHERS}
SBOM = (("pypi", "requests", "2.32.3"), ("pypi", "litellm", "1.82.6"), ("npm", "chalk", "5.3.0"))


def _no_document(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a registry document was read although its facts were kept")


def test_a_warm_run_reads_the_kept_facts(
    replay: Replay, settings: EnrichSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = enrich(sbom_of(*SBOM), settings, REGISTRY)
    monkeypatch.setattr(pypi, "registry_document", _no_document)
    monkeypatch.setattr(npm, "registry_document", _no_document)
    warm = enrich(sbom_of(*SBOM), settings, REGISTRY)
    assert warm.components == cold.components


def test_other_kinds_or_versions_are_extracted_again(
    replay: Replay, settings: EnrichSettings
) -> None:
    enrich(sbom_of(("pypi", "requests", "2.32.3")), settings, {FactKind.RELEASES})
    replay.reset_counts()
    again = enrich(sbom_of(("pypi", "requests", "2.32.3")), settings, REGISTRY)
    facts = again.for_key("pypi/requests@2.32.3")
    assert set(facts.facts) == REGISTRY  # not the narrower kept entry
    # from the cached document (publishers ask for the release's own document, once)
    assert replay.counts["GET /pypi/pypi/requests/json"] == 0


def test_a_failure_is_not_kept(replay: Replay, settings: EnrichSettings) -> None:
    replay.faults["/pypi/pypi/litellm/json"] = ["500", "500"]
    first = enrich(sbom_of(("pypi", "litellm", "1.82.6")), settings, {FactKind.RELEASES})
    assert isinstance(first.for_key("pypi/litellm@1.82.6").get(FactKind.RELEASES), Failed)
    second = enrich(sbom_of(("pypi", "litellm", "1.82.6")), settings, {FactKind.RELEASES})
    assert not isinstance(second.for_key("pypi/litellm@1.82.6").get(FactKind.RELEASES), Failed)
