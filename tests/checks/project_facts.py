"""Project fact types for tests (the model's own, re-exported for the check tests)."""

from __future__ import annotations

from policyengine.model.project import (
    DeclaredDependency,
    Disagreement,
    LockEntry,
    LockfileFacts,
    ManifestFacts,
    ProjectFacts,
)

__all__ = [
    "DeclaredDependency",
    "Disagreement",
    "LockEntry",
    "LockfileFacts",
    "ManifestFacts",
    "ProjectFacts",
]
