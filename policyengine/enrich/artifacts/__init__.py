"""Artifact inspection: what a version's wheels, sdists and npm tarballs contain.

``inspect_contents`` is the enrichment entry point producing the ``CONTENTS``
fact; ``fetch_artifact`` downloads one file, capped and digest-verified.
"""

from policyengine.enrich.artifacts.archive import ArchiveLimits
from policyengine.enrich.artifacts.contents import (
    InspectSettings,
    inspect_artifact,
    inspect_contents,
)
from policyengine.enrich.artifacts.errors import ArtifactRefused, NotCachedOffline
from policyengine.enrich.artifacts.fetch import fetch_artifact
from policyengine.enrich.artifacts.inspect import ScanSettings, inspect_archive

__all__ = [
    "ArchiveLimits",
    "ArtifactRefused",
    "InspectSettings",
    "NotCachedOffline",
    "ScanSettings",
    "fetch_artifact",
    "inspect_archive",
    "inspect_artifact",
    "inspect_contents",
]
