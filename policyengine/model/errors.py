"""Errors every layer raises, each rendered as one line and mapped to an exit code.

They live in ``model`` because it is the one package every layer may import;
they carry data only (where, what was expected, what to do), never behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """Where in an input a problem sits: a file plus a line/column or a JSON pointer."""

    file: str
    line: int | None = None
    column: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        """Render as ``file:line:column`` or ``file#/json/pointer``."""
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.pointer is not None:
            text += f"#{self.pointer or '/'}"
        return text


class PolicyEngineError(Exception):
    """Base of every error the tool reports to a user; ``exit_code`` is the documented one."""

    exit_code: int = 1

    def __init__(self, message: str, *, position: Position | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = hint

    def one_line(self) -> str:
        """The single line printed to stderr: position, problem, and what to do."""
        parts = []
        if self.position is not None:
            parts.append(f"{self.position}: ")
        parts.append(self.message)
        if self.hint:
            parts.append(f" ({self.hint})")
        return "".join(parts).replace("\n", " ")


class UsageError(PolicyEngineError):
    """Wrong command-line use or an invalid policy file: exit code 2."""

    exit_code = 2


class PolicyError(UsageError):
    """A policy file that cannot be loaded or validated: exit code 2."""


class InputError(PolicyEngineError):
    """An SBOM, lockfile or evidence file that is unreadable or invalid: exit code 3."""

    exit_code = 3


class EvidenceIncompleteError(PolicyEngineError):
    """Evidence the policy requires could not be obtained (fail-closed): exit code 4."""

    exit_code = 4
