"""Read wheels, sdists and npm tarballs in memory, refusing archives that are unsafe to read.

Nothing is ever extracted to the file system: members are read from a zip or
tar opened on ``BytesIO``. Before any member is read the whole listing is
vetted: member names that are absolute or climb out with ``..``, device files,
encrypted or duplicated entries, members placed under a symbolic link, zip
symbolic links, declared sizes beyond the cap, and compression ratios that
only a zip bomb has. Compressed tar streams are decompressed by hand with a
byte cap so that a gzip bomb stops at the cap.

Links in tars are common in sdists (``docs/CONTRIBUTING.md -> ../CONTRIBUTING.md``)
and are recorded, never followed on disk: a link is resolved inside the archive's
own listing only (:func:`resolve_link`). One that ends at a regular member is also
listed as a member under its own name, read with that member's bytes, so a link
named ``setup.py`` or ``x.pth`` is inspected as what it would read once extracted.
One whose target lies outside the archive is recorded with ``resolved=None``: its
contents cannot be judged, which the contents checks report (never a pass).
"""

from __future__ import annotations

import bz2
import io
import lzma
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from policyengine.enrich.artifacts.errors import ArtifactRefused
from policyengine.model import ArchiveLink

MiB = 1024 * 1024
MAX_LINK_HOPS = 40
"""Links followed while resolving one link, as Linux's ``ELOOP`` limit: a longer chain
(or a loop) is not judged."""


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Caps that bound the work and memory spent on one archive.

    ``max_unpacked_bytes`` caps the declared size of all members together and
    the bytes actually decompressed; ``max_ratio`` is the highest
    uncompressed/compressed ratio accepted for a zip member larger than
    ``ratio_floor`` bytes (deflate tops out near 1,030:1, real files rarely
    pass 100:1).
    """

    max_unpacked_bytes: int = 1024 * MiB
    max_members: int = 100_000
    max_ratio: float = 250.0
    ratio_floor: int = MiB


@dataclass(frozen=True, slots=True)
class Member:
    """A regular file inside an archive: its (``./``-stripped) name and size."""

    name: str
    size: int


_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    tarfile.TarError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
"""What zipfile/tarfile raise on corrupt input (bad offsets, unknown versions, CRC errors)."""

_DRIVE = re.compile(r"^[A-Za-z]:")

_SURROGATE = re.compile("[\ud800-\udfff]")


def unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe (absolute, drive, ``..``, NUL), or ``None``."""
    if not name:
        return "empty member name"
    if "\x00" in name:
        return "NUL byte in member name"
    if _SURROGATE.search(name):  # tar decodes bytes that are not UTF-8 to lone surrogates
        return "member name that is not UTF-8"
    slashed = name.replace("\\", "/")
    if slashed.startswith("/"):
        return "absolute member path"
    if _DRIVE.match(slashed):
        return "member path with a drive letter"
    if ".." in slashed.split("/"):
        return "member path with a '..' component"
    return None


