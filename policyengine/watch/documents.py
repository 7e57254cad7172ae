"""The JSON forms of stored releases and verdicts (``releases ... --format json``, ``/v1``).

Imports nothing heavy at run time: the command line imports it to build its parser.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policyengine.store import ReleaseRow, VerdictRow


def stamp(moment: datetime) -> str:
    """A UTC time as RFC 3339 with ``Z``."""
    return moment.isoformat().replace("+00:00", "Z")


def release_doc(row: ReleaseRow) -> dict[str, Any]:
    """A release with its first and latest verdicts."""
    return {
        "release": row.name,
        "version": row.version,
        "created_at": stamp(row.created_at),
        "components": row.components,
        "verdicts": row.verdicts,
        "first_verdict": verdict_doc(row.first),
        "latest_verdict": verdict_doc(row.latest),
    }


def verdict_doc(row: VerdictRow) -> dict[str, Any]:
    """One stored verdict's row (not the verdict JSON itself)."""
    return {
        "seq": row.seq,
        "outcome": row.outcome,
        "judged_at": stamp(row.judged_at),
        "evaluated_at": stamp(row.evaluated_at),
        "reason": row.reason,
        "policy": {"name": row.policy_name, "digest": row.policy_digest},
        "evidence_digest": row.evidence_digest,
        "advisory_generation": row.advisory_generation,
        "summary": row.summary,
    }
