"""What one service process is told at start: store, policy set, enrichment, limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from policyengine.enrich import EnrichSettings
from policyengine.ingest import DEFAULT_MAX_BYTES


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """Everything a service process needs; nothing else is kept between requests.

    ``settings`` are the enrichment settings of every check (registry URLs, the shared
    cache folder); ``max_body`` caps a request body, compressed and after gunzip (the
    CLI's input cap); ``per_token`` is how many checks one token may run at once (more
    are answered 429); ``request_timeout`` bounds a check, and the enrichment deadline
    is held under it so that a dead registry gives an ``incomplete`` verdict in time.
    """

    store_url: str
    settings: EnrichSettings
    policy_dir: Path | None = None
    allow_policy_upload: bool = False
    max_body: int = DEFAULT_MAX_BYTES
    per_token: int = 4
    request_timeout: float = 120.0
    check_threads: int = field(default_factory=lambda: 4 * (os.cpu_count() or 1))
    """Checks judged at once in this process; more wait (``policyengine_checks_waiting``)."""

    @property
    def enrichment_deadline(self) -> float:
        """The enrichment's share of a request's time (the rest reads, judges, renders)."""
        return min(self.settings.deadline, self.request_timeout * 0.75)
