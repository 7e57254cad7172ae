"""The explicit list of checks; validated at import so a broken registry fails fast."""

from __future__ import annotations

from policyengine.checks.base import Check
from policyengine.checks.expr import ExprCheck
from policyengine.checks.install_scripts import InstallScriptsCheck
from policyengine.checks.new_files import NewFilesCheck
from policyengine.checks.startup_code import StartupCodeCheck
from policyengine.checks.suspicious_code import SuspiciousCodeCheck
from policyengine.checks.unexpected_binaries import UnexpectedBinariesCheck

CHECKS: tuple[type[Check], ...] = (
    StartupCodeCheck,
    InstallScriptsCheck,
    UnexpectedBinariesCheck,
    SuspiciousCodeCheck,
    NewFilesCheck,
    ExprCheck,
)
"""Every check type, in documentation order. Add new checks here, nowhere else."""


def _validate(checks: tuple[type[Check], ...]) -> dict[str, type[Check]]:
    by_slug: dict[str, type[Check]] = {}
    ids: set[str] = set()
    for check in checks:
        for attr in ("id", "slug", "title"):
            if not getattr(check, attr, None):
                raise RuntimeError(f"check {check.__name__} has no {attr}")
        if check.slug in by_slug or check.id in ids:
            raise RuntimeError(f"duplicate check id or slug: {check.id} {check.slug}")
        if not (check.__doc__ or "").strip():
            raise RuntimeError(f"check {check.slug} has no docstring")
        by_slug[check.slug] = check
        ids.add(check.id)
    return by_slug


BY_SLUG: dict[str, type[Check]] = _validate(CHECKS)
"""Checks by slug (the name policies use)."""


def get_check(slug_or_id: str) -> type[Check] | None:
    """Find a check by slug or by id."""
    found = BY_SLUG.get(slug_or_id)
    if found is not None:
        return found
    return next((c for c in CHECKS if c.id == slug_or_id), None)
