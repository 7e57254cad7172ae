"""A rich progress bar on stderr when it is a terminal; nothing at all otherwise."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Bar:
    """Counts finished work items; silent unless stderr is a TTY and ``enabled``."""

    def __init__(self, total: int, label: str, *, enabled: bool = True) -> None:
        self._progress: Progress | None = None
        self._task = None
        if enabled and sys.stderr.isatty():
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._progress.add_task(label, total=total)

    def advance(self, count: int = 1) -> None:
        """Mark ``count`` more items done."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, count)

    def __enter__(self) -> Bar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