def _clean(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def archive_format(filename: str) -> str | None:
    """``zip``, ``tar``, ``tar.gz``, ``tar.bz2``, ``tar.xz`` by file name; ``None`` if other."""
    lower = filename.lower()
    if lower.endswith((".whl", ".zip", ".egg")):
        return "zip"
    if lower.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    if lower.endswith((".tar.bz2", ".tbz2", ".tbz")):
        return "tar.bz2"
    if lower.endswith((".tar.xz", ".txz")):
        return "tar.xz"
    if lower.endswith(".tar"):
        return "tar"
    return None


class Archive:
    """An archive opened in memory with its vetted listing of regular files and links.

    ``members`` includes every link that ends at a regular member, under the link's
    own name. ``read`` returns at most ``limit`` bytes of a member and counts every
    byte decompressed against ``max_unpacked_bytes``.
    """

    def __init__(
        self,
        members: tuple[Member, ...],
        opener: Callable[[str, int], bytes],
        limits: ArchiveLimits,
        links: tuple[ArchiveLink, ...] = (),
    ) -> None:
        self.members = members
        self.links = links
        self._opener = opener
        self._limits = limits
        self._read = 0

    def read(self, member: Member, limit: int) -> bytes:
        """Up to ``limit`` bytes from the start of ``member``."""
        budget = self._limits.max_unpacked_bytes - self._read
        if budget <= 0:
            raise ArtifactRefused(
                f"more than {self._limits.max_unpacked_bytes} bytes decompressed; refusing"
            )
        try:
            data = self._opener(member.name, min(limit, budget))
        except _READ_ERRORS as exc:
            raise ArtifactRefused(f"cannot read member {member.name!r}: {exc}") from exc
        self._read += len(data)
        return data


def open_archive(data: bytes, filename: str, limits: ArchiveLimits) -> Archive:
    """Open ``data`` (named ``filename``) or raise ``ArtifactRefused`` with the reason."""
    fmt = archive_format(filename)
    if fmt is None:
        raise ArtifactRefused(f"{filename}: not a zip or tar archive")
    if fmt == "zip":
        return _open_zip(data, limits)
    raw = _decompress(data, fmt, limits.max_unpacked_bytes)
    return _open_tar(raw, limits)


def _open_zip(data: bytes, limits: ArchiveLimits) -> Archive:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except _READ_ERRORS as exc:
        raise ArtifactRefused(f"not a readable zip archive (truncated or corrupt): {exc}") from exc
    if len(infos) > limits.max_members:
        raise ArtifactRefused(f"{len(infos)} entries exceeds the cap of {limits.max_members}")
    members: list[Member] = []
    by_name: dict[str, zipfile.ZipInfo] = {}
    declared = 0
    for info in infos:
        reason = unsafe_name(info.filename)
        if reason is not None:
            raise ArtifactRefused(f"{reason}: {info.filename!r}")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise ArtifactRefused(f"symbolic link in zip: {info.filename!r}")
        if info.flag_bits & 0x1:
            raise ArtifactRefused(f"encrypted zip entry: {info.filename!r}")
        if info.is_dir():
            continue
        name = _clean(info.filename)
        if name in by_name:
            raise ArtifactRefused(f"duplicate zip entry: {info.filename!r}")
        declared += info.file_size
        if declared > limits.max_unpacked_bytes:
            raise ArtifactRefused(
                f"declared uncompressed size exceeds {limits.max_unpacked_bytes} bytes"
                " (zip bomb or an archive too large to inspect)"
            )
        if info.file_size > limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise ArtifactRefused(
                    f"compression ratio {ratio:.0f}:1 of {info.filename!r} exceeds"
                    f" {limits.max_ratio:.0f}:1 (zip bomb)"
                )
        by_name[name] = info
        members.append(Member(name, info.file_size))

    def opener(name: str, limit: int) -> bytes:
        with archive.open(by_name[name]) as handle:
            return handle.read(limit)

    return Archive(tuple(members), opener, limits)


class _BufferReader(io.RawIOBase):
    """A seekable reader over a buffer without copying it (``BytesIO`` copies a bytearray)."""

    def __init__(self, buffer: bytes | bytearray) -> None:
        self._view = memoryview(buffer)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._pos + size
        chunk = bytes(self._view[self._pos : end])
        self._pos += len(chunk)
        return chunk


def _split(path: str) -> list[str]:
    return [part for part in path.split("/") if part not in ("", ".")]


def resolve_link(path: str, target: str, symlinks: Mapping[str, str]) -> str | None:
    """Where the symbolic link ``path`` -> ``target`` ends, inside the archive, or ``None``.

    Resolved like the kernel resolves a path, but over the archive's own listing: each
    component that is itself a link in ``symlinks`` is replaced by its target. ``None``
    when the target is absolute or has a drive letter, climbs above the archive's root,
    or needs more than ``MAX_LINK_HOPS`` links (a loop). A path that names no member
    resolves to itself (a dangling link inside the archive brings nothing in).
    """
    done: list[str] = _split(path)[:-1]
    todo: list[str] = list(reversed(_split(target)))
    if target.startswith("/") or _DRIVE.match(target) or "\x00" in target or "\\" in target:
        return None
    hops = 0
    while todo:
        part = todo.pop()
        if part == "..":
            if not done:
                return None
            done.pop()
            continue
        candidate = "/".join([*done, part])
        inner = symlinks.get(candidate)
        if inner is None:
            done.append(part)
            continue
        hops += 1
        if hops > MAX_LINK_HOPS or inner.startswith("/") or _DRIVE.match(inner):
            return None
        todo.extend(reversed(_split(inner)))
    return "/".join(done)


def _open_tar(raw: bytes | bytearray, limits: ArchiveLimits) -> Archive:
    try:
        tar = tarfile.open(fileobj=_BufferReader(raw), mode="r:")  # noqa: SIM115 - kept open for reads
        infos = tar.getmembers()
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise ArtifactRefused(f"not a readable tar archive (truncated or corrupt): {exc}") from exc
    if len(infos) > limits.max_members:
        raise ArtifactRefused(f"{len(infos)} entries exceeds the cap of {limits.max_members}")
    by_name: dict[str, tarfile.TarInfo] = {}
    symlinks: dict[str, str] = {}
    hardlinks: dict[str, str] = {}
    seen: set[str] = set()
    for info in infos:
        reason = unsafe_name(info.name)
        if reason is not None:
            raise ArtifactRefused(f"{reason}: {info.name!r}")
        name = _clean(info.name).rstrip("/")
        if info.isdir():
            continue
        if not (info.isreg() or info.issym() or info.islnk()):
            raise ArtifactRefused(f"device, fifo or special file in tar: {info.name!r}")
        if name in seen:
            # A second entry under one name overwrites the first on extraction: the
            # one inspected would not be the one installed.
            raise ArtifactRefused(f"duplicate tar entry: {info.name!r}")
        seen.add(name)
        if info.issym():
            symlinks[name] = info.linkname
        elif info.islnk():
            hardlinks[name] = info.linkname
        else:
            if info.offset_data + info.size > len(raw):
                raise ArtifactRefused(f"tar truncated inside {info.name!r}")
            by_name[name] = info
    for name in seen:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            if parent in symlinks:
                # Extraction would write this entry wherever the link points (the
                # classic tar-slip): what is inspected would not be what lands.
                raise ArtifactRefused(f"entry {name!r} lies under the symbolic link {parent!r}")
    members = [Member(name, info.size) for name, info in by_name.items()]
    readable = dict(by_name)
    links: list[ArchiveLink] = []
    for name, target in hardlinks.items():
        # A hard link's target is an archive path (not relative to the link); extracted,
        # it is a copy of that member, so it is inspected as one under its own name.
        clean = _clean(target)
        copied = by_name.get(clean) if unsafe_name(target) is None else None
        links.append(ArchiveLink(name, "hardlink", target, None if copied is None else clean))
        if copied is not None:
            readable[name] = copied
            members.append(Member(name, copied.size))
    for name, target in symlinks.items():
        # After the hard links, so that a symbolic link to a hard link is read too.
        resolved = resolve_link(name, target, symlinks)
        links.append(ArchiveLink(name, "symlink", target, resolved))
        if resolved is not None and resolved in readable:
            readable[name] = readable[resolved]
            members.append(Member(name, readable[resolved].size))

    def opener(name: str, limit: int) -> bytes:
        handle = tar.extractfile(readable[name])
        if handle is None:  # pragma: no cover - only regular files are listed
            raise ArtifactRefused(f"cannot read {name!r}")
        with handle:
            return handle.read(limit)

    return Archive(tuple(members), opener, limits, tuple(sorted(links, key=lambda k: k.path)))


def _decompress(data: bytes, fmt: str, cap: int) -> bytes | bytearray:
    if fmt == "tar":
        if len(data) > cap:
            raise ArtifactRefused(f"tar larger than {cap} bytes")
        return data
    if fmt == "tar.gz":
        return _gunzip(data, cap)
    if fmt == "tar.bz2":
        return _unpack_streams(data, cap, bz2.BZ2Decompressor, b"BZh")
    return _unpack_streams(data, cap, lzma.LZMADecompressor, b"\xfd7zXZ\x00")


_STEP = 4 * MiB
"""Output per decompression call: small steps keep one copy of the tar in memory, not two."""


def _over_cap(cap: int) -> ArtifactRefused:
    return ArtifactRefused(
        f"decompresses to more than {cap} bytes (compression bomb or too large to inspect)"
    )


def _gunzip(data: bytes, cap: int) -> bytearray:
    """Decompress every gzip member in ``data``, stopping at ``cap`` output bytes."""
    out = bytearray()
    rest = data
    while rest:
        decoder = zlib.decompressobj(wbits=31)
        pending = rest
        try:
            while True:
                chunk = decoder.decompress(pending, min(cap + 1 - len(out), _STEP))
                out += chunk
                if len(out) > cap:
                    raise _over_cap(cap)
                pending = decoder.unconsumed_tail
                if decoder.eof:
                    break
                if not pending and not chunk:
                    raise ArtifactRefused("gzip stream truncated")
        except zlib.error as exc:
            raise ArtifactRefused(f"corrupt gzip stream: {exc}") from exc
        # gzip(1) accepts zero padding after the last member; anything else
        # that is not another gzip member is ignored as trailing bytes.
        rest = decoder.unused_data.lstrip(b"\x00")
        if not rest.startswith(b"\x1f\x8b"):
            break
    return out


def _unpack_streams(
    data: bytes,
    cap: int,
    factory: Callable[[], bz2.BZ2Decompressor | lzma.LZMADecompressor],
    magic: bytes,
) -> bytearray:
    """Decompress concatenated bz2/xz streams with the same cap and truncation rules."""
    out = bytearray()
    rest = data
    while rest:
        decoder = factory()
        feed = rest
        try:
            while True:
                out += decoder.decompress(feed, min(cap + 1 - len(out), _STEP))
                feed = b""
                if len(out) > cap:
                    raise _over_cap(cap)
                if decoder.eof:
                    break
                if decoder.needs_input:
                    raise ArtifactRefused("compressed stream truncated")
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise ArtifactRefused(f"corrupt compressed stream: {exc}") from exc
        # Like the bz2 and lzma modules: trailing bytes that do not start
        # another stream are ignored.
        rest = decoder.unused_data.lstrip(b"\x00")
        if not rest.startswith(magic):
            break
    return out
