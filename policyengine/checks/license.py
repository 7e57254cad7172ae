"""PE-LIC-001 license: the component's license expression is allowed by the policy."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Literal

from license_expression import ExpressionError, get_spdx_licensing
from pydantic import Field, field_validator

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import describe, input_source
from policyengine.model import (
    Component,
    ComponentEvidence,
    Finding,
    JsonValue,
    Status,
    trove_license_ref,
)

_NO_ASSERTION = {"", "noassertion", "none", "unknown", "unlicensed"}


@lru_cache(maxsize=1)
def _licensing() -> Any:
    return get_spdx_licensing()


def _symbols(expression: str) -> list[str]:
    """The license keys of an expression (``X WITH Y`` kept whole), SPDX-normalised."""
    parsed = _licensing().parse(expression)
    if parsed is None:
        return []
    return [str(s) for s in _licensing().license_symbols(parsed, decompose=False)]


def _options(expression: str) -> list[list[str]]:
    """The alternatives of an expression in disjunctive normal form: OR of ANDs of keys."""
    licensing = _licensing()
    parsed = licensing.parse(expression)
    dnf = licensing.dnf(parsed)
    terms = dnf.args if isinstance(dnf, licensing.OR) else (dnf,)
    return [[str(s) for s in licensing.license_symbols(t, decompose=False)] for t in terms]


def _normalise_list(value: tuple[str, ...]) -> tuple[str, ...]:
    keys: list[str] = []
    for entry in value:
        try:
            keys.extend(_symbols(entry))
        except ExpressionError as exc:
            raise ValueError(f"{entry!r} is not an SPDX license expression: {exc}") from None
    return tuple(dict.fromkeys(keys))


class LicenseParams(CheckParams):
    """Parameters of ``license``."""

    allow: tuple[str, ...] = Field(
        default=(),
        description="Allowed SPDX license ids (or 'X WITH Y'); empty: anything not denied.",
    )
    deny: tuple[str, ...] = Field(default=(), description="Denied SPDX license ids.")
    unknown: Literal["fail", "unknown", "pass"] = Field(
        default="unknown",
        description="What a missing, NOASSERTION or unparseable license does.",
    )

    @field_validator("allow", "deny")
    @classmethod
    def _spdx(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _normalise_list(value)


class LicenseCheck(Check):
    """The component's license expression is allowed by the policy.

    What it checks:
        The SPDX license expression the input gives for the component, read
        with ``license-expression`` (deprecated ids such as ``GPL-2.0+`` are
        normalised). The expression is rewritten as alternatives (``A OR (B
        AND C)`` -> ``A`` | ``B and C``); it passes when at least one
        alternative has only allowed licenses (with an empty ``allow`` list:
        no denied license). Otherwise it fails, naming the denied or
        not-allowed licenses. A missing license, ``NOASSERTION`` or an
        unparseable expression is unknown, and ``unknown`` decides. A PyPI trove
        classifier the SBOM gives as the license (cyclonedx-py writes e.g.
        ``License :: OSI Approved :: BSD License``) counts as its SPDX id when it
        names exactly one (``... :: MIT License`` is ``MIT``); one that does not
        (``BSD License``: which BSD? ``GPLv3``: only or or-later?) is read as
        ``LicenseRef-PyPI-Trove-...``, is unknown, and the finding names it.

    Why:
        A license the organisation cannot comply with (or a package with no
        license at all, which grants no rights) is a legal release blocker
        that is cheap to catch before shipping and expensive after.

    Parameters:
        ``allow``: allowed license ids. ``deny``: denied license ids.
        ``unknown``: ``unknown`` (default), ``fail`` or ``pass`` for missing or
        unreadable licenses.

    Example:
        ```yaml
        - id: licenses
          check: license
          params:
            deny: [AGPL-3.0-only, AGPL-3.0-or-later, SSPL-1.0]
            unknown: fail
          severity: fail
        ```

    How to fix:
        Replace the component with one under an allowed license, obtain a
        different license from its authors, or, after legal review, add the
        license to the allow list or record a waiver. For a missing license,
        fix the SBOM generator or ask the project to declare one. For an
        ambiguous trove classifier, regenerate the SBOM from metadata with a PEP
        639 ``License-Expression`` (a newer release may have one), or read the
        package's license file and record a waiver.
    """

    id = "PE-LIC-001"
    slug = "license"
    title = "The license expression is allowed by the policy"
    needs = ()
    params_model = LicenseParams

    def check_component(
        self,
        component: Component,
        evidence: ComponentEvidence,
        params: CheckParams,
        context: CheckContext,
    ) -> Iterable[Finding]:
        """Judge the SBOM's license expression for the component."""
        assert isinstance(params, LicenseParams)
        expected: JsonValue = {
            "allow": list[JsonValue](params.allow),
            "deny": list[JsonValue](params.deny),
        }
        text = (component.licenses or "").strip()
        source = input_source(context)
        options: list[list[str]] | None = None
        problem = None
        if text.lower() in _NO_ASSERTION:
            problem = "the input gives no license" if not text else f"the license is {text!r}"
        else:
            try:
                options = _options(text)
            except ExpressionError as exc:
                problem = f"the license {text!r} is not a valid SPDX expression ({exc})"
        if options is None:
            status = {"fail": Status.FAIL, "unknown": Status.UNKNOWN, "pass": Status.PASS}[
                params.unknown
            ]
            yield Finding(
                status=status,
                message=f"{describe(component)}: {problem}",
                observed=component.licenses,
                expected=expected,
                sources=(source,),
                remediation=None
                if status is Status.PASS
                else (
                    f"Find out the license of {component.name} (its repository or package "
                    "metadata) and fix the SBOM generator or ask the project to declare one."
                ),
            )
            return
        allow = {a.lower() for a in params.allow}
        deny = {d.lower() for d in params.deny}
        rejected: dict[str, str] = {}
        unknown_keys: list[str] = []
        for option in options:
            verdicts = {k: _verdict(k, allow, deny) for k in option}
            bad = {k: v for k, v in verdicts.items() if v is not None}
            if not bad:
                yield Finding(
                    status=Status.PASS,
                    message=f"{describe(component)} is licensed under {' AND '.join(option)}, "
                    "which the policy allows",
                    observed=text,
                    expected=expected,
                    sources=(source,),
                )
                return
            if all(v == _UNKNOWN for v in bad.values()):
                unknown_keys.extend(bad)
            else:
                rejected.update(bad)
        classifiers = {trove_license_ref(c): c for c in component.unmapped_license_classifiers}
        if unknown_keys and params.unknown != "fail":
            status = Status.UNKNOWN if params.unknown == "unknown" else Status.PASS
            unknown = list(dict.fromkeys(unknown_keys))
            trove = [k for k in unknown if k in classifiers]
            others = [k for k in unknown if k not in classifiers]
            reasons = [_trove_reason(trove, classifiers)] if trove else []
            if others:
                reasons.append(", ".join(others) + " is not an SPDX license id the policy lists")
            yield Finding(
                status=status,
                message=f"{describe(component)} is licensed {text}: " + "; ".join(reasons),
                observed=text,
                expected=expected,
                sources=(source,),
                remediation=None
                if status is Status.PASS
                else _remedy(
                    component,
                    trove,
                    "Have the license reviewed and add its id to the allow or deny list, "
                    "or record a waiver."
                    if others
                    else None,
                ),
            )
            return
        rejected.update(dict.fromkeys(unknown_keys, _UNKNOWN))
        trove = sorted(k for k in rejected if k in classifiers)
        for key in trove:
            rejected[key] = f"the {_TROVE_WORDS} {classifiers[key]!r}, which {_TROVE_WHY}"
        yield Finding(
            status=Status.FAIL,
            message=f"{describe(component)} is licensed {text}: "
            + "; ".join(f"{k} is {v}" for k, v in sorted(rejected.items())),
            observed=text,
            expected=expected,
            sources=(source,),
            remediation=_remedy(
                component,
                trove,
                f"Replace {component.name} with a package under an allowed license, obtain "
                "another license from its authors, or after legal review allow the license "
                "or record a waiver."
                if len(trove) < len(rejected)
                else None,
            ),
        )


