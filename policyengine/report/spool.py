"""Bytes written as they arrive and put into their document later.

A verdict's head (outcome, summary, the SARIF rules, the JUnit totals) comes before its
results but depends on all of them. Writers that get the results rule by rule
(``engine.Evaluation``) write each rule's results here and let them go, then write the
head, copy the spool and write the tail: one rule's results in memory at a time
instead of 750,000 at 50,000 components (benchmarks/README.md).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from typing import BinaryIO, Self

from policyengine.model.errors import UsageError

SPOOL_MEMORY = 64 * 2**20
"""Bytes a spool keeps in memory before it moves to a temporary file (10,000 components
with ``release-gate`` give ~75 MB of JSON results)."""


class Spool:
    """Memory, then a temporary file past :data:`SPOOL_MEMORY`; deleted on close."""

    def __init__(self) -> None:
        # Closed by close() or the with statement: the spool outlives this method.
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115
        self.empty = True
        """Whether nothing was written yet."""

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete what was written."""
        self._file.close()

    def write(self, data: bytes) -> None:
        """Append ``data``; UsageError when the temporary directory has no room."""
        if data:
            try:
                self._file.write(data)
            except OSError as exc:
                raise UsageError(
                    f"cannot spool the report in {tempfile.gettempdir()}: {exc.strerror}",
                    hint="free space there or point TMPDIR at a filesystem with room "
                    "(a 50,000-component verdict needs ~400 MB)",
                ) from None
            self.empty = False

    def on_disk(self) -> bool:
        """Whether the spool has moved to a temporary file."""
        return bool(getattr(self._file, "_rolled", False))

    def copy_to(self, handle: BinaryIO) -> None:
        """Write everything appended so far to ``handle``."""
        self._file.seek(0)
        shutil.copyfileobj(self._file, handle, 2**20)
        self._file.seek(0, 2)

    def splice(self, handle: BinaryIO, head: bytes, indent: int) -> None:
        """Write ``head`` with the spooled items as the elements of its results array."""
        write_spliced(handle, head, indent, None if self.empty else self.copy_to)


def write_spliced(
    handle: BinaryIO, head: bytes, indent: int, items: Callable[[BinaryIO], None] | None
) -> None:
    """Write ``head`` with what ``items`` writes as the elements of its empty results array.

    ``head`` is a JSON document indented by two spaces (orjson's ``OPT_INDENT_2``)
    with ``"results": []`` at ``indent`` spaces; ``items`` writes the elements one level
    deeper, comma-separated (``None``: there are none). A trailing newline ends the
    document.
    """
    if items is None:
        handle.write(head + b"\n")
        return
    pad = b" " * indent
    marker = b"\n" + pad + b'"results": [],\n'
    at = head.find(marker)
    if at < 0:  # cannot happen: newlines inside JSON strings are escaped
        raise RuntimeError("the document head has no empty results array")
    handle.write(head[:at] + b"\n" + pad + b'"results": [\n' + pad + b"  ")
    items(handle)
    handle.write(b"\n" + pad + b"],\n" + head[at + len(marker) :] + b"\n")


class ReportWriter:
    """Base of the report writers: a context manager whose exit calls :meth:`close`."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release what the writer holds (nothing here)."""


class SpooledWriter(ReportWriter):
    """Base of the report writers that own a :class:`Spool`."""

    def __init__(self) -> None:
        self._spool = Spool()

    def close(self) -> None:
        """Delete the spool."""
        self._spool.close()

    def on_disk(self) -> bool:
        """Whether the spooled results have moved to a temporary file."""
        return self._spool.on_disk()
