"""``expr``: a custom rule written as a CEL expression over a component and its facts."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any, ClassVar

from pydantic import Field, field_validator

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.model import (
    Component,
    ComponentEvidence,
    FactKind,
    Finding,
    Missing,
    Ok,
    Status,
)
from policyengine.policy.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
    evaluate,
)

_KINDS = frozenset(kind.value for kind in FactKind if kind is not FactKind.PROJECT)


@lru_cache(maxsize=512)
def compiled(text: str) -> Expression:
    """Compile once per distinct expression text."""
    return compile_expression(text, _KINDS | {FactKind.PROJECT.value})


class ExprParams(CheckParams):
    """Parameters of ``expr``: the expression, and what to say when it holds."""

    expr: str = Field(
        min_length=1,
        description="CEL; true means the component violates the rule. "
        "Sees component, facts, missing, project, now and has_fact(kind).",
    )
    message: str | None = Field(default=None, description="Message when the expression is true.")
    remediation: str | None = Field(default=None, description="How to fix a violation.")

    @field_validator("expr")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled(value)
        except ExpressionError as exc:
            raise ValueError(f"the expression does not compile: {exc}") from None
        return value


class ExprCheck(Check):
    """Custom rule: a CEL expression that is true when a component violates the rule.

    What it checks:
        Evaluates ``params.expr`` for every selected component. ``true`` fails the
        rule, ``false`` passes it; anything else is an error.

    Why:
        Organisations have rules no stock check covers; an expression states them
        in the policy itself, with no code to install and nothing that can reach
        the host (CEL has no I/O).

    Parameters:
        ``expr`` (required): the CEL expression. It sees ``component`` (ref, name,
        version, ecosystem, purl, hashes, licenses, supplier, author, scope,
        direct, type), ``facts`` (obtained facts by kind, as plain maps),
        ``missing`` (kinds not obtained), ``project``, ``now`` (RFC 3339) and
        ``has_fact(kind)``. ``message`` and ``remediation`` are shown on failure.

    Example:
        ```yaml
        - id: no-unlisted-versions
          check: expr
          params:
            expr: 'has_fact("releases") && !facts.releases.listed'
            message: the registry no longer lists this version
          severity: fail
        ```

    How to fix:
        Follow the rule's message; if the expression answers ``unknown``, the
        facts it reads could not be obtained: re-run with network access or a
        complete evidence bundle.
    """

    id: ClassVar[str] = "PE-EXPR-001"
    slug: ClassVar[str] = "expr"
    title: ClassVar[str] = "Custom rule written as a CEL expression"
    needs: ClassVar[tuple[FactKind, ...]] = ()
    params_model: ClassVar[type[CheckParams]] = ExprParams

    @classmethod
    def needs_for(cls, params: CheckParams) -> tuple[FactKind, ...]:
        """The fact kinds this rule's expression mentions (enrichment collects them)."""
        assert isinstance(params, ExprParams)
        return tuple(sorted(FactKind(k) for k in compiled(params.expr).facts))

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Evaluate the expression for one component."""
        assert isinstance(params, ExprParams)
        expression = compiled(params.expr)
        facts: dict[str, Any] = {}
        missing: dict[str, str] = {}
        for kind in FactKind:
            if kind is FactKind.PROJECT:
                continue
            fact = evidence.get(kind)
            if isinstance(fact, Ok):
                # Only the kinds the expression names are converted: the rest is never read.
                facts[kind.value] = plain(fact.value) if kind.value in expression.facts else {}
            else:
                missing[kind.value] = fact.reason if isinstance(fact, Missing) else fact.error
        project = context.evidence.project
        data = {
            "component": plain(component, drop=("location", "unidentified_reason")),
            "facts": facts,
            "missing": sorted(missing),
            "project": plain(project.value) if isinstance(project, Ok) else None,
            "now": _rfc3339(context.now),
        }
        try:
            value = evaluate(expression, data)
        except ExpressionError as exc:
            absent = sorted(expression.facts & set(missing))
            if absent:
                reasons = "; ".join(f"{k}: {missing[k]}" for k in absent)
                yield Finding(
                    Status.UNKNOWN,
                    f"the expression needs facts that are missing ({reasons})",
                    observed={"missing": list(absent)},
                )
            else:
                yield Finding(Status.ERROR, f"the expression failed: {exc}")
            return
        if value is True:
            yield Finding(
                Status.FAIL,
                params.message or f"the expression holds: {params.expr}",
                observed=True,
                expected=False,
                remediation=params.remediation,
            )
        elif value is False:
            yield Finding(Status.PASS, f"the expression does not hold: {params.expr}")
        else:
            yield Finding(
                Status.ERROR,
                f"the expression gave {type(value).__name__}, not a boolean",
                observed=repr(value),
            )


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat() + "Z"


_SCALARS = (str, int, float, bool, type(None))
_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(kind):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
    return names


def plain(value: Any, drop: tuple[str, ...] = ()) -> Any:
    """A model value as plain maps, lists, strings and numbers (datetimes as RFC 3339)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    names = _field_names(kind)
    if names is not None:
        return {n: plain(getattr(value, n)) for n in names if n not in drop}
    if isinstance(value, datetime):
        return _rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
