from __future__ import annotations

import copy
import datetime
import json
from typing import Any

import jsonschema
import pytest

from policyengine.checks import registry
from policyengine.policy.schema import policy_schema
from policyengine.policy.yamlsafe import load_yaml
from tests.conftest import ROOT
from tests.engine.fakes import CHECKS
from tests.goldens import check_golden
from tests.policy.helpers import HEADER
from tests.policy.test_loader import GOOD


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _document(body: str) -> Any:
    return _jsonable(load_yaml(HEADER + body, "p.yaml").data)


def test_schema_file_is_current() -> None:
    text = json.dumps(policy_schema(registry.CHECKS), indent=2, ensure_ascii=False) + "\n"
    check_golden(ROOT / "schemas" / "policy.schema.json", text)


def test_schema_is_valid_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(policy_schema(CHECKS))


def test_good_policy_validates() -> None:
    validator = jsonschema.Draft202012Validator(policy_schema(CHECKS))
    validator.validate(_document(GOOD))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["rules"][0].update(check="nope"),
        lambda d: d["rules"][0].update(params={"statuses": 3}),
        lambda d: d["rules"][0].update(params={"unknown": 1}),
        lambda d: d["rules"][1].update(params={}),
        lambda d: d["rules"][0].update(sevrity="warn"),
        lambda d: d.update(rulez=[]),
        lambda d: d["waivers"][0].pop("reason"),
    ],
    ids=[
        "unknown-check",
        "param-type",
        "param-key",
        "expr-missing",
        "rule-key",
        "top-key",
        "reason",
    ],
)
def test_schema_rejects_what_the_loader_rejects(mutate: Any) -> None:
    document = copy.deepcopy(_document(GOOD))
    mutate(document)
    validator = jsonschema.Draft202012Validator(policy_schema(CHECKS))
    assert list(validator.iter_errors(document))


def test_params_tied_to_check_by_slug_and_id() -> None:
    schema = policy_schema(CHECKS)
    conditions = schema["$defs"]["RuleEntry"]["allOf"]
    slugs = {tuple(c["if"]["properties"]["check"]["enum"]) for c in conditions}
    assert ("PE-TEST-001", "fake-status") in slugs
