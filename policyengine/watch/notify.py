"""Webhook delivery of re-judged releases: signed, retried, never blocking the re-judging.

Each change is POSTed as JSON from a small thread pool while re-judging goes on. The
body is signed with HMAC-SHA256 under ``POLICYENGINE_WEBHOOK_SECRET`` and the signature
sent as ``X-Policyengine-Signature: sha256=<hex>`` (GitHub's scheme, so receivers have
code for it); ``X-Policyengine-Delivery`` is a fresh id per change, the same across the
retries of one change, for receivers that drop duplicates. A delivery is retried with
exponential backoff on connection errors, 429 and 5xx; one that still fails is reported,
never fatal.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from policyengine.model import UsageError

ENV_SECRET = "POLICYENGINE_WEBHOOK_SECRET"
SIGNATURE_HEADER = "X-Policyengine-Signature"
DELIVERY_HEADER = "X-Policyengine-Delivery"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Failure:
    """A change that could not be delivered, with the last error."""

    release: str
    error: str


class Notifier:
    """Posts documents to one webhook URL in the background; :meth:`close` waits and reports."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        timeout: float = 10.0,
        workers: int = 4,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"--notify {url!r} is not an http(s) URL")
        self.url = url
        self.secret = secret
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._client = httpx.Client(timeout=timeout)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify")
        self._pending: list[tuple[str, Future[str | None]]] = []
        self.delivered = 0

    @classmethod
    def from_env(cls, url: str, env: Mapping[str, str], **options: Any) -> Notifier:
        """A notifier whose secret comes from ``POLICYENGINE_WEBHOOK_SECRET``."""
        secret = env.get(ENV_SECRET)
        if not secret:
            raise UsageError(
                f"--notify needs a signing secret in {ENV_SECRET}",
                hint="the receiver checks the HMAC-SHA256 signature with the same secret",
            )
        return cls(url, secret, **options)

    def send(self, label: str, document: Mapping[str, Any]) -> None:
        """Queue one document; returns at once."""
        body = json.dumps(document, sort_keys=True).encode()
        self._pending.append((label, self._pool.submit(self._deliver, body)))

    def _deliver(self, body: bytes) -> str | None:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body),
            DELIVERY_HEADER: str(uuid.uuid4()),
            "User-Agent": "policyengine-webhook",
        }
        error = "not sent"
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                answer = self._client.post(self.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            if answer.is_success:
                return None
            error = f"HTTP {answer.status_code}"
            if answer.status_code != 429 and answer.status_code < 500:
                break  # the receiver refused this body: sending it again will not help
        return f"{error} after {attempt + 1} attempt{'s' if attempt else ''}"

    def close(self) -> list[Failure]:
        """Wait for every queued delivery; the ones that failed."""
        failures = []
        for label, future in self._pending:
            error = future.result()
            if error is None:
                self.delivered += 1
            else:
                failures.append(Failure(label, error))
        self._pool.shutdown()
        self._client.close()
        return failures
