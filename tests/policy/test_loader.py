from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from policyengine.model import PolicyError
from policyengine.model.policy import Mode, OnMissingEvidence, Severity
from policyengine.policy import loader
from policyengine.policy.loader import load_policy
from tests.engine.fakes import CHECKS
from tests.policy.helpers import load, write

GOOD = """\
settings:
  on_missing_evidence: warn
rules:
  - id: status
    check: fake-status
    params: {statuses: [quarantined]}
    severity: warn
    mode: log
    effective_from: 2026-06-01
    message: custom
    selector:
      ecosystems: [pypi]
      names: ["lite*"]
      direct: true
  - id: custom
    check: expr
    params: {expr: 'component.ecosystem == "pypi" && !has_fact("releases")'}
waivers:
  - rule: status
    component: pkg:pypi/litellm
    versions: "<1.83"
    reason: accepted
    expires: 2026-12-31
"""


def test_good_policy_loads(tmp_path: Path) -> None:
    policy = load(tmp_path, GOOD)
    assert policy.name == "test"
    assert policy.settings.on_missing_evidence is OnMissingEvidence.WARN
    status, custom = policy.rules
    assert status.params == {"statuses": ["quarantined"]}
    assert status.severity is Severity.WARN and status.mode is Mode.LOG
    assert status.effective_from == datetime.date(2026, 6, 1)
    assert status.selector.names == ("lite*",)
    assert status.source == f"{tmp_path / 'policy.yaml'}:8"
    assert custom.severity is Severity.FAIL and custom.mode is Mode.ENFORCE
    assert policy.waivers[0].expires == datetime.date(2026, 12, 31)
    assert policy.digest.startswith("sha256:")


def test_check_id_resolves_to_slug(tmp_path: Path) -> None:
    policy = load(tmp_path, "rules:\n  - id: s\n    check: PE-TEST-001\n")
    assert policy.rules[0].check == "fake-status"


def _error(tmp_path: Path, body: str) -> PolicyError:
    with pytest.raises(PolicyError) as err:
        load(tmp_path, body)
    return err.value


def test_unknown_top_level_key(tmp_path: Path) -> None:
    error = _error(tmp_path, "rulez: []\n")
    assert error.position is not None and (error.position.line, error.position.column) == (5, 1)
    assert "unknown key 'rulez'" in error.message
    assert error.hint is not None and "rules" in error.hint and "waivers" in error.hint


def test_unknown_rule_key_lists_allowed(tmp_path: Path) -> None:
    error = _error(tmp_path, "rules:\n  - id: a\n    check: expr\n    sevrity: warn\n")
    assert error.position is not None and (error.position.line, error.position.column) == (8, 5)
    assert "unknown key 'sevrity' in rules[0]" in error.message
    assert error.hint is not None and "severity" in error.hint


def test_unknown_selector_key(tmp_path: Path) -> None:
    body = "rules:\n  - id: a\n    check: fake-status\n    selector: {ecosystem: [pypi]}\n"
    error = _error(tmp_path, body)
    assert "rules[0].selector" in error.message
    assert error.hint is not None and "ecosystems" in error.hint


def test_wrong_type(tmp_path: Path) -> None:
    error = _error(tmp_path, "settings:\n  waivers_require_expiry: [1]\n")
    assert error.position is not None and error.position.line == 6
    assert "settings.waivers_require_expiry" in error.message


def test_bad_enum(tmp_path: Path) -> None:
    error = _error(tmp_path, "rules:\n  - id: a\n    check: expr\n    severity: fatal\n")
    assert "rules[0].severity" in error.message and "'fail'" in error.message
    assert error.position is not None and error.position.line == 8


def test_missing_required(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "apiVersion: policyengine/v1\nkind: Policy\n", header=False)
    with pytest.raises(PolicyError, match="missing required key 'metadata'"):
        load_policy(path, checks=CHECKS)


def test_wrong_api_version(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "apiVersion: v2\nkind: Policy\nmetadata: {name: x}\n", False)
    with pytest.raises(PolicyError) as err:
        load_policy(path, checks=CHECKS)
    assert "apiVersion" in err.value.message and err.value.position is not None
    assert err.value.position.line == 1


def test_unknown_check(tmp_path: Path) -> None:
    error = _error(tmp_path, "rules:\n  - id: a\n    check: nope\n")
    assert "unknown check 'nope'" in error.message
    assert error.position is not None and (error.position.line, error.position.column) == (7, 12)
    assert error.hint is not None and "fake-status" in error.hint


