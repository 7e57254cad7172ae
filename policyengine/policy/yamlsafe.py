"""Read YAML into plain values while remembering where every key and value was written.

PyYAML composes a node graph whose nodes carry marks (line, column); this module
turns that graph into dicts, lists and scalars itself, so that it can refuse
what a policy never needs and an attacker might send: duplicate keys, recursive
aliases, and alias "bombs" that expand a small file into millions of nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from policyengine.model import PolicyError, Position

MAX_NODES = 100_000
"""Most values (after alias expansion) one policy file may hold."""

MAX_BYTES = 4 * 1024 * 1024
"""Largest policy file read."""

Path = tuple[str | int, ...]

_SURROGATE = re.compile("[\\ud800-\\udfff]")


def _excerpt(text: object) -> str:
    shown = str(text)
    return repr(shown if len(shown) <= 40 else shown[:40] + "...")


_MERGE_TAG = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS: dict[type[yaml.Node], str] = {
    yaml.MappingNode: "tag:yaml.org,2002:map",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
}


@dataclass
class Located:
    """A YAML document as plain values plus the positions of its keys and values by path."""

    file: str
    data: Any
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    styles: dict[Path, str | None] = field(default_factory=dict)
    """Scalar styles by path: None (plain), quote characters, ``|`` or ``>``."""

    def position(self, path: Path, *, key: bool = False) -> Position:
        """The position of ``path`` (of its key when ``key``), or of its nearest parent."""
        table = self.keys if key else self.values
        probe = path
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), Position(self.file, 1, 1))


def load_yaml(text: str, file: str) -> Located:
    """Parse one YAML document from ``text``; raise PolicyError with a position on any problem."""
    if len(text) > MAX_BYTES:
        raise PolicyError(
            f"the policy file is over {MAX_BYTES} bytes", position=Position(file), hint="split it"
        )
    try:
        # The reader checks every character as it is built: a NUL fails here already.
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "reason", None) or "a character YAML does not allow"
        raise PolicyError(
            f"invalid YAML: {problem}", position=Position(file), hint="a policy is UTF-8 text"
        ) from None
    try:
        node = loader.get_single_node()
    except RecursionError:  # PyYAML composes nested collections recursively
        raise _too_deep(file) from None
    except yaml.MarkedYAMLError as exc:
        raise PolicyError(
            f"invalid YAML: {exc.problem or exc.context}",
            position=_mark(file, exc.problem_mark or exc.context_mark),
            hint="fix the YAML syntax",
        ) from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"invalid YAML: {exc}", position=Position(file)) from None
    finally:
        loader.dispose()
    located = Located(file, None)
    if node is None:
        raise PolicyError(
            "the policy file is empty",
            position=Position(file, 1, 1),
            hint="start with `apiVersion: policyengine/v1` and `kind: Policy`",
        )
    builder = _Builder(located)
    try:
        located.data = builder.build(node, (), ())
    except RecursionError:
        raise _too_deep(file) from None
    return located


def _too_deep(file: str) -> PolicyError:
    return PolicyError(
        "the YAML nests too deeply to read",
        position=Position(file),
        hint="a policy needs a few levels of mappings and lists",
    )


def _mark(file: str, mark: yaml.Mark | None) -> Position:
    if mark is None:
        return Position(file)
    return Position(file, mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, located: Located) -> None:
        self.located = located
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path, active: tuple[int, ...]) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise PolicyError(
                f"the YAML expands to more than {MAX_NODES} values (an alias bomb?)",
                position=_mark(self.located.file, node.start_mark),
                hint="policies do not need deeply repeated anchors and aliases",
            )
        if id(node) in active:
            raise PolicyError(
                "recursive YAML alias",
                position=_mark(self.located.file, node.start_mark),
                hint="an anchor may not contain an alias to itself",
            )
        self.located.values.setdefault(path, _mark(self.located.file, node.start_mark))
        inner = (*active, id(node))
        expected = _COLLECTION_TAGS.get(type(node))
        if expected is not None and node.tag != expected:
            raise PolicyError(
                f"unsupported YAML tag {node.tag!r}",
                position=_mark(self.located.file, node.start_mark),
                hint="policies use plain YAML mappings, lists and scalars only",
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, inner)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), inner) for i, item in enumerate(node.value)]
        self.located.styles[path] = getattr(node, "style", None)
        try:
            value = self.constructor.construct_object(node)
        except yaml.YAMLError as exc:
            raise PolicyError(
                f"invalid YAML value: {exc}",
                position=_mark(self.located.file, node.start_mark),
            ) from None
        except ValueError as exc:  # a date that does not exist (2026-02-30), a 5,000-digit int
            problem = "more than 4,300 digits" if node.tag.endswith(":int") else str(exc)
            raise PolicyError(
                f"invalid YAML value {_excerpt(node.value)}: {problem}",
                position=_mark(self.located.file, node.start_mark),
                hint="write a number of fewer digits"
                if node.tag.endswith(":int")
                else "dates are YYYY-MM-DD and exist in the calendar",
            ) from None
        if isinstance(value, str) and _SURROGATE.search(value):
            raise PolicyError(
                "a lone surrogate escape (not a Unicode character) in a string",
                position=_mark(self.located.file, node.start_mark),
                hint="write the character itself, or a \\U escape of a real code point",
            )
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path, active: tuple[int, ...]) -> Any:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.update(self._merge_source(value_node, path, active))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise PolicyError(
                    "a mapping key must be a plain string",
                    position=_mark(self.located.file, key_node.start_mark),
                )
            key = str(key_node.value)
            if key in result:
                raise PolicyError(
                    f"duplicate key {key!r}",
                    position=_mark(self.located.file, key_node.start_mark),
                    hint="each key may appear once in a mapping; remove one of them",
                )
            child = (*path, key)
            self.located.keys[child] = _mark(self.located.file, key_node.start_mark)
            result[key] = self.build(value_node, child, active)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_source(self, node: yaml.Node, path: Path, active: tuple[int, ...]) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            value = self.build(source, path, active)
            if not isinstance(value, dict):
                raise PolicyError(
                    "a `<<` merge key needs a mapping",
                    position=_mark(self.located.file, source.start_mark),
                )
            for key, item in value.items():
                merged.setdefault(key, item)
        return merged
