"""Policy data types: what a policy file says, and the composed policy the engine runs.

The document models (``PolicyDocument`` and the types it holds) describe one YAML
file exactly: ``schemas/policy.schema.json`` is generated from them. ``Policy`` and
``Rule`` are the result of composing a file with everything it ``extends``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

API_VERSION = "policyengine/v1"
"""The only ``apiVersion`` this release reads."""


class Severity(StrEnum):
    """What a failed rule does to the verdict."""

    FAIL = "fail"
    WARN = "warn"
    INFO = "info"


class Mode(StrEnum):
    """``enforce`` counts failures; ``log`` only reports them (as ``info``)."""

    ENFORCE = "enforce"
    LOG = "log"


class OnMissingEvidence(StrEnum):
    """What an ``unknown`` result (evidence missing or failed) does to the overall outcome."""

    FAIL = "fail"
    WARN = "warn"
    IGNORE = "ignore"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Metadata(_Strict):
    """Who the policy is: a name for verdicts and a description for people."""

    name: str = Field(min_length=1, description="Name shown in verdicts.")
    description: str | None = Field(default=None, description="What the policy is for.")


class Settings(_Strict):
    """Policy-wide switches; a file that extends another overrides only what it sets."""

    on_missing_evidence: OnMissingEvidence = Field(
        default=OnMissingEvidence.FAIL,
        description="fail: unknown results make the verdict `incomplete` (exit 4); "
        "warn: they count as warnings; ignore: they are reported only.",
    )
    waivers_require_expiry: bool = Field(
        default=True, description="Refuse waivers without an `expires` date."
    )
    waiver_warning_days: int = Field(
        default=14, ge=0, description="Warn about waivers expiring within this many days."
    )


class Selector(_Strict):
    """Which components a rule applies to; every part given must match (all optional)."""

    ecosystems: tuple[str, ...] | None = Field(
        default=None, description="purl types, e.g. pypi, npm."
    )
    names: tuple[str, ...] | None = Field(
        default=None, description="Glob patterns on the normalised name, e.g. `@acme/*`."
    )
    purls: tuple[str, ...] | None = Field(
        default=None, description="purl prefixes, with or without a version."
    )
    scopes: tuple[str, ...] | None = Field(
        default=None, description="Component scopes (required, optional, excluded)."
    )
    direct: bool | None = Field(
        default=None,
        description="true: direct dependencies only; false: transitive only "
        "(components whose graph position is unknown always match).",
    )
    types: tuple[str, ...] | None = Field(
        default=None, description="Component types (library, application ...)."
    )


RULE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class RuleEntry(_Strict):
    """One entry of ``rules:`` in a file: a new rule, or an override of an inherited one.

    An entry whose ``id`` exists in an extended policy replaces that rule when it
    names a ``check``, changes only the keys it gives otherwise, and removes it
    with ``disabled: true``.
    """

    id: str = Field(pattern=RULE_ID_PATTERN, description="Unique in the composed policy.")
    check: str | None = Field(default=None, description="A check slug or id, or `expr`.")
    params: dict[str, Any] | None = Field(
        default=None, description="The check's parameters (see `policyengine checks ID`)."
    )
    severity: Severity | None = Field(default=None, description="Default: fail.")
    mode: Mode | None = Field(default=None, description="Default: enforce.")
    effective_from: date | None = Field(
        default=None, description="Before this date a failure counts as a warning."
    )
    message: str | None = Field(default=None, description="Replaces the check's message.")
    description: str | None = Field(default=None, description="Why the rule exists.")
    selector: Selector | None = None
    on_missing_evidence: OnMissingEvidence | None = Field(
        default=None,
        description="What this rule's unknown results do to the verdict, overriding "
        "`settings.on_missing_evidence` (e.g. `ignore` for a fact some registries never "
        "publish); the results are reported either way.",
    )
    disabled: bool = Field(default=False, description="Remove an inherited rule.")


class Waiver(_Strict):
    """An accepted exception: one rule, one component (purl), optionally one advisory."""

    rule: str = Field(min_length=1, description="The rule id waived.")
    component: str = Field(
        min_length=1, description="A purl, with or without version (e.g. pkg:pypi/litellm)."
    )
    versions: str | None = Field(
        default=None, description="A version range in the ecosystem's syntax, e.g. `<1.83`."
    )
    advisory: str | None = Field(default=None, description="Only this advisory or finding subject.")
    reason: str = Field(min_length=1, description="Why the exception is acceptable.")
    owner: str | None = None
    ticket: str | None = None
    approved_by: str | None = None
    expires: date | None = Field(
        default=None, description="Last day the waiver applies (required unless settings say so)."
    )


class PolicyDocument(_Strict):
    """One policy YAML file, exactly as written."""

    apiVersion: Literal["policyengine/v1"]
    kind: Literal["Policy"]
    metadata: Metadata
    extends: tuple[str, ...] = Field(
        default=(), description="Policy files (relative paths) or shipped policy names."
    )
    settings: Settings | None = None
    rules: tuple[RuleEntry, ...] = ()
    waivers: tuple[Waiver, ...] = ()


class Rule(_Strict):
    """A composed rule, ready to run: every default applied, the check resolved to its slug."""

    id: str
    check: str
    params: dict[str, Any] = Field(default_factory=dict)
    severity: Severity = Severity.FAIL
    mode: Mode = Mode.ENFORCE
    effective_from: date | None = None
    message: str | None = None
    description: str | None = None
    selector: Selector = Field(default_factory=Selector)
    on_missing_evidence: OnMissingEvidence | None = None
    """Overrides the policy's setting for this rule's unknown results (None: the setting)."""
    source: str | None = None
    """Where the rule was (last) defined, ``file:line``."""


class PolicyWaiver(Waiver):
    """A waiver of the composed policy, with where it was written."""

    source: str | None = None


class Policy(_Strict):
    """A composed policy: one file plus everything it extends, overrides applied."""

    name: str
    description: str | None = None
    settings: Settings = Field(default_factory=Settings)
    rules: tuple[Rule, ...] = ()
    waivers: tuple[PolicyWaiver, ...] = ()
    files: tuple[str, ...] = ()
    """Every file composed, the top one first."""
    digest: str = ""
    """``sha256:`` of the canonical JSON of name, settings, rules and waivers."""
