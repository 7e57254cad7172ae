"""Malformed input is an input error with its documented exit code, never exit 70.

Issue 13, item 11: each class below once ended in "internal error" (exit 70) or a
traceback. A lockfile, SBOM or evidence problem is exit 3, a policy or usage problem
exit 2, a registry or OSV answer of the wrong shape makes its fact Failed (with the
reason) and the run goes on. Every rejection is one line naming the file, and the
line or pointer where the reader can tell.

Lone surrogates (``"\\ud800"``) are refused where a document spells them (JSON,
YAML and TOML escapes: the file is wrong, and the error points at it); where they come
from names (a file name that is not UTF-8) they are shown with backslash escapes; in
a package's own files (an artifact's package.json) they become U+FFFD so the file is
still judged; in a registry or OSV answer the fact is Failed.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from policyengine.enrich import enrich
from policyengine.enrich.artifacts.archive import unsafe_name
from policyengine.enrich.artifacts.install_hooks import read_package_json
from policyengine.enrich.settings import EnrichSettings
from policyengine.model import FactKind, Failed, Ok
from tests.enrich.conftest import sbom_of
from tests.fuzz.test_cli_fuzz import assert_clean
from tests.hardening.shapes_server import Answers, serving

RunCli = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "tests" / "fixtures" / "lockfiles-generated"
RECORDINGS = ROOT / "tests" / "fixtures" / "recordings"
CASE = ROOT / "tests" / "checks" / "cases" / "expr" / "pass-listed"
NOW = "2026-03-24T18:00:00Z"
HUGE = "9" * 5000  # over Python's 4,300-digit int-to-str limit
HEAD = "apiVersion: policyengine/v1\nkind: Policy\nmetadata: {name: x}\n"


def _error(code: int, err: str, expected: int, *fragments: str) -> None:
    assert code == expected, (code, err)
    assert_clean(code, err)
    for fragment in fragments:
        assert fragment in err, err


def _inspect(run_cli: RunCli, path: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli("inspect", "--format", "json", *extra, str(path))


def _edit(tmp_path: Path, sample: str, name: str, edit: Callable[[str], str]) -> Path:
    path = tmp_path / name
    text = (LOCKS / sample / name).read_text(encoding="utf-8")
    changed = edit(text)
    assert changed != text  # the edit found its place in the fixture
    path.write_text(changed, encoding="utf-8")
    return path


# --- YAML dates and numbers in lockfiles ---------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "name", "old", "new"),
    [
        ("pnpm", "pnpm-lock.yaml", "        version: 2.1.3", "        version: 2026-02-30"),
        ("pnpm", "pnpm-lock.yaml", "lockfileVersion: '9.0'", "lockfileVersion: 2026-02-30"),
        ("yarn-berry", "yarn.lock", "  version: 10\n", "  version: 10\n  when: 2026-02-30\n"),
        ("yarn-berry", "yarn.lock", "  version: 4.4.3", "  version: 2026-02-30"),
    ],
)
def test_an_impossible_yaml_date_in_a_lockfile_is_text(
    tmp_path: Path, run_cli: RunCli, sample: str, name: str, old: str, new: str
) -> None:
    # A lockfile never needs a date object; PyYAML's safe loader built one and raised.
    path = _edit(tmp_path, sample, name, lambda t: t.replace(old, new, 1))
    code, _, err = _inspect(run_cli, path)
    assert code in {0, 3}, (code, err)
    assert_clean(code, err)


def test_a_yaml_integer_over_4300_digits_in_a_lockfile_is_exit_3(
    tmp_path: Path, run_cli: RunCli
) -> None:
    old = "lockfileVersion: '9.0'"
    path = _edit(tmp_path, "pnpm", "pnpm-lock.yaml", lambda t: t.replace(old, f"x: {HUGE}\n{old}"))
    code, _, err = _inspect(run_cli, path)
    _error(code, err, 3, "pnpm-lock.yaml:1:", "4,300 digits")


# --- TOML integers over 4,300 digits -------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "name"),
    [
        ("poetry", "poetry.lock"),
        ("uv", "uv.lock"),
        ("pdm", "pdm.lock"),
        ("poetry", "pyproject.toml"),
        (None, "pylock.toml"),
    ],
)
def test_a_toml_integer_over_4300_digits_is_exit_3(
    tmp_path: Path, run_cli: RunCli, sample: str | None, name: str
) -> None:
    path = tmp_path / name
    if sample is None:
        body = 'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "a"\nversion = "1"\n'
    else:
        body = (LOCKS / sample / name).read_text(encoding="utf-8")
    path.write_text(f"# a comment\nhuge = {HUGE}\n{body}", encoding="utf-8")
    code, _, err = _inspect(run_cli, path)
    _error(code, err, 3, f"{name}:2:", "4,300 digits")


# --- lone surrogates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "name", "old", "new", "where"),
    [
        (
            "npm",
            "package-lock.json",
            '"node_modules/ms"',
            '"node_modules/ms\\ud800"',
            "package-lock.json:",
        ),
        ("pnpm", "pnpm-lock.yaml", "  ms@2.1.3:", '  "ms\\ud800@2.1.3":', "pnpm-lock.yaml:44:"),
        (
            "yarn-berry",
            "yarn.lock",
            '"debug@npm:^4.3.4":',
            '"debug\\ud800@npm:^4.3.4":',
            "yarn.lock:",
        ),
        ("pipenv", "Pipfile.lock", '"==8.5.1"', '"==8.5.1\\udc00"', "Pipfile.lock:26:"),
    ],
)
def test_a_lone_surrogate_escape_in_a_lockfile_is_exit_3_at_its_line(
    tmp_path: Path, run_cli: RunCli, sample: str, name: str, old: str, new: str, where: str
) -> None:
    path = _edit(tmp_path, sample, name, lambda t: t.replace(old, new, 1))
    for fmt in ("json", "table"):  # both writers once refused the string
        code, _, err = run_cli("inspect", "--format", fmt, str(path))
        _error(code, err, 3, where, "surrogate")


def test_a_file_name_that_is_not_utf8_is_escaped_in_every_report(
    tmp_path: Path, run_cli: RunCli
) -> None:
    sbom = Path(tmp_path.as_posix().encode().decode() + "/\udcffbom.cdx.json")
    sbom.write_bytes((CASE / "sbom.cdx.json").read_bytes())
    policy = tmp_path / "\udcfepolicy.yaml"
    policy.write_bytes((CASE / "policy.yaml").read_bytes())
    for fmt in ("json", "sarif", "junit", "markdown", "table"):
        code, out, err = run_cli(
            "check", str(sbom), "--evidence", str(CASE / "evidence.json"), "--policy",
            str(policy), "--now", NOW, "--format", fmt,
        )  # fmt: skip
        assert code == 0, (fmt, err)
        if fmt == "json":
            assert json.loads(out)["subject"]["inputs"] == [f"{tmp_path}/\\xffbom.cdx.json"]


def test_a_lone_surrogate_in_a_policy_is_exit_2_at_its_line(
    tmp_path: Path, run_cli: RunCli
) -> None:
    path = tmp_path / "policy.yaml"
    rule = '  - id: a\n    check: expr\n    params: {expr: "true", message: "m\\ud800"}\n'
    path.write_text(HEAD + "rules:\n" + rule, encoding="utf-8")
    code, _, err = run_cli("policy", "validate", str(path))
    _error(code, err, 2, "policy.yaml:7:", "surrogate")


def test_an_artifact_member_name_that_is_not_utf8_is_refused() -> None:
    # tarfile decodes such bytes to lone surrogates; the name would reach the verdict.
    assert unsafe_name("pkg/\udcff.pth") == "member name that is not UTF-8"
    assert unsafe_name("pkg/ok.pth") is None


def test_a_lone_surrogate_in_an_artifacts_package_json_becomes_ufffd() -> None:
    # The package's own file is still judged (refusing it would hide its scripts).
    data = read_package_json(b'{"scripts": {"postinstall": "node x\\ud800.js"}}')
    assert data == {"scripts": {"postinstall": "node x\ufffd.js"}}


# --- policies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (
            "rules:\n  - id: a\n    check: registry-status\n    effective_from: 2026-02-30\n",
            ("policy.yaml:7:21:", "2026-02-30", "day is out of range"),
        ),
        (
            "rules:\n  - id: a\n    check: registry-status\n    severity:\n",
            ("policy.yaml:7:", "severity"),
        ),
        ("rules: " + "[" * 600 + "]" * 600 + "\n", ("nests too deeply",)),
        ("rules:\n" + "  " + "- " * 600 + "x\n", ("nests too deeply",)),
        (f"settings: {{waiver_warning_days: {HUGE}}}\n", ("policy.yaml:4:", "4,300 digits")),
        ("metadata2: {name: x\x00}\n", ("special characters",)),
    ],
    ids=["impossible-date", "empty-severity", "600-lists", "600-dashes", "huge-int", "nul"],
)
def test_a_malformed_policy_is_exit_2_on_one_line(
    tmp_path: Path, run_cli: RunCli, body: str, fragments: tuple[str, ...]
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    code, _, err = run_cli("policy", "validate", str(path))
    _error(code, err, 2, *fragments)
    code, _, err = run_cli(
        "check", str(CASE / "sbom.cdx.json"), "--evidence", str(CASE / "evidence.json"),
        "--policy", str(path), "--now", NOW,
    )  # fmt: skip
    _error(code, err, 2, *fragments)


def test_extends_proc_self_environ_is_exit_2_and_quotes_nothing(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYENGINE_TEST_SECRET", "s3cr3t-value")
    path = tmp_path / "policy.yaml"
    path.write_text(HEAD + "extends: [/proc/self/environ]\n", encoding="utf-8")
    code, _, err = run_cli("policy", "validate", str(path))
    assert code == 2, err
    assert_clean(code, err)
    assert "s3cr3t" not in err


# --- requirement includes ------------------------------------------------------------------


def test_a_nul_in_an_include_path_is_exit_3(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"requests==2.32.3\n-r a\x00b.txt\n")
    code, _, err = _inspect(run_cli, path)
    _error(code, err, 3, "requirements.txt")


# --- --validate on deep nesting ------------------------------------------------------------


def test_validate_on_deep_json_and_xml_is_exit_3(tmp_path: Path, run_cli: RunCli) -> None:
    deep_json = "[" * 1000 + "]" * 1000
    spdx = tmp_path / "deep.spdx.json"
    spdx.write_text(
        f'{{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "x": {deep_json}}}'
    )
    cdx = tmp_path / "deep.cdx.json"
    cdx.write_text(f'{{"bomFormat": "CycloneDX", "specVersion": "1.6", "x": {deep_json}}}')
    xml = tmp_path / "deep.cdx.xml"
    xml.write_text(
        '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>'
        '<component type="library"><name>a</name>'
        + "<x>" * 2100
        + "</x>" * 2100
        + "</component></components></bom>"
    )
    for path in (spdx, cdx, xml):
        code, _, err = _inspect(run_cli, path, "--validate")
        _error(code, err, 3, path.name)


# --- registry and OSV answers of the wrong shape -------------------------------------------

PYPI = json.loads((RECORDINGS / "pypi" / "pypi%2Frequests%2Fjson.body").read_bytes())
NPM = json.loads((RECORDINGS / "npm" / "chalk.body").read_bytes())
VULN = {"id": "OSV-1", "modified": "2026-01-01T00:00:00Z"}
BATCH = {"results": [{"vulns": [VULN]}]}
AFFECTED = [{"package": {"ecosystem": "PyPI", "name": "requests"}, "versions": ["2.32.3"]}]
REGISTRY = {FactKind.PACKAGE, FactKind.RELEASES, FactKind.ARTIFACTS}


@pytest.fixture
def answers() -> Iterator[Answers]:
    with serving() as served:
        yield served


def _settings(answers: Answers, tmp_path: Path) -> EnrichSettings:
    return EnrichSettings(
        pypi_url=answers.root + "/pypi",
        npm_url=answers.root + "/npm",
        osv_url=answers.root + "/osv",
        cache_dir=tmp_path / "cache",
        retries=1,
        backoff=0.01,
        read_timeout=2.0,
        progress=False,
    )


def _changed(document: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> bytes:
    changed = copy.deepcopy(document)
    edit(changed)
    return json.dumps(changed).encode()


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["releases"].__setitem__("2.32.3", 5),
        lambda d: d["info"].__setitem__("project_urls", ["https://x", "https://y"]),
        lambda d: d.__setitem__("info", 5),
    ],
    ids=["release-is-a-number", "project-urls-a-list", "info-a-number"],
)
def test_a_pypi_answer_of_the_wrong_shape_fails_its_facts(
    answers: Answers, tmp_path: Path, edit: Callable[[dict[str, Any]], None]
) -> None:
    answers["/pypi/pypi/requests/json"] = _changed(PYPI, edit)
    evidence = enrich(
        sbom_of(("pypi", "requests", "2.32.3")), _settings(answers, tmp_path), REGISTRY
    )
    facts = evidence.for_key("pypi/requests@2.32.3")
    for kind in REGISTRY:
        fact = facts.get(kind)
        assert isinstance(fact, Failed), (kind, fact)
        # `info` that is no object names no package either: either reason fails the facts
        assert ("unexpected answer from" in fact.error and "wrong type" in fact.error) or (
            "does not name the package it describes" in fact.error
        )


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.__setitem__("versions", list(d["versions"])),
        lambda d: d.__setitem__("versions", []),  # empty, but not "no versions"
        lambda d: d["versions"].__setitem__("5.3.0", 5),  # not "5.3.0 was removed"
        lambda d: d.__setitem__("time", ["2026-01-01"]),
    ],
    ids=["versions-a-list", "versions-an-empty-list", "a-version-a-number", "time-a-list"],
)
def test_an_npm_answer_of_the_wrong_shape_fails_its_facts(
    answers: Answers, tmp_path: Path, edit: Callable[[dict[str, Any]], None]
) -> None:
    answers["/npm/chalk"] = _changed(NPM, edit)
    evidence = enrich(sbom_of(("npm", "chalk", "5.3.0")), _settings(answers, tmp_path), REGISTRY)
    facts = evidence.for_key("npm/chalk@5.3.0")
    for kind in REGISTRY:
        fact = facts.get(kind)
        assert isinstance(fact, Failed), (kind, fact)
        assert "unexpected answer from" in fact.error


@pytest.mark.parametrize(
    ("batch", "record", "expected"),
    [
        (BATCH, {**VULN, "affected": "requests"}, "unexpected OSV record"),
        (BATCH, {**VULN, "affected": AFFECTED, "severity": 5}, "unexpected OSV record"),
        (BATCH, {**VULN, "affected": AFFECTED, "summary": "x\ud800"}, "invalid JSON"),
        ({"results": [{"vulns": {"id": "OSV-1"}}]}, None, "not a list of vulns"),
        ({"results": ["none"]}, None, "not a list of vulns"),
    ],
    ids=["affected-a-string", "severity-a-number", "lone-surrogate", "vulns-a-dict", "result-str"],
)
def test_an_osv_answer_of_the_wrong_shape_fails_the_advisories(
    answers: Answers,
    tmp_path: Path,
    batch: dict[str, Any],
    record: dict[str, Any] | None,
    expected: str,
) -> None:
    answers["querybatch"] = json.dumps(batch).encode()
    if record is not None:
        answers["/osv/v1/vulns/OSV-1"] = json.dumps(record).encode()
    settings = _settings(answers, tmp_path)
    kinds = {FactKind.ADVISORIES}
    evidence = enrich(sbom_of(("pypi", "requests", "2.32.3")), settings, kinds)
    fact = evidence.for_key("pypi/requests@2.32.3").get(FactKind.ADVISORIES)
    assert isinstance(fact, Failed), fact  # never Ok: "no advisory" is not what was said
    assert expected in fact.error


def test_an_imported_advisory_of_the_wrong_shape_fails_offline_lookups(
    tmp_path: Path, run_cli: RunCli
) -> None:
    record = {**VULN, "affected": [{**AFFECTED[0], "ranges": "all"}]}
    (tmp_path / "OSV-1.json").write_text(json.dumps(record))
    cache = str(tmp_path / "cache")
    code, _, err = run_cli("db", "import", str(tmp_path / "OSV-1.json"), "--cache-dir", cache)
    assert code == 0, err
    from policyengine.enrich.osv_db import AdvisoryDb

    db = AdvisoryDb(tmp_path / "cache")
    try:
        fact = db.lookup("pypi", "requests", "2.32.3")
    finally:
        db.close()
    assert isinstance(fact, Failed) and "malformed" in fact.error, fact


def test_a_well_formed_answer_still_gives_ok(answers: Answers, tmp_path: Path) -> None:
    """The wrong-shape tests above can fail: the same server with clean answers is Ok."""
    answers["/pypi/pypi/requests/json"] = json.dumps(PYPI).encode()
    evidence = enrich(
        sbom_of(("pypi", "requests", "2.32.3")), _settings(answers, tmp_path), REGISTRY
    )
    facts = evidence.for_key("pypi/requests@2.32.3")
    assert all(isinstance(facts.get(kind), Ok) for kind in REGISTRY)


# --- damaged and foreign cache files -------------------------------------------------------


def _check_online(run_cli: RunCli, answers: Answers, cache: Path) -> tuple[int, str, str]:
    return run_cli(
        "check", str(CASE / "sbom.cdx.json"), "--policy", str(CASE / "policy.yaml"),
        "--pypi-url", answers.root + "/pypi", "--advisories", "off",
        "--cache-dir", str(cache), "--now", NOW,
    )  # fmt: skip


def _damage(database: Path) -> None:
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    data = bytearray(database.read_bytes())
    assert len(data) > 3 * 4096
    data[4096 + 100 : 3 * 4096] = b"Z" * (3 * 4096 - 4096 - 100)  # pages 2 and 3
    database.write_bytes(bytes(data))


def test_a_cache_damaged_inside_is_one_line_naming_it(
    answers: Answers, tmp_path: Path, run_cli: RunCli
) -> None:
    answers["/pypi/pypi/litellm/json"] = (
        RECORDINGS / "pypi" / "pypi%2Flitellm%2Fjson.body"
    ).read_bytes()
    cache = tmp_path / "cache"
    code, _, err = _check_online(run_cli, answers, cache)
    assert code in {0, 1}, err  # the cache now holds the answer
    _damage(cache / "http-cache.sqlite3")
    code, _, err = _check_online(run_cli, answers, cache)
    _error(code, err, 2, "http-cache.sqlite3", "malformed", "--cache-dir")


@pytest.mark.parametrize("name", ["http-cache.sqlite3", "osv.sqlite3"])
def test_another_programs_sqlite_file_at_the_cache_path_is_one_line(
    answers: Answers, tmp_path: Path, run_cli: RunCli, name: str
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    foreign = sqlite3.connect(cache / name)
    table = "responses" if name.startswith("http") else "vulns"
    foreign.execute(f"CREATE TABLE {table} (id INTEGER, payload TEXT)")
    foreign.execute(f"INSERT INTO {table} VALUES (1, 'theirs')")
    foreign.commit()
    foreign.close()
    if name.startswith("http"):
        code, _, err = _check_online(run_cli, answers, cache)
    else:
        (tmp_path / "OSV-1.json").write_text(json.dumps({**VULN, "affected": AFFECTED}))
        code, _, err = run_cli(
            "db", "import", str(tmp_path / "OSV-1.json"), "--cache-dir", str(cache)
        )
    _error(code, err, 2, name, "not a policyengine file", "--cache-dir")
    foreign = sqlite3.connect(cache / name)  # and their data is left alone
    assert foreign.execute(f"SELECT payload FROM {table}").fetchall() == [("theirs",)]
    foreign.close()


def test_validate_on_spdx_with_a_null_list_is_exit_3(tmp_path: Path, run_cli: RunCli) -> None:
    """Found by the fuzz run: spdx-tools' parser raised TypeError on `"packages": null`."""
    path = tmp_path / "sbom.spdx.json"
    document = {
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "doc",
        "dataLicense": "CC0-1.0",
        "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: x"]},
        "packages": None,
    }
    path.write_text(json.dumps(document))
    code, _, err = _inspect(run_cli, path, "--validate")
    _error(code, err, 3, "sbom.spdx.json", "wrong type")


def test_a_cache_row_whose_text_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    """Found by the fuzz run: one byte 0x80 in a cached URL was a UnicodeDecodeError (70)."""
    from policyengine.enrich.cache import Cache, Entry
    from policyengine.model import UsageError

    database = tmp_path / "http-cache.sqlite3"
    cache = Cache(database)
    cache.put("key", Entry("https://pypi.org/pypi/x/json", 200, b"{}", 1.0))
    cache.close()
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    data = bytearray(database.read_bytes())
    where = data.find(b"https://pypi.org/pypi/x/json")
    data[where + 8] = 0x80
    database.write_bytes(bytes(data))
    cache = Cache(database)
    try:
        with pytest.raises(UsageError, match=r"http-cache\.sqlite3.*decode"):
            cache.get("key")
    finally:
        cache.close()
