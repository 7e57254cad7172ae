from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
import pytest

from policyengine.enrich.artifacts import ArtifactRefused, fetch_artifact
from policyengine.model import Artifact, Hash
from tests.enrich.artifacts.builders import Registry

BODY = b"wheel bytes " * 1000


def fetch(artifact: Artifact, *, max_bytes: int = 1 << 20, cache_dir: Path | None = None) -> bytes:
    async def go() -> bytes:
        async with httpx.AsyncClient() as client:
            return await fetch_artifact(client, artifact, max_bytes=max_bytes, cache_dir=cache_dir)

    return asyncio.run(go())


def test_verified_body_is_returned(registry: Registry) -> None:
    artifact = registry.add("a-1.0-py3-none-any.whl", BODY)
    assert fetch(artifact) == BODY


def test_sha512_is_accepted_when_no_sha256(registry: Registry) -> None:
    artifact = registry.add("a-1.0.tgz", BODY, alg="sha512")
    assert fetch(artifact) == BODY


def test_digest_mismatch_is_refused(registry: Registry) -> None:
    artifact = registry.add("a-1.0.tar.gz", BODY, registry_digest="0" * 64)
    with pytest.raises(ArtifactRefused, match="sha256 digest mismatch"):
        fetch(artifact)


def test_weak_digest_only_is_refused_before_download(registry: Registry) -> None:
    artifact = registry.add("a-1.0.tgz", BODY, alg="sha1")
    with pytest.raises(ArtifactRefused, match="no sha256 or sha512"):
        fetch(artifact)
    assert registry.hits == {}


def test_declared_size_over_cap_is_refused_before_download(registry: Registry) -> None:
    artifact = registry.add("a-1.0.tgz", BODY)
    with pytest.raises(ArtifactRefused, match="exceeds the 100-byte cap"):
        fetch(artifact, max_bytes=100)
    assert registry.hits == {}


def test_content_length_over_cap_is_refused(registry: Registry) -> None:
    # The registry under-reports the size; the server's Content-Length gives it away.
    artifact = registry.add("a-1.0.tgz", BODY, size=10)
    with pytest.raises(ArtifactRefused, match="Content-Length"):
        fetch(artifact, max_bytes=100)


def test_streamed_body_over_cap_is_refused(registry: Registry) -> None:
    artifact = registry.add("a-1.0.tgz", BODY, size=10, headers={"X-No-Length": "1"})
    with pytest.raises(ArtifactRefused, match="body exceeds the 100-byte cap"):
        fetch(artifact, max_bytes=100)


def test_http_error_is_refused(registry: Registry) -> None:
    artifact = registry.add("a-1.0.tgz", BODY, status=503)
    with pytest.raises(ArtifactRefused, match="HTTP 503"):
        fetch(artifact)


def test_truncated_download_is_refused(registry: Registry) -> None:
    artifact = registry.add("a-1.0.tgz", BODY, headers={"Content-Length": str(len(BODY) + 50)})
    with pytest.raises(ArtifactRefused, match=r"download failed|digest mismatch"):
        fetch(artifact)


def test_no_url_is_refused() -> None:
    artifact = Artifact("a-1.0.tgz", None, 3, (Hash("sha256", "0" * 64),))
    with pytest.raises(ArtifactRefused, match="no download URL"):
        fetch(artifact)


def test_cache_serves_second_fetch_without_network(registry: Registry, tmp_path: Path) -> None:
    artifact = registry.add("a-1.0.tgz", BODY)
    assert fetch(artifact, cache_dir=tmp_path) == BODY
    assert fetch(artifact, cache_dir=tmp_path) == BODY
    assert registry.hits == {"/files/a-1.0.tgz": 1}
    digest = hashlib.sha256(BODY).hexdigest()
    assert [p.name for p in tmp_path.iterdir()] == [f"sha256-{digest}"]


def test_corrupted_cache_entry_is_discarded(registry: Registry, tmp_path: Path) -> None:
    artifact = registry.add("a-1.0.tgz", BODY)
    digest = hashlib.sha256(BODY).hexdigest()
    (tmp_path / f"sha256-{digest}").write_bytes(b"tampered")
    assert fetch(artifact, cache_dir=tmp_path) == BODY
    assert registry.hits == {"/files/a-1.0.tgz": 1}
    assert (tmp_path / f"sha256-{digest}").read_bytes() == BODY


def test_refused_body_is_not_cached(registry: Registry, tmp_path: Path) -> None:
    artifact = registry.add("a-1.0.tgz", BODY, registry_digest="1" * 64)
    with pytest.raises(ArtifactRefused):
        fetch(artifact, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