def test_bad_parameter(tmp_path: Path) -> None:
    body = "rules:\n  - id: a\n    check: fake-status\n    params:\n      status: [x]\n"
    error = _error(tmp_path, body)
    assert "unknown key 'status' in rules[0].params" in error.message
    assert error.position is not None and (error.position.line, error.position.column) == (9, 7)
    assert error.hint is not None and "statuses" in error.hint


def test_bad_parameter_type(tmp_path: Path) -> None:
    body = "rules:\n  - id: a\n    check: fake-status\n    params: {statuses: 3}\n"
    error = _error(tmp_path, body)
    assert "rules[0].params.statuses" in error.message


def test_cel_that_does_not_compile(tmp_path: Path) -> None:
    body = "rules:\n  - id: a\n    check: expr\n    params:\n      expr: 'component.'\n"
    error = _error(tmp_path, body)
    assert "does not compile" in error.message and "Syntax error" in error.message
    assert error.position is not None and (error.position.line, error.position.column) == (9, 24)


def test_cel_undeclared_name(tmp_path: Path) -> None:
    body = "rules:\n  - id: a\n    check: expr\n    params: {expr: 'os.system == 1'}\n"
    assert "undeclared reference" in _error(tmp_path, body).message


def test_cel_too_costly(tmp_path: Path) -> None:
    expr = "[1].all(a, [2].all(b, [3].all(c, true)))"
    body = f"rules:\n  - id: a\n    check: expr\n    params: {{expr: '{expr}'}}\n"
    assert "too costly" in _error(tmp_path, body).message


def test_duplicate_rule_ids(tmp_path: Path) -> None:
    body = "rules:\n  - id: a\n    check: expr\n    params: {expr: 'true'}\n"
    body += "  - id: a\n    check: expr\n"
    error = _error(tmp_path, body + "    params: {expr: 'false'}\n")
    assert "appears twice" in error.message
    assert error.position is not None and error.position.line == 9


def test_rule_without_check(tmp_path: Path) -> None:
    assert "has no `check`" in _error(tmp_path, "rules:\n  - id: a\n").message


def test_waiver_requires_expiry(tmp_path: Path) -> None:
    body = (
        "rules:\n  - id: s\n    check: fake-status\n"
        "waivers:\n  - {rule: s, component: pkg:pypi/x, reason: r}\n"
    )
    error = _error(tmp_path, body)
    assert "no `expires`" in error.message
    assert error.position is not None and error.position.line == 9
    relaxed = load(tmp_path, "settings: {waivers_require_expiry: false}\n" + body, "p2.yaml")
    assert relaxed.waivers[0].expires is None


def test_waiver_requires_reason(tmp_path: Path) -> None:
    body = "rules:\n  - id: s\n    check: fake-status\n"
    body += "waivers:\n  - {rule: s, component: pkg:pypi/x}\n"
    assert "missing required key 'reason'" in _error(tmp_path, body).message


def test_waiver_unknown_rule(tmp_path: Path) -> None:
    body = (
        "rules:\n  - id: s\n    check: fake-status\nwaivers:\n"
        "  - {rule: t, component: pkg:pypi/x, reason: r, expires: 2027-01-01}\n"
    )
    assert "names rule 't'" in _error(tmp_path, body).message


@pytest.mark.parametrize(
    ("component", "versions", "message"),
    [
        ("litellm", None, "not a package URL"),
        ("pkg:pypi/x", "<<1", "PEP 440"),
        ("pkg:npm/x", "<<<", "npm semver"),
        ("pkg:maven/g/a", "<1", "supported for pypi, npm only"),
    ],
)
def test_waiver_component_and_range(
    tmp_path: Path, component: str, versions: str | None, message: str
) -> None:
    extra = f", versions: '{versions}'" if versions else ""
    body = (
        "rules:\n  - id: s\n    check: fake-status\nwaivers:\n"
        f"  - {{rule: s, component: '{component}', reason: r, expires: 2027-01-01{extra}}}\n"
    )
    error = _error(tmp_path, body)
    assert message in error.message
    assert error.position is not None and error.position.line == 9


BASE = """\
settings:
  on_missing_evidence: warn
  waiver_warning_days: 30
rules:
  - id: status
    check: fake-status
    severity: fail
  - id: advisories
    check: fake-advisories
  - id: doc
    check: fake-doc
"""


