"""Native executables and libraries, recognised by their magic numbers, not their names."""

from __future__ import annotations

import re
import struct

from policyengine.model import BinaryFile

HEAD_BYTES = 4096
"""How much of each member is read to recognise it (a PE header sits within this)."""

_LIBRARY_SUFFIX = re.compile(r"\.(so(\.\d+)*|pyd|dylib|dll)$", re.IGNORECASE)
_MACHO = {
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
}
_FAT = {b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"}


def binary_format(head: bytes) -> str | None:
    """``elf``, ``pe``, ``mach-o``, ``mach-o-fat`` for native code; ``None`` otherwise."""
    if head.startswith(b"\x7fELF"):
        return "elf"
    magic = head[:4]
    if magic in _MACHO:
        return "mach-o"
    if magic in _FAT and len(head) >= 8:
        # 0xCAFEBABE is also a Java class file; there the next word is the
        # class file version (>= 45), here the count of architectures (small).
        (count,) = struct.unpack(">I", head[4:8])
        return "mach-o-fat" if 0 < count < 20 else None
    if head.startswith(b"MZ") and len(head) >= 0x40:
        # "MZ" alone starts plenty of text; a PE image points at "PE\0\0".
        (offset,) = struct.unpack("<I", head[0x3C:0x40])
        if offset + 4 <= len(head) and head[offset : offset + 4] == b"PE\x00\x00":
            return "pe"
    return None


def wheel_is_platform_specific(filename: str) -> bool:
    """True for a wheel whose platform tag is not ``any``."""
    stem = filename[: -len(".whl")] if filename.lower().endswith(".whl") else filename
    platform = stem.rsplit("-", 1)[-1]
    return platform != "any"


def classify_binary(
    path: str, head: bytes, size: int, artifact_kind: str, filename: str
) -> BinaryFile | None:
    """The ``BinaryFile`` fact when ``head`` is native code, else ``None``."""
    fmt = binary_format(head)
    if fmt is None:
        return None
    expected = (
        artifact_kind == "wheel"
        and wheel_is_platform_specific(filename)
        and bool(_LIBRARY_SUFFIX.search(path))
        and ".data/scripts/" not in path
    )
    return BinaryFile(path=path, format=fmt, size=size, expected=expected)