_TROVE_WORDS = "PyPI trove classifier"
_TROVE_WHY = "does not identify one SPDX license"


def _trove_reason(keys: list[str], classifiers: dict[str, str]) -> str:
    """Say that the SBOM gives trove classifiers naming no single SPDX license."""
    named = ", ".join(repr(classifiers[k]) for k in keys)
    plural = "s" if len(keys) > 1 else ""
    verb = "do" if len(keys) > 1 else "does"
    return (
        f"the SBOM names the {_TROVE_WORDS}{plural} {named} ({', '.join(keys)}), which "
        f"{verb} not identify one SPDX license (PEP 639: a tool must not guess which)"
    )


def _remedy(component: Component, trove: list[str], other: str | None) -> str:
    """The remedy for the other problems, then the one for ambiguous trove classifiers."""
    parts = [other] if other else []
    if trove:
        parts.append(
            f"Regenerate the SBOM from metadata that declares a PEP 639 License-Expression "
            f"(a newer release of {component.name} may have one), or read "
            f"{component.name}'s license file and record a waiver; to accept the "
            f"classifier wherever it appears, allow {', '.join(trove)} after legal review."
        )
    return " ".join(parts)


_UNKNOWN = "not a known SPDX license"


def _verdict(key: str, allow: set[str], deny: set[str]) -> str | None:
    """Why a license key is not acceptable, or ``None`` when it is.

    A key the policy names is judged by the lists; a key that is no SPDX id
    (``LicenseRef-...``, a typo) and is not listed is unknown.
    """
    lowered = key.lower()
    base = lowered.split(" with ")[0]
    if lowered in deny or base in deny:
        return "denied"
    if lowered in allow or base in allow:
        return None
    if not _known(key.split(" WITH ")[0]):
        return _UNKNOWN
    if allow:
        return "not on the allow list"
    return None


@lru_cache(maxsize=4096)
def _known(key: str) -> bool:
    """Whether ``key`` is an SPDX license id known to license-expression."""
    return not _licensing().validate(key).invalid_symbols
