"""What a check says about one component (or the whole document) under one rule."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from policyengine.model.evidence import Source

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


class Status(StrEnum):
    """A check's own answer, before the engine applies the rule's severity and waivers.

    ``unknown`` means the evidence needed was missing or failed: never a pass.
    ``not_applicable`` means the check has nothing to say about this component
    (e.g. an npm-only check on a PyPI package); the engine does not count it.
    ``info`` is a note for the reader that is neither a pass nor a failure (e.g. a
    rule whose allow-list is not configured): reported with outcome ``info``
    whatever the rule's severity, and never waived.
    """

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One answer of a check, with everything a reader needs to act on it.

    ``subject`` narrows the finding inside a component (an advisory id, a file
    in an artifact, a declared dependency) so that a waiver can target it.
    ``observed`` and ``expected`` are JSON values shown verbatim in reports.
    """

    status: Status
    message: str
    observed: JsonValue = None
    expected: JsonValue = None
    sources: tuple[Source, ...] = ()
    remediation: str | None = None
    subject: str | None = None
