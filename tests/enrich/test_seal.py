"""Seals for cached derivatives: where the key lives and what a seal covers."""

from __future__ import annotations

import stat
from pathlib import Path

from policyengine.enrich.seal import ENV_CACHE_KEY, Seal


def test_the_key_file_lives_beside_the_cache_folder_and_is_private(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = Seal.beside(cache, {})
    assert first is not None
    key = tmp_path / "cache.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not cache.exists()  # nothing in the (possibly shared) cache folder
    again = Seal.beside(cache, {})
    assert again is not None and again.of("x") == first.of("x")


def test_the_environment_key_wins_and_makes_no_file(tmp_path: Path) -> None:
    one = Seal.beside(tmp_path / "a", {ENV_CACHE_KEY: "ci-secret"})
    two = Seal.beside(tmp_path / "b", {ENV_CACHE_KEY: "ci-secret"})
    assert one is not None and two is not None and one.of("x") == two.of("x")
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_key_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "cache.key").write_bytes(b"short")
    seal = Seal.beside(tmp_path / "cache", {})
    assert seal is not None and len((tmp_path / "cache.key").read_bytes()) == 32


def test_no_key_can_be_made_means_no_seal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert Seal.beside(blocker / "cache", {}) is None


def test_a_seal_covers_every_part_and_their_split() -> None:
    seal = Seal(b"k" * 32)
    sealed = seal.of("GET /a", "body")
    assert seal.verify(sealed, "GET /a", "body")
    assert not seal.verify(sealed, "GET /b", "body")
    assert not seal.verify(sealed, "GET /a", "bodx")
    assert not seal.verify(sealed, "GET /ab", "ody")
    assert not seal.verify(None, "GET /a", "body")
    assert not Seal(b"o" * 32).verify(sealed, "GET /a", "body")
