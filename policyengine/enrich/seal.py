"""Seals for cached derivatives: an HMAC under a key that never lives in the cache folder.

A downloaded artifact verifies itself (its file name is its digest), but an
inspection report or a stored HTTP answer does not: whoever can write the cache
folder (the README suggests sharing it between CI jobs) could edit one to look
clean. So every cached derivative is stored with a seal over what it says *and*
what it was derived from (the request key, the artifact digest, the inspector
version); a read whose seal does not verify is dropped and the answer is asked
for or derived again, never trusted.

The key comes from ``POLICYENGINE_CACHE_KEY`` (a CI secret, so that jobs sharing
a cache can also share its answers), else from a key file beside the cache folder,
``<cache folder>.key``, created on first use with mode 0600. A shared cache folder
thus carries no key: answers from another machine are refetched, artifacts reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

ENV_CACHE_KEY = "POLICYENGINE_CACHE_KEY"
_KEY_BYTES = 32


class Seal:
    """Seals and verifies byte strings under one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def beside(cls, cache_dir: Path, env: Mapping[str, str]) -> Seal | None:
        """The seal for ``cache_dir``: the env key, else ``<cache_dir>.key``; None if neither.

        None (no key could be read or made) means nothing cached may be trusted:
        callers then neither reuse nor store derivatives, which is slower, never wrong.
        """
        secret = env.get(ENV_CACHE_KEY, "")
        if secret:
            return cls(hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest())
        key = _key_file(cache_dir.parent / f"{cache_dir.name}.key")
        return cls(key) if key is not None else None

    def of(self, *parts: bytes | str) -> str:
        """The seal over ``parts`` (each length-prefixed, so no two splits collide)."""
        mac = hmac.new(self._key, digestmod=hashlib.sha256)
        for part in parts:
            data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
            mac.update(len(data).to_bytes(8, "big"))
            mac.update(data)
        return mac.hexdigest()

    def verify(self, seal: str | None, *parts: bytes | str) -> bool:
        """True when ``seal`` is the seal over ``parts``."""
        return seal is not None and hmac.compare_digest(seal, self.of(*parts))


def _key_file(path: Path) -> bytes | None:
    """The key in ``path``, created (0600, atomically) when absent; None when unusable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = b""
    except OSError:
        return None
    if len(data) == _KEY_BYTES:
        return data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(_KEY_BYTES))
        # Two processes creating the key at once: the first link wins, both read it.
        if data:  # a damaged key file: replace it (everything sealed with it is lost)
            os.replace(tmp, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) == _KEY_BYTES else None
