"""Content-addressed, compressed bytes: ``sha256:`` of the plain bytes names them."""

from __future__ import annotations

import hashlib
import zlib


def digest_of(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``, the blob's key."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def pack(data: bytes) -> bytes:
    """The stored form: zlib at level 6 (JSON SBOMs and bundles shrink 8-12x)."""
    return zlib.compress(data, 6)


def unpack(stored: bytes) -> bytes:
    """The plain bytes of a stored blob."""
    return zlib.decompress(stored)
