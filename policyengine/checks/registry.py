"""The explicit list of checks; validated at import so a broken registry fails fast."""

from __future__ import annotations

import re

from policyengine.checks.advisories import AdvisoriesCheck
from policyengine.checks.approved_publishers import ApprovedPublishersCheck
from policyengine.checks.base import Check
from policyengine.checks.expr import ExprCheck
from policyengine.checks.hashes import HashesCheck
from policyengine.checks.install_scripts import InstallScriptsCheck
from policyengine.checks.license import LicenseCheck
from policyengine.checks.lockfile import LockfileCheck
from policyengine.checks.metadata_completeness import MetadataCompletenessCheck
from policyengine.checks.new_files import NewFilesCheck
from policyengine.checks.pinning import PinningCheck
from policyengine.checks.publisher_change import PublisherChangeCheck
from policyengine.checks.registry_status import RegistryStatusCheck
from policyengine.checks.release_age import ReleaseAgeCheck
from policyengine.checks.release_cadence import ReleaseCadenceCheck
from policyengine.checks.risk_score import RiskScoreCheck
from policyengine.checks.sbom_quality import SbomQualityCheck
from policyengine.checks.startup_code import StartupCodeCheck
from policyengine.checks.suspicious_code import SuspiciousCodeCheck
from policyengine.checks.unexpected_binaries import UnexpectedBinariesCheck

SECTIONS = ("What it checks", "Why", "Parameters", "Example", "How to fix")
"""The fixed docstring sections of every check, in order."""

ID_PATTERN = re.compile(r"PE-[A-Z]+-\d{3}")
"""The stable id scheme: ``PE-<FAMILY>-<NNN>``."""

CHECKS: tuple[type[Check], ...] = (
    RegistryStatusCheck,
    AdvisoriesCheck,
    ReleaseAgeCheck,
    ReleaseCadenceCheck,
    PublisherChangeCheck,
    ApprovedPublishersCheck,
    HashesCheck,
    PinningCheck,
    LockfileCheck,
    MetadataCompletenessCheck,
    LicenseCheck,
    SbomQualityCheck,
    RiskScoreCheck,
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
        missing = [s for s in SECTIONS if f"\n    {s}:\n" not in (check.__doc__ or "")]
        if missing:
            raise RuntimeError(f"check {check.slug} docstring lacks sections {missing}")
        if not ID_PATTERN.fullmatch(check.id):
            raise RuntimeError(f"check {check.slug} id {check.id!r} is not PE-<FAMILY>-<NNN>")
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
