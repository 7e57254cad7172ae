"""The JSON Schema of policy files, generated from the document models and the check registry.

``schemas/policy.schema.json`` is this function's output (a test keeps them in
step). Each check's ``params`` schema comes from its own ``params_model``, tied
to the rule with an ``if``/``then`` on the value of ``check`` (slug or id), so
editors complete and check parameters per check.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from policyengine.model.policy import PolicyDocument
from policyengine.policy.loader import CheckSpec

SCHEMA_ID = "https://policyengine.dev/schemas/policy.schema.json"


def policy_schema(checks: Sequence[CheckSpec]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one policy file for the given checks."""
    schema: dict[str, Any] = PolicyDocument.model_json_schema(mode="validation")
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    rule = defs["RuleEntry"]
    names = sorted({c.slug for c in checks} | {c.id for c in checks})
    rule["properties"]["check"] = {
        "anyOf": [{"enum": names}, {"type": "null"}],
        "default": None,
        "description": "A check slug or id (see `policyengine checks`).",
        "title": "Check",
    }
    conditions = []
    for check in sorted(checks, key=lambda c: c.slug):
        params = check.params_model.model_json_schema(
            ref_template="#/$defs/" + _def_prefix(check.slug) + "{model}"
        )
        for name, sub in params.pop("$defs", {}).items():
            defs[_def_prefix(check.slug) + name] = sub
        conditions.append(
            {
                "if": {
                    "properties": {"check": {"enum": sorted({check.slug, check.id})}},
                    "required": ["check"],
                },
                "then": {"properties": {"params": copy.deepcopy(params)}},
            }
        )
    if conditions:
        rule["allOf"] = conditions
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "policyengine policy"
    return schema


def _def_prefix(slug: str) -> str:
    return "params-" + slug + "-"
