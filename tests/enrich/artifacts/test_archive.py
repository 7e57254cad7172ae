"""Hostile and broken archives are refused with a reason, never read."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import tarfile
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine.enrich.artifacts import ArchiveLimits, ArtifactRefused, ScanSettings
from policyengine.enrich.artifacts.archive import Archive, Member, open_archive, unsafe_name
from policyengine.enrich.artifacts.inspect import inspect_archive
from tests.enrich.artifacts.builders import tar_gz, wheel

LIMITS = ArchiveLimits(max_unpacked_bytes=4 << 20, max_members=100, max_ratio=50, ratio_floor=4096)


def zip_of(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def tar_of(infos: list[tarfile.TarInfo], data: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info in infos:
            body = (data or {}).get(info.name)
            archive.addfile(info, io.BytesIO(body) if body is not None else None)
    return buffer.getvalue()


def refused(data: bytes, filename: str, match: str, limits: ArchiveLimits = LIMITS) -> None:
    with pytest.raises(ArtifactRefused, match=match):
        archive = open_archive(data, filename, limits)
        for member in archive.members:
            archive.read(member, member.size)


def test_clean_wheel_lists_its_files() -> None:
    filename, data = wheel("demo", "1.0", {"demo/__init__.py": b"x = 1\n"})
    archive = open_archive(data, filename, LIMITS)
    names = sorted(m.name for m in archive.members)
    assert names == [
        "demo-1.0.dist-info/METADATA",
        "demo-1.0.dist-info/RECORD",
        "demo-1.0.dist-info/WHEEL",
        "demo/__init__.py",
    ]
    member = next(m for m in archive.members if m.name == "demo/__init__.py")
    assert archive.read(member, 100) == b"x = 1\n"


def test_zip_bomb_by_ratio() -> None:
    data = zip_of([("demo/zeros.bin", b"\x00" * (1 << 20))])
    refused(data, "demo-1.0-py3-none-any.whl", "compression ratio .*zip bomb")


def test_zip_bomb_by_declared_size() -> None:
    limits = ArchiveLimits(max_unpacked_bytes=1000, max_members=100, max_ratio=1e9)
    data = zip_of([("a.py", b"a" * 600), ("b.py", b"b" * 600)])
    refused(data, "demo-1.0-py3-none-any.whl", "declared uncompressed size", limits)


def test_read_budget_caps_total_decompressed_bytes() -> None:
    # A member that decompresses to more than declared still stops at the budget.
    member = Member("a.py", 10)
    archive = Archive((member,), lambda name, limit: b"a" * limit, ArchiveLimits(15))
    assert archive.read(member, 10) == b"a" * 10
    assert archive.read(member, 10) == b"a" * 5
    with pytest.raises(ArtifactRefused, match="decompressed"):
        archive.read(member, 10)


def test_too_many_entries() -> None:
    data = zip_of([(f"f{i}.txt", b"") for i in range(101)])
    refused(data, "x.whl", "entries exceeds the cap")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/etc/passwd", "absolute"),
        ("demo/../../evil.pth", r"'\.\.'"),
        ("..\\evil.pth", r"'\.\.'"),
        ("C:/Windows/evil.dll", "drive letter"),
    ],
)
def test_zip_unsafe_names(name: str, reason: str) -> None:
    refused(zip_of([(name, b"x")]), "x.whl", reason)


def test_zip_symlink() -> None:
    info = zipfile.ZipInfo("demo/link")
    info.external_attr = 0o120777 << 16
    refused(zip_of([(info, b"/etc/passwd")]), "x.whl", "symbolic link")


def test_zip_duplicate_entries() -> None:
    buffer = io.BytesIO()
    with pytest.warns(UserWarning), zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("demo/a.py", b"1")
        archive.writestr("demo/a.py", b"2")
    refused(buffer.getvalue(), "x.whl", "duplicate")


def test_zip_encrypted_entry() -> None:
    data = bytearray(zip_of([("a.py", b"x = 1\n")]))
    # Set the "encrypted" general purpose flag in the local and central headers.
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature)
        data[at + flag_offset] |= 0x01
    refused(bytes(data), "x.whl", "encrypted")


def test_truncated_zip() -> None:
    _, data = wheel("demo", "1.0", {"demo/__init__.py": b"x = 1\n" * 100})
    refused(data[: len(data) // 2], "x.whl", "not a readable zip")


def test_corrupt_member_data_is_refused_on_read() -> None:
    data = bytearray(zip_of([("demo/a.py", b"print('hello world')\n" * 50)]))
    start = data.index(b"demo/a.py") + len("demo/a.py")
    for i in range(start + 2, start + 20):
        data[i] ^= 0xFF
    refused(bytes(data), "x.whl", "cannot read member")


def _info(name: str, kind: bytes, **extra: object) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in extra.items():
        setattr(info, key, value)
    return info


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        (_info("package/link", tarfile.SYMTYPE, linkname="/etc/passwd"), "link in tar"),
        (_info("package/hard", tarfile.LNKTYPE, linkname="package/index.js"), "link in tar"),
        (_info("package/dev", tarfile.CHRTYPE, devmajor=1, devminor=3), "device"),
        (_info("package/blk", tarfile.BLKTYPE), "device"),
        (_info("package/fifo", tarfile.FIFOTYPE), "device"),
        (_info("/abs/path.js", tarfile.REGTYPE), "absolute"),
        (_info("package/../../x.js", tarfile.REGTYPE), r"'\.\.'"),
    ],
)
def test_tar_hostile_members(info: tarfile.TarInfo, reason: str) -> None:
    refused(tar_of([info]), "x-1.0.tgz", reason)


def test_truncated_tar_gz() -> None:
    data = tar_gz({"package/index.js": bytes(range(256)) * 400})
    refused(data[: len(data) - 200], "x-1.0.tgz", "truncated")


def test_truncated_tar_inside_member() -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        info = tarfile.TarInfo("package/index.js")
        info.size = 5000
        archive.addfile(info, io.BytesIO(b"a" * 5000))
    cut = raw.getvalue()[:2048]
    refused(gzip.compress(cut), "x-1.0.tgz", "truncated|not a readable tar")


def test_gzip_bomb_stops_at_cap() -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        info = tarfile.TarInfo("package/zeros")
        info.size = 8 << 20
        archive.addfile(info, io.BytesIO(b"\x00" * info.size))
    refused(gzip.compress(raw.getvalue()), "x-1.0.tgz", "decompresses to more than")


@pytest.mark.parametrize(
    ("compress", "suffix"), [(bz2.compress, ".tar.bz2"), (lzma.compress, ".tar.xz")]
)
def test_bz2_and_xz_sdists(compress: object, suffix: str) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        info = tarfile.TarInfo("demo-1.0/setup.py")
        info.size = 3
        archive.addfile(info, io.BytesIO(b"x=1"))
    assert callable(compress)
    packed: bytes = compress(raw.getvalue())
    archive_ = open_archive(packed, "demo-1.0" + suffix, LIMITS)
    assert [m.name for m in archive_.members] == ["demo-1.0/setup.py"]
    refused(packed[:-10], "demo-1.0" + suffix, "truncated|corrupt")


def test_gzip_with_trailing_zero_padding_is_accepted() -> None:
    data = tar_gz({"package/index.js": b"1"}) + b"\x00" * 512
    assert [m.name for m in open_archive(data, "x.tgz", LIMITS).members] == ["package/index.js"]


def test_unknown_format_is_refused() -> None:
    refused(b"MZ...", "demo-1.0.win32.exe", "not a zip or tar")


@pytest.mark.parametrize(
    ("name", "unsafe"),
    [("a/b.py", False), ("./a", False), ("", True), ("a\x00b", True), ("a/../b", True)],
)
def test_unsafe_name(name: str, unsafe: bool) -> None:
    assert (unsafe_name(name) is not None) is unsafe


_, CLEAN = wheel("demo", "1.0", {"demo/__init__.py": b"import os\nx = os.getenv('X')\n" * 20})


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(CLEAN) - 1), st.integers(0, 255)), min_size=1, max_size=8)
)
def test_mutated_archives_are_read_or_refused(flips: list[tuple[int, int]]) -> None:
    data = bytearray(CLEAN)
    for at, value in flips:
        data[at] = value
    with contextlib.suppress(ArtifactRefused):
        inspect_archive(bytes(data), "d-1.0-py3-none-any.whl", "wheel", "sha256:x", ScanSettings())


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["x.whl", "x.tgz", "x.tar.bz2", "x.tar.xz"]))
def test_random_bytes_are_refused(data: bytes, filename: str) -> None:
    try:
        open_archive(data, filename, LIMITS)
    except ArtifactRefused:
        return
    # Some tiny byte strings are valid empty archives; they must list nothing.
    assert open_archive(data, filename, LIMITS).members == ()
