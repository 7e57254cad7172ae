from __future__ import annotations

import datetime

import pytest

from policyengine.model import PolicyError, Position
from policyengine.policy.yamlsafe import MAX_NODES, load_yaml


def test_values_and_positions() -> None:
    located = load_yaml("a: 1\nb:\n  - x: 2\n    y: [1, 2]\nc: 2026-01-01\n", "f.yaml")
    assert located.data == {"a": 1, "b": [{"x": 2, "y": [1, 2]}], "c": datetime.date(2026, 1, 1)}
    assert located.values[("b", 0, "y")] == Position("f.yaml", 4, 8)
    assert located.keys[("b", 0, "x")] == Position("f.yaml", 3, 5)
    # an unknown path falls back to its nearest parent
    assert located.position(("b", 0, "nope")) == Position("f.yaml", 3, 5)


def test_keys_are_never_yaml11_booleans() -> None:
    assert load_yaml("on: yes\n", "f.yaml").data == {"on": True}


def test_duplicate_key_refused_at_second() -> None:
    with pytest.raises(PolicyError) as err:
        load_yaml("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert err.value.position == Position("f.yaml", 3, 1)
    assert "duplicate key 'a'" in err.value.message


def test_alias_bomb_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    with pytest.raises(PolicyError) as err:
        load_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert f"more than {MAX_NODES}" in err.value.message
    assert err.value.position is not None and err.value.position.line is not None


def test_small_aliases_and_merge_keys_work() -> None:
    text = "base: &b {severity: warn, mode: log}\nrule:\n  <<: *b\n  mode: enforce\n"
    assert load_yaml(text, "f.yaml").data["rule"] == {"severity": "warn", "mode": "enforce"}


def test_recursive_alias_refused() -> None:
    with pytest.raises(PolicyError, match="recursive"):
        load_yaml("a: &x [1, *x]\n", "f.yaml")


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: [1, 2\n", 2), ("a: b: c\n", 1), ("a:\n\t- 1\n", 2)],
)
def test_syntax_errors_are_positioned(text: str, line: int) -> None:
    with pytest.raises(PolicyError) as err:
        load_yaml(text, "bad.yaml")
    assert err.value.position is not None
    assert err.value.position.file == "bad.yaml"
    assert err.value.position.line == line
    assert "invalid YAML" in err.value.message


def test_empty_document_refused() -> None:
    with pytest.raises(PolicyError, match="empty"):
        load_yaml("# only a comment\n", "e.yaml")


def test_python_tags_refused() -> None:
    with pytest.raises(PolicyError):
        load_yaml("a: !!python/object/apply:os.system ['true']\n", "evil.yaml")