def test_extends_override_and_disable(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = """\
extends: [base.yaml]
settings:
  on_missing_evidence: fail
rules:
  - id: status
    severity: warn
  - id: advisories
    disabled: true
  - id: extra
    check: expr
    params: {expr: 'false'}
"""
    policy = load(tmp_path, child, "child.yaml")
    assert [r.id for r in policy.rules] == ["status", "doc", "extra"]
    status = policy.rules[0]
    assert status.check == "fake-status" and status.severity is Severity.WARN
    assert status.source == f"{tmp_path / 'child.yaml'}:9"
    assert policy.settings.on_missing_evidence is OnMissingEvidence.FAIL
    assert policy.settings.waiver_warning_days == 30
    assert policy.files == (str(tmp_path / "child.yaml"), str(tmp_path / "base.yaml"))


def test_override_replaces_when_check_given(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = "extends: [base.yaml]\nrules:\n  - id: status\n    check: expr\n"
    child += "    params: {expr: 'true'}\n"
    rule = load(tmp_path, child, "child.yaml").rules[0]
    assert rule.check == "expr" and rule.severity is Severity.FAIL


def test_override_params_validated_against_inherited_check(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = "extends: [base.yaml]\nrules:\n  - id: status\n    params: {nope: 1}\n"
    error = _error(tmp_path, child)
    assert "unknown key 'nope'" in error.message
    assert error.position is not None and error.position.line == 8


def test_disable_unknown_rule(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = "extends: [base.yaml]\nrules:\n  - id: ghost\n    disabled: true\n"
    assert "no extended policy defines it" in _error(tmp_path, child).message


def test_extends_missing_file(tmp_path: Path) -> None:
    error = _error(tmp_path, "extends: [nothere.yaml]\n")
    assert "not found" in error.message
    assert error.position is not None and error.position.line == 5


def test_extends_cycle(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: [b.yaml]\n")
    write(tmp_path, "b.yaml", "extends: [a.yaml]\n")
    with pytest.raises(PolicyError, match="cycle") as err:
        load_policy(tmp_path / "a.yaml", checks=CHECKS)
    assert err.value.position is not None
    assert (err.value.position.file, err.value.position.line) == (str(tmp_path / "b.yaml"), 5)


def test_extends_shipped_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = write(tmp_path, "shipped.yaml", BASE)
    monkeypatch.setattr(loader, "shipped_policies", lambda: {"baseline": shipped})
    policy = load(tmp_path, "extends: [baseline]\n", "child.yaml")
    assert {r.id for r in policy.rules} == {"status", "advisories", "doc"}
    assert load_policy("baseline", checks=CHECKS).name == "test"
    error = _error(tmp_path, "extends: [nonesuch]\n")
    assert "no shipped policy named 'nonesuch'" in error.message
    assert error.hint is not None and "baseline" in error.hint


def test_shipped_policies_are_package_data() -> None:
    found = loader.shipped_policies()
    for name, path in found.items():
        assert path.name == f"{name}.yaml"


def test_several_policies_compose_in_order(tmp_path: Path) -> None:
    first = write(tmp_path, "one.yaml", BASE)
    second = write(tmp_path, "two.yaml", "rules:\n  - id: status\n    mode: log\n")
    policy = load_policy([first, second], checks=CHECKS)
    assert policy.name == "test+test"
    assert policy.rules[0].mode is Mode.LOG


def test_digest_ignores_location_but_not_content(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = load(tmp_path / "a", BASE)
    two = load(tmp_path / "b", "\n\n" + BASE)
    assert one.digest == two.digest
    three = load(tmp_path / "b", BASE.replace("severity: fail", "severity: warn"), "c.yaml")
    assert three.digest != one.digest


def test_missing_file() -> None:
    with pytest.raises(PolicyError, match="no such policy file"):
        load_policy("/nonexistent/policy.yaml", checks=CHECKS)


def test_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "- a\n- b\n", header=False)
    with pytest.raises(PolicyError, match="is a mapping"):
        load_policy(path, checks=CHECKS)


@pytest.mark.parametrize(
    ("line", "column"),
    [("      expr: 'component.name == 1 +'", 35), ("      expr: component.name == 1 +", 34)],
)
def test_cel_error_column_points_into_the_expression(
    tmp_path: Path, line: str, column: int
) -> None:
    error = _error(tmp_path, "rules:\n  - id: a\n    check: expr\n    params:\n" + line + "\n")
    assert error.position is not None and (error.position.line, error.position.column) == (
        9,
        column,
    )


def test_list_expected_says_list(tmp_path: Path) -> None:
    error = _error(tmp_path, "rules: {a: 1}\n")
    assert "rules: Input should be a list" in error.message
