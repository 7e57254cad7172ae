"""Per-token concurrency: a token running too many checks at once is told to come back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from policyengine.service.problems import Problem

RETRY_AFTER_SECONDS = 1


class TokenSlots:
    """At most ``limit`` checks per token at once in this process.

    Counted on the event loop's thread only (handlers take and give back slots before
    and after handing the work to a thread), so no lock is needed. The limit is per
    process: N processes let a token run N x limit checks, which is what sharing the
    load across processes means.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.busy: Counter[str] = Counter()

    @property
    def in_flight(self) -> int:
        """Checks running now, all tokens together (the queue depth metric)."""
        return sum(self.busy.values())

    @contextmanager
    def slot(self, token_id: str) -> Iterator[None]:
        """Hold one of the token's slots; 429 with ``Retry-After`` when none is free."""
        if self.busy[token_id] >= self.limit:
            raise Problem(
                429,
                f"this token already runs {self.limit} checks at once; retry when one is done",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self.busy[token_id] += 1
        try:
            yield
        finally:
            self.busy[token_id] -= 1
            if not self.busy[token_id]:
                del self.busy[token_id]
