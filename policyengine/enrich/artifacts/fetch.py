"""Download a distribution file, capped in size and verified against the registry's digest.

The body is streamed into memory with a byte cap and hashed as it arrives; it
is handed out only after the digest matches the sha256 or sha512 the registry
published. Verified bodies are cached by digest, one file per digest, written
atomically so that a crashed run never leaves a half-written file behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import tempfile
from pathlib import Path

import httpx

from policyengine.enrich.artifacts.errors import ArtifactRefused, NotCachedOffline
from policyengine.enrich.redirects import RedirectRefused
from policyengine.model import Artifact

STRONG_ALGORITHMS = ("sha256", "sha512")
"""Digests trusted to pin a file's bytes, in order of preference."""


def expected_digest(artifact: Artifact) -> tuple[str, str]:
    """The (algorithm, lower-case hex) the body must match: sha256, else sha512.

    Raises ``ArtifactRefused`` when the registry gave neither: weaker digests
    (sha1, md5) cannot pin the bytes against a deliberate substitution.
    """
    by_alg = {h.alg.lower().replace("-", ""): h.value.lower() for h in artifact.hashes}
    for alg in STRONG_ALGORITHMS:
        if by_alg.get(alg):
            return alg, by_alg[alg]
    raise ArtifactRefused(
        f"{artifact.filename}: the registry gave no sha256 or sha512 digest to verify it against"
    )


def digest_label(alg: str, value: str) -> str:
    """The ``alg:hex`` form used in reports and cache file names."""
    return f"{alg}:{value}"


def _cache_path(cache_dir: Path, alg: str, value: str) -> Path:
    return cache_dir / f"{alg}-{value}"


def _read_cached(cache_dir: Path, alg: str, value: str) -> bytes | None:
    path = _cache_path(cache_dir, alg, value)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    # A cache file is trusted only while it still hashes to its name.
    if hashlib.new(alg, data).hexdigest() != value:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return data


def _write_cached(cache_dir: Path, alg: str, value: str, data: bytes) -> None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-", suffix=".part")
    except OSError:
        return  # A cache that cannot be written is only slower, never wrong.
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, _cache_path(cache_dir, alg, value))
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


async def fetch_artifact(
    client: httpx.AsyncClient,
    artifact: Artifact,
    *,
    max_bytes: int,
    cache_dir: Path | None,
    offline: bool = False,
    total_timeout: float | None = None,
) -> bytes:
    """The verified bytes of ``artifact``; ``ArtifactRefused`` with the reason otherwise.

    Refused before any download when the registry's size exceeds ``max_bytes``
    or no strong digest exists; during the download when the body grows past
    ``max_bytes``; after it when the digest does not match. ``offline``: only
    the cache answers (``NotCachedOffline`` when it cannot). ``total_timeout``
    bounds the whole download: a body trickled byte by byte never trips a read timeout.
    """
    alg, want = expected_digest(artifact)
    if cache_dir is not None:
        cached = _read_cached(cache_dir, alg, want)
        if cached is not None:
            return cached
    if offline:
        raise NotCachedOffline(f"{artifact.filename}: offline, and not in the artifact cache")
    if not artifact.url:
        raise ArtifactRefused(f"{artifact.filename}: the registry gave no download URL")
    if artifact.size is not None and artifact.size > max_bytes:
        raise ArtifactRefused(
            f"{artifact.filename}: {artifact.size} bytes exceeds the {max_bytes}-byte cap"
            " (raise the artifact size limit to inspect it)"
        )
    hasher = hashlib.new(alg)
    # BytesIO hands its buffer out without a copy, so a body is held once, not twice.
    body = io.BytesIO()
    received = 0
    try:
        # identity + aiter_raw: the registry's digest is over the stored bytes,
        # so no transfer coding may be added by the server or removed by us.
        headers = {"Accept-Encoding": "identity", "Accept": "*/*"}
        async with (
            asyncio.timeout(total_timeout),
            client.stream("GET", artifact.url, headers=headers) as response,
        ):
            if response.status_code != 200:
                raise ArtifactRefused(
                    f"{artifact.filename}: HTTP {response.status_code} from {artifact.url}"
                )
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise ArtifactRefused(
                    f"{artifact.filename}: Content-Length {declared} exceeds the"
                    f" {max_bytes}-byte cap"
                )
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > max_bytes:
                    raise ArtifactRefused(
                        f"{artifact.filename}: body exceeds the {max_bytes}-byte cap"
                    )
                hasher.update(chunk)
                body.write(chunk)
    except TimeoutError:
        raise ArtifactRefused(
            f"{artifact.filename}: download took over {total_timeout:g} s ({received} bytes)"
        ) from None
    except RedirectRefused as exc:
        raise ArtifactRefused(f"{artifact.filename}: {exc}") from None
    except httpx.HTTPError as exc:
        raise ArtifactRefused(
            f"{artifact.filename}: download failed: {type(exc).__name__}: {exc}"
        ) from exc
    got = hasher.hexdigest()
    if got != want:
        raise ArtifactRefused(
            f"{artifact.filename}: {alg} digest mismatch: registry says {want}, got {got}"
        )
    data = body.getvalue()
    body.close()
    if cache_dir is not None:
        _write_cached(cache_dir, alg, want, data)
    return data
