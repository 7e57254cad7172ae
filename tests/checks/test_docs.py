from __future__ import annotations

from pathlib import Path

from policyengine.checks.docs import main, pages, render, sections, stale
from policyengine.checks.registry import CHECKS, SECTIONS
from tests.conftest import ROOT

DOCS = ROOT / "docs" / "checks"


def test_docs_pages_are_fresh() -> None:
    assert stale(DOCS) == [], "run `python -m policyengine.checks.docs --write`"


def test_no_orphan_pages() -> None:
    names = {p.name for p in DOCS.glob("*.md")}
    assert names == set(pages())


def test_every_docstring_has_the_fixed_sections() -> None:
    for check in CHECKS:
        found = sections(check)
        assert list(found) == list(SECTIONS), check.slug
        assert all(found.values()), check.slug
        assert "```yaml" in found["Example"], check.slug
        assert f"check: {check.slug}" in found["Example"], check.slug


def test_page_shows_identity_and_parameters() -> None:
    from policyengine.checks.release_age import ReleaseAgeCheck

    page = render(ReleaseAgeCheck)
    assert "`PE-AGE-001`" in page and "| `min_age` | duration" in page and '`"72h"`' in page


def test_stale_page_detected_and_rewritten(tmp_path: Path) -> None:
    assert main(["--dir", str(tmp_path), "--write"]) == 0
    assert main(["--dir", str(tmp_path), "--check"]) == 0
    page = tmp_path / f"{CHECKS[0].slug}.md"
    page.write_text(page.read_text() + "edited\n")
    assert main(["--dir", str(tmp_path), "--check"]) == 1
    (tmp_path / "index.md").unlink()
    assert set(stale(tmp_path)) == {page.name, "index.md"}


def test_example_rules_validate_against_params_model() -> None:
    import yaml

    for check in CHECKS:
        body = sections(check)["Example"]
        snippet = body.split("```yaml", 1)[1].split("```", 1)[0]
        rules = yaml.safe_load(snippet)
        assert isinstance(rules, list)
        for rule in rules:
            assert rule["check"] == check.slug
            check.params_model.model_validate(rule.get("params") or {})
