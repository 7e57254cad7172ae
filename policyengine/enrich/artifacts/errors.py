"""Why an artifact was not inspected."""

from __future__ import annotations


class ArtifactRefused(Exception):
    """An artifact that was not fetched, not verified or not safe to read.

    The message is the reason, shown to the user in the ``Failed`` fact; a
    refused artifact never counts as clean.
    """


class NotCachedOffline(ArtifactRefused):
    """Offline, and the artifact is not in the cache: the fact is missing, not failed."""
