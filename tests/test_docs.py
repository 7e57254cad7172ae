"""Keep the user documentation honest: commands parse, links resolve, the checks table is complete.

Which lines are commands (the rule the docs follow):

- only lines inside fenced code blocks of README.md and docs/*.md count;
- a line ending in a backslash continues on the next line;
- a command starts at ``policyengine`` or ``python -m policyengine``, at the start of the
  line or after a YAML list dash (``- ``), ``run:`` or a ``$`` prompt;
- a *synopsis* (a line with ``[``, ``<``, or ``...``: optional parts, placeholders, repeats)
  is not run through the parser; its ``--options`` must still exist on that command;
- a command ends at the first shell operator (``|``, ``||``, ``&&``, ``;``, ``>``), so
  ``policyengine check ... || true`` parses ``policyengine check ...``.

Documented outputs are generated, so they cannot drift from what the code prints: a fenced
block right after a ``<!-- output: policyengine ARGS [| FILTER] -->`` comment holds what
that command prints, run in-process from the repository root. FILTER is ``head N`` (the
first N lines, then ``...`` when there were more), ``json KEY,KEY`` (those top-level keys
of a JSON document), ``stderr`` (what it prints on stderr instead) or ``excerpt`` (a
hand-cut excerpt: its lines other than ``...`` must appear in the output, in order;
regenerating takes each part again from its first line, so a table row keeps up with a
reworded message). A stale block fails
``test_documented_output_is_what_the_command_prints``; ``POLICYENGINE_UPDATE_GOLDENS=1``
rewrites it (review the diff).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policyengine.cli import build_parser
from policyengine.model import UsageError
from tests.conftest import ROOT
from tests.goldens import UPDATE

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^\s*(```|~~~)")
COMMAND_START = re.compile(r"^(?:\s*(?:-\s+|run:\s*|\$\s+))?\s*(?:python\s+-m\s+)?policyengine\s")
SYNOPSIS = re.compile(r"\[|<|\.\.\.")
OPERATORS = {"|", "||", "&&", ";", ">", ">>", "&"}
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
INLINE_CODE = re.compile(r"`[^`\n]*`")


def _blocks(text: str) -> Iterator[list[str]]:
    """The lines of each fenced code block."""
    block: list[str] | None = None
    for line in text.splitlines():
        if FENCE.match(line):
            if block is None:
                block = []
            else:
                yield block
                block = None
        elif block is not None:
            block.append(line)


def _joined(lines: list[str]) -> Iterator[str]:
    """Lines with backslash continuations joined."""
    pending = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def _command_lines(path: Path) -> Iterator[str]:
    for block in _blocks(path.read_text(encoding="utf-8")):
        for line in _joined(block):
            if COMMAND_START.match(line):
                yield line


def _argv(line: str) -> list[str]:
    """The policyengine arguments of a command line, cut at the first shell operator."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    start = tokens.index("policyengine")
    argv: list[str] = []
    for token in tokens[start + 1 :]:
        if token in OPERATORS:
            break
        argv.append(token)
    return argv


def _all_commands() -> list[tuple[str, str]]:
    return [
        (path.relative_to(ROOT).as_posix(), line) for path in DOCS for line in _command_lines(path)
    ]


COMMANDS = _all_commands()
RUNNABLE = [(where, line) for where, line in COMMANDS if not SYNOPSIS.search(line)]
SYNOPSES = [(where, line) for where, line in COMMANDS if SYNOPSIS.search(line)]


def test_the_docs_have_commands_to_check() -> None:
    # Guards the extractor: if it stopped finding commands, the parse test would pass vacuously.
    assert len(RUNNABLE) >= 20, RUNNABLE
    assert len(SYNOPSES) >= 8, SYNOPSES
    where = {w for w, _ in RUNNABLE}
    assert {"README.md", "docs/usage.md", "docs/verdict.md"} <= where


@pytest.mark.parametrize(("where", "line"), RUNNABLE, ids=[f"{w}: {c[:70]}" for w, c in RUNNABLE])
def test_documented_command_parses(where: str, line: str) -> None:
    argv = _argv(line)
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        pytest.fail(f"{where}: `{line.strip()}` does not parse: {exc.one_line()}")
    except SystemExit as exc:  # --help or --version would exit; docs should not show them
        pytest.fail(f"{where}: `{line.strip()}` exits the parser ({exc.code})")
    assert callable(args.handler)


def _subparser_options(words: list[str]) -> set[str]:
    """The option strings of the (sub)command named by the leading words of a synopsis."""
    parser = build_parser()
    for word in words:
        actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
        if not actions or word not in actions[0].choices:  # type: ignore[operator]
            break
        parser = actions[0].choices[word]  # type: ignore[index]
    return {option for action in parser._actions for option in action.option_strings}


