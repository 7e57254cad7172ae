"""Reading input files with bounds that hold for every kind of file.

``stat().st_size`` is 0 for devices, pipes and most of /proc, so a cap on the size a
file claims stops nothing: ``-r /dev/zero`` once reached 9 GB in 15 s, and a FIFO made
the run wait forever. Here the cap is on the bytes read, and files the user did not
name on the command line (nested requirements, project files) must be regular files,
opened without blocking.
"""

from __future__ import annotations

import errno
import gzip
import os
import stat
import zlib
from pathlib import Path

from policyengine.model import InputError, Position


def display_name(path: str | Path) -> str:
    r"""``path`` as a verdict or message can carry it: bytes that are not UTF-8 as ``\xff``.

    A file name is bytes; Python hands undecodable ones over as lone surrogates, which
    no UTF-8 writer (orjson, a report file) accepts. The name is still opened as given.
    """
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


class OverCap(InputError):
    """More bytes than the cap allows were there to read."""


def read_capped(path: Path, *, max_bytes: int, regular_only: bool, hint: str = "") -> bytes:
    """The bytes of ``path``, at most ``max_bytes`` of them.

    ``regular_only`` refuses devices, FIFOs and sockets (:class:`InputError`) before
    a byte is read; a file named by the user may be a pipe (``<(zcat sbom.json.gz)``).
    More than ``max_bytes`` is an :class:`InputError`; other failures are ``OSError``
    for the caller to word.
    """
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    if regular_only:
        # Opening a FIFO for reading blocks until a writer appears: not here.
        flags |= os.O_NONBLOCK
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb", buffering=0) as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if regular_only and not stat.S_ISREG(mode):
            raise InputError(
                "is not a regular file (a device, FIFO or socket); only files are read",
                position=Position(str(path)),
                hint=hint or "refer to a regular file",
            )
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = handle.read(min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if size > max_bytes:
        raise OverCap(
            f"the file is over the {max_bytes}-byte input cap",
            position=Position(str(path)),
            hint=hint or "raise --max-input-size if the file is expected to be this large",
        )
    return b"".join(chunks)


def gunzip_capped(data: bytes, source: str, max_bytes: int, hint: str = "") -> bytes:
    """Decompress gzip ``data``, refusing more than ``max_bytes`` of output.

    Decompressed in bounded steps so that a gzip bomb stops at the cap instead of
    filling the memory; a truncated or corrupt stream is an :class:`InputError`.
    """
    decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decomp.decompress(data, max_bytes + 1)
        if len(out) > max_bytes or decomp.unconsumed_tail:
            raise OverCap(
                f"the gzip-compressed file expands past the {max_bytes}-byte input cap",
                position=Position(source),
                hint=hint or "raise --max-input-size if the file is expected to be this large",
            )
        if not decomp.eof:
            raise InputError(
                "the gzip stream is truncated", position=Position(source), hint="re-create the file"
            )
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(
            f"invalid gzip data: {exc}", position=Position(source), hint="re-create the file"
        ) from None
    return out
