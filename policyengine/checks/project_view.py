"""Project facts (``Evidence.project``) for the pinning and lockfile checks.

The evidence bundle may hand project facts over as the model's
:class:`~policyengine.model.project.ProjectFacts` or, from a recorded bundle,
as the plain JSON object ``project_facts_to_json`` wrote; both are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping

from policyengine.model import Evidence, FactResult, Missing, Ok, Source
from policyengine.model.project import ProjectFacts, project_facts_from_json


def project_facts(evidence: Evidence) -> tuple[ProjectFacts, Source] | FactResult | None:
    """The project facts with their source, else the Missing/Failed result (or None)."""
    result = evidence.project
    if not isinstance(result, Ok):
        return result
    value = result.value
    if isinstance(value, Mapping):
        try:
            value = project_facts_from_json(dict(value))
        except (KeyError, TypeError) as exc:
            return Missing(f"the project facts in the evidence are malformed ({exc})")
    if isinstance(value, ProjectFacts):
        return value, result.source
    return Missing(f"project facts have an unexpected type ({type(value).__name__})")