@pytest.mark.parametrize(("where", "line"), SYNOPSES, ids=[f"{w}: {c[:70]}" for w, c in SYNOPSES])
def test_synopsis_options_exist(where: str, line: str) -> None:
    text = line.split("policyengine", 1)[1]
    words = re.findall(r"^\s*((?:[a-z]+\s+){0,2})", text)[0].split()
    known = _subparser_options(words)
    named = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", text))
    unknown = sorted(named - known)
    assert not unknown, f"{where}: `{line.strip()}` names options that do not exist: {unknown}"


def _headings(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    in_block = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_block = not in_block
            continue
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if in_block or not match:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _links(path: Path) -> Iterator[str]:
    """Link targets outside code blocks and inline code."""
    text = "\n".join(_without_blocks(path.read_text(encoding="utf-8")))
    for match in LINK.finditer(INLINE_CODE.sub("", text)):
        yield match.group(1)


def _without_blocks(text: str) -> list[str]:
    kept: list[str] = []
    in_block = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_block = not in_block
        elif not in_block:
            kept.append(line)
    return kept


LINKS = [
    (path, target)
    for path in DOCS
    for target in _links(path)
    if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto: ...
]


def test_the_docs_have_links_to_check() -> None:
    assert len(LINKS) >= 40, LINKS


@pytest.mark.parametrize(
    ("path", "target"), LINKS, ids=[f"{p.relative_to(ROOT)} -> {t}" for p, t in LINKS]
)
def test_relative_link_resolves(path: Path, target: str) -> None:
    file_part, _, anchor = target.partition("#")
    destination = (path.parent / file_part).resolve() if file_part else path
    where = path.relative_to(ROOT)
    assert destination.exists(), f"{where}: link to {target} points at a missing file"
    assert ROOT in destination.parents or destination == ROOT, f"{where}: {target} leaves the repo"
    if anchor and destination.suffix == ".md":
        assert anchor in _headings(destination), f"{where}: no heading for #{anchor} in {target}"


def _readme_checks_table() -> list[tuple[str, str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## What it checks\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(
        r"^\| \[`([a-z-]+)`\]\(([^)]+)\) \| `([A-Z0-9-]+)` \|", section, flags=re.MULTILINE
    )
    return [(slug, link, check_id) for slug, link, check_id in rows]


def test_readme_checks_table_lists_exactly_the_registered_checks() -> None:
    from policyengine.checks import registry

    rows = _readme_checks_table()
    assert [(slug, check_id) for slug, _, check_id in rows] == [
        (check.slug, check.id) for check in registry.CHECKS
    ]
    for slug, link, _ in rows:
        assert link == f"docs/checks/{slug}.md"


def _yaml_blocks() -> list[tuple[str, str]]:
    """The ```yaml blocks of the docs, as (file, text)."""
    found: list[tuple[str, str]] = []
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        inside: list[str] | None = None
        for line in lines:
            if inside is None and re.match(r"^\s*```ya?ml\s*$", line):
                inside = []
            elif inside is not None and FENCE.match(line):
                found.append((path.relative_to(ROOT).as_posix(), "\n".join(inside) + "\n"))
                inside = None
            elif inside is not None:
                inside.append(line)
    return found


YAML_BLOCKS = _yaml_blocks()


def test_yaml_examples_parse() -> None:
    import yaml

    assert len(YAML_BLOCKS) >= 3
    for where, text in YAML_BLOCKS:
        try:
            yaml.safe_load(text)
        except yaml.YAMLError as exc:
            pytest.fail(f"{where}: a YAML example does not parse: {exc}")


def test_policy_examples_load(tmp_path: Path) -> None:
    from policyengine.checks import registry
    from policyengine.policy.loader import load_policy

    policies = [(w, t) for w, t in YAML_BLOCKS if "apiVersion: policyengine/v1" in t]
    assert policies, "the README shows an organisation's policy"
    for index, (where, text) in enumerate(policies):
        file = tmp_path / f"example-{index}.yaml"
        file.write_text(text, encoding="utf-8")
        try:
            load_policy(file, checks=registry.CHECKS)
        except Exception as exc:  # every PolicyError names what is wrong
            pytest.fail(f"{where}: the policy example does not load: {exc}")


OUTPUT_MARKER = re.compile(r"^<!-- output: (policyengine\s.+?) -->\s*$")


def _marker_lines(path: Path) -> list[tuple[int, str]]:
    """(line index, command) of each output marker of a file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(i, m.group(1)) for i, line in enumerate(lines) if (m := OUTPUT_MARKER.match(line))]


def _output_markers() -> list[tuple[Path, int, str]]:
    """(file, ordinal of the marker in it, command) of every generated output block.

    The ordinal, not the line, names a block: regenerating one moves the lines after it.
    """
    return [
        (path, ordinal, command)
        for path in DOCS
        for ordinal, (_, command) in enumerate(_marker_lines(path))
    ]


OUTPUTS = _output_markers()


def _block_after(lines: list[str], marker: int, where: str) -> tuple[int, int]:
    """The (first, end) line indexes of the contents of the fenced block after a marker."""
    start = marker + 1
    if start >= len(lines) or not FENCE.match(lines[start]):
        pytest.fail(f"{where}: the output marker on line {marker + 1} is not followed by a fence")
    for end in range(start + 1, len(lines)):
        if FENCE.match(lines[end]):
            return start + 1, end
    pytest.fail(f"{where}: the block after line {marker + 1} is not closed")


def _generated(command: str, run_cli: Any) -> str:
    """What the command prints, after its filter, as the docs show it."""
    import orjson

    text, _, kind = command.partition(" | ")
    code, out, err = run_cli(*shlex.split(text)[1:])
    assert code in {0, 1, 2, 3, 4}, (command, code, err)
    name, _, argument = kind.strip().partition(" ")
    if name == "stderr":
        out = err
    elif name == "json":
        document = orjson.loads(out)
        kept = {key: document[key] for key in argument.split(",")}
        out = orjson.dumps(kept, option=orjson.OPT_INDENT_2).decode()
    elif name == "head":
        lines = out.splitlines()
        out = "\n".join(lines[: int(argument)] + (["..."] if len(lines) > int(argument) else []))
    elif name and name != "excerpt":
        pytest.fail(f"unknown output filter {kind!r} in `{command}`")
    return "\n".join(line.rstrip() for line in out.rstrip().splitlines())


def _excerpt_again(shown: str, actual: str, where: str) -> str:
    """The excerpt taken again from the output: each ``...``-separated part from its first
    line on, to the next table rule (a part ending in ``├``/``└``) or as many lines as before.
    """
    output = actual.splitlines()
    parts: list[list[str]] = [[]]
    for line in shown.splitlines():
        if line == "...":
            parts.append([])
        else:
            parts[-1].append(line)
    spans: list[tuple[int, int]] = []
    for part in parts:
        if not part:
            continue
        if part[0] not in output:
            pytest.fail(f"{where}: `{part[0]}` is no longer printed: choose the excerpt by hand")
        start = output.index(part[0])
        rule = part[-1][:1] if part[-1][:1] in ("├", "└") else None
        stop = start + len(part)
        if rule is not None:
            stop = next(
                (i + 1 for i in range(start + 1, len(output)) if output[i][:1] == rule), stop
            )
        spans.append((start, stop))
    taken: list[str] = []
    for start, stop in sorted(spans):  # in the output's order, which may have changed
        if taken or start > 0:
            taken.append("...")
        taken += output[start:stop]
    if spans and max(stop for _, stop in spans) < len(output):
        taken.append("...")
    return "\n".join(taken[1:] if parts[0] and taken[:1] == ["..."] else taken)


def _missing_from(shown: str, actual: str) -> list[str]:
    """The lines of an excerpt (``...`` aside) not found, in order, in the output."""
    lines = iter(actual.splitlines())
    return [line for line in shown.splitlines() if line != "..." and line not in lines]


def test_the_docs_have_generated_outputs() -> None:
    # Guards the marker reader: the outputs the docs once let drift are generated.
    assert len(OUTPUTS) >= 6, OUTPUTS
    assert {p.name for p, _, _ in OUTPUTS} >= {"usage.md", "verdict.md"}


@pytest.mark.parametrize(
    ("path", "ordinal", "command"),
    OUTPUTS,
    ids=[f"{p.relative_to(ROOT)}#{n + 1}: {c[:60]}" for p, n, c in OUTPUTS],
)
def test_documented_output_is_what_the_command_prints(
    path: Path, ordinal: int, command: str, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the documented commands name files from the repository root
    where = str(path.relative_to(ROOT))
    actual = _generated(command, run_cli)
    markers = _marker_lines(path)
    if ordinal >= len(markers) or markers[ordinal][1] != command:
        pytest.fail(f"{where}: the output markers changed while the tests ran; run them again")
    lines = path.read_text(encoding="utf-8").splitlines()
    first, end = _block_after(lines, markers[ordinal][0], where)
    shown = "\n".join(lines[first:end])
    if command.endswith("| excerpt"):  # a hand-cut excerpt: its lines, in the output's order
        if UPDATE and _missing_from(shown, actual):
            lines[first:end] = _excerpt_again(shown, actual, where).splitlines()
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            return
        missing = _missing_from(shown, actual)
        assert not missing, (
            f"{where}:{first + 1}: the excerpt of `{command}` shows lines it no longer prints "
            f"(regenerating cannot choose an excerpt; edit it by hand): {missing[:3]}"
        )
        return
    if UPDATE and shown != actual:
        lines[first:end] = actual.splitlines()
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    assert shown == actual, (
        f"{where}:{first + 1}: the output shown for `{command}` is not what it prints now; "
        "re-run with POLICYENGINE_UPDATE_GOLDENS=1 and review the diff"
    )
