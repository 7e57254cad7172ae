"""Offline advisories: import OSV exports (zip / folder / PyPA YAML) and match versions."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from policyengine.enrich import enrich
from policyengine.enrich.osv_db import AdvisoryDb
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import Advisories, FactKind, InputError, Missing, Ok
from tests.conftest import corpus_path
from tests.enrich.conftest import sbom_of


def _advisories(db: AdvisoryDb, eco: str, name: str, version: str) -> Advisories:
    fact = db.lookup(eco, name, version)
    assert isinstance(fact, Ok) and isinstance(fact.value, Advisories)
    return fact.value


@pytest.fixture
def litellm_db(tmp_path: Path) -> AdvisoryDb:
    db = AdvisoryDb(tmp_path)
    report = db.import_path(corpus_path("osv", "litellm-2026-03"))
    # the four MAL-0000 source reports here carry "id": "" (pre-ID) and are skipped, with a reason
    assert report.records == 30
    assert len(report.skipped) == 4
    assert all(reason == "OSV record without an id" for _, reason in report.skipped)
    return db


def test_litellm_incident_offline(litellm_db: AdvisoryDb) -> None:
    found = _advisories(litellm_db, "pypi", "litellm", "1.82.8")
    by_id = {a.id: a for a in found.advisories}
    pysec = by_id["PYSEC-2026-2"]  # YAML record, merged with its alias MAL-2026-2144 (JSON)
    assert pysec.malicious and pysec.aliases == ("MAL-2026-2144",)
    ghsa = by_id["GHSA-5mg7-485q-xm76"]
    assert ghsa.malicious and ghsa.severity == "critical" and ghsa.cwes == ("CWE-506",)
    before = {a.id for a in _advisories(litellm_db, "pypi", "litellm", "1.82.6").advisories}
    assert "PYSEC-2026-2" not in before and "GHSA-5mg7-485q-xm76" not in before
    assert "PYSEC-2026-2597" in before  # an ordinary vulnerability fixed in 1.83.0
    fixed = {a.id: a.fixed for a in _advisories(litellm_db, "pypi", "LiteLLM", "1.82.6").advisories}
    assert fixed["PYSEC-2026-2597"] == ("1.83.0",)


def test_cvss_scores_from_vectors(tmp_path: Path) -> None:
    db = AdvisoryDb(tmp_path)
    db.import_path(corpus_path("osv", "pypi"))
    found = _advisories(db, "pypi", "werkzeug", "0.10")
    scored = [a for a in found.advisories if a.score is not None]
    assert scored and all(a.vector and a.vector.startswith("CVSS:") for a in scored)
    assert all(a.severity in ("low", "medium", "high", "critical") for a in scored)


def test_zip_export_and_npm_ranges(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    folder = corpus_path("osv", "npm", "github-advisory-database")
    with zipfile.ZipFile(archive, "w") as zf:
        for file in folder.glob("*.json"):
            zf.write(file, file.name)
    db = AdvisoryDb(tmp_path / "cache")
    assert db.import_path(archive).records == 3
    assert {a.id for a in _advisories(db, "npm", "lodash", "4.17.20").advisories} == {
        "GHSA-35jh-r3h4-6jhm"
    }
    assert _advisories(db, "npm", "lodash", "4.17.21").advisories == ()


def test_schema_edge_cases(tmp_path: Path) -> None:
    db = AdvisoryDb(tmp_path)
    db.import_path(corpus_path("osv", "osv-schema-testdata", "ghsa", "testdata"))
    # SEMVER range with a prerelease lower bound (npm_greater_than / jquery)
    jquery = {a.id for a in _advisories(db, "npm", "jquery", "2.2.4").advisories}
    assert "GHSA-mhpp-875w-9cpv" in jquery
    assert _advisories(db, "npm", "jquery", "3.0.0").advisories == ()
    # PyPI names are matched after PEP 503 normalisation (pypi_normalize)
    pas = _advisories(db, "pypi", "Products.PluggableAuthService", "2.6.0").advisories
    assert [a.id for a in pas] == ["GHSA-p44j-xrqg-4xrr"]
    # no version order for RubyGems yet: say so rather than claim "no advisories"
    assert isinstance(db.lookup("gem", "activesupport", "4.2.1"), Missing)


def test_withdrawn_records_are_ignored(tmp_path: Path) -> None:
    db = AdvisoryDb(tmp_path)
    db.import_path(
        corpus_path("osv", "osv-schema-testdata", "ghsa", "testdata", "withdrawn.osv.json")
    )
    assert db.count() == 1
    record = db._conn.execute("SELECT record FROM vulns").fetchone()[0]
    assert '"withdrawn"' in record


def test_bad_paths(tmp_path: Path) -> None:
    db = AdvisoryDb(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        db.import_path(tmp_path / "missing.zip")
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(InputError, match="not a zip"):
        db.import_path(other)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.json").write_text("{not json")
    (broken / "y.yaml").write_text("- a list\n")
    report = db.import_path(broken)
    assert report.records == 0 and len(report.skipped) == 2


def test_enrich_offline_uses_the_db(tmp_path: Path) -> None:
    settings = EnrichSettings(
        pypi_url="http://127.0.0.1:9", cache_dir=tmp_path, offline=True, progress=False
    )
    sbom = sbom_of(("pypi", "litellm", "1.82.8"))
    empty = enrich(sbom, settings, {FactKind.ADVISORIES})
    fact = empty.for_key("pypi/litellm@1.82.8").get(FactKind.ADVISORIES)
    assert isinstance(fact, Missing)
    db = AdvisoryDb(tmp_path)
    db.import_path(corpus_path("osv", "litellm-2026-03"))
    db.close()
    evidence = enrich(sbom, settings, {FactKind.ADVISORIES, FactKind.RELEASES})
    facts = evidence.for_key("pypi/litellm@1.82.8")
    advisories = facts.get(FactKind.ADVISORIES)
    assert isinstance(advisories, Ok) and advisories.source.name == "osv-db"
    assert any(a.malicious for a in getattr(advisories.value, "advisories"))  # noqa: B009
    releases = facts.get(FactKind.RELEASES)
    assert isinstance(releases, Missing) and releases.reason.startswith("offline")


def test_a_database_answers_only_for_the_ecosystems_it_holds(tmp_path: Path) -> None:
    # issue 13, item 2: npm records alone said "no advisory" for litellm 1.82.8
    db = AdvisoryDb(tmp_path)
    db.import_path(corpus_path("osv", "npm"))
    assert db.ecosystems() == frozenset({"npm"})
    fact = db.lookup("pypi", "litellm", "1.82.8")
    assert isinstance(fact, Missing)
    assert "holds no pypi advisories (it covers npm)" in fact.reason
    assert "OSV export of PyPI" in fact.reason


def test_a_pypi_only_database_says_nothing_about_npm(litellm_db: AdvisoryDb) -> None:
    fact = litellm_db.lookup("npm", "ms", "2.1.3")
    assert isinstance(fact, Missing) and "holds no npm advisories" in fact.reason


def test_the_source_is_the_import_that_covers_the_ecosystem(tmp_path: Path) -> None:
    db = AdvisoryDb(tmp_path)
    pypi = corpus_path("osv", "litellm-2026-03")
    db.import_path(pypi)
    db.import_path(corpus_path("osv", "npm"))  # later, and about another ecosystem
    fact = db.lookup("pypi", "litellm", "1.82.8")
    assert isinstance(fact, Ok)
    assert fact.source.url == pypi.resolve().as_uri()


def test_check_offline_with_only_npm_records_does_not_pass_litellm(
    tmp_path: Path, run_cli: object
) -> None:
    from tests.conftest import ROOT

    cache = str(tmp_path / "cache")
    run = run_cli  # type: ignore[assignment]
    code, _, err = run("db", "import", str(corpus_path("osv", "npm")), "--cache-dir", cache)  # type: ignore[operator]
    assert code == 0, err
    sbom = ROOT / "examples" / "litellm-2026" / "sbom-litellm-1.82.8.cdx.json"
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: policyengine/v1\nkind: Policy\nmetadata: {name: adv}\n"
        "rules:\n  - id: malicious\n    check: advisories\n    params: {severity: null}\n"
    )
    code, out, err = run(  # type: ignore[operator]
        "check", str(sbom), "--policy", str(policy), "--offline", "--cache-dir", cache,
        "--now", "2026-11-28T12:00:00Z", "--format", "json",
    )  # fmt: skip
    assert code == 4, err  # fail-closed: unknown, never the PASS of before
    assert "holds no pypi advisories" in out


def test_each_advisory_names_the_import_it_came_from(tmp_path: Path) -> None:
    # issue 13, item 2: every result named the most recent import, whatever it held
    db = AdvisoryDb(tmp_path)
    litellm = corpus_path("osv", "litellm-2026-03")
    db.import_path(litellm)
    db.import_path(corpus_path("osv", "npm"))
    found = _advisories(db, "pypi", "litellm", "1.82.8")
    assert found.advisories
    for advisory in found.advisories:
        assert advisory.imported_from is not None
        assert advisory.imported_from.startswith(litellm.resolve().as_uri() + " (imported ")
        assert "npm" not in advisory.imported_from
