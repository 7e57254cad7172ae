"""Wording shared by the schema validators (``--validate``): JSON pointers and short messages."""

from __future__ import annotations

from collections.abc import Iterable

MAX_MESSAGE = 300
"""Longest validator message kept in an error line; longer ones are cut with an ellipsis."""


def json_pointer(parts: Iterable[object]) -> str:
    """The RFC 6901 JSON pointer of a path of keys and indexes (``""`` is the whole document)."""
    return "".join(f"/{str(part).replace('~', '~0').replace('/', '~1')}" for part in parts)


def short(message: str) -> str:
    """A validator message on one line, at most :data:`MAX_MESSAGE` characters."""
    message = " ".join(message.split())
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."
