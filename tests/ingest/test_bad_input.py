"""Bad input through the CLI: exit 3, one line on stderr naming the file and where, no traceback."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.ingest import parse_bytes
from policyengine.model import InputError

GENERATED = Path(__file__).resolve().parent.parent / "fixtures" / "generated"
ENV_JSON = (GENERATED / "cyclonedx-py-environment.cdx.json").read_bytes()
ENV_XML = (GENERATED / "cyclonedx-py-environment.cdx.xml").read_bytes()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE bom [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1">
  <components><component type="library"><name>&d;</name></component></components>
</bom>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>
<component type="library"><name>&x;</name></component></components></bom>
"""


def _deep_json(depth: int) -> bytes:
    return (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "x": '
        + b"[" * depth
        + b"]" * depth
        + b"}"
    )


def _deep_xml(depth: int) -> bytes:
    open_ = b'<components><component type="library"><name>n</name>' * depth
    close = b"</component></components>" * depth
    return b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6">' + open_ + close + b"</bom>"


CASES: dict[str, tuple[bytes, tuple[str, ...], str]] = {
    # name: (content, extra CLI args, text the one line must contain)
    "not-an-sbom.txt": (b"just some text\n", (), "not a recognised SBOM or lockfile"),
    "truncated.cdx.json": (ENV_JSON[: len(ENV_JSON) // 2], (), "not valid JSON"),
    "truncated.cdx.xml": (ENV_XML[: len(ENV_XML) // 2], (), "not well-formed XML"),
    "not-a-bom.json": (b'{"name": "left-pad", "version": "1.0.0"}', (), "not a recognised SBOM"),
    "wrong-bomformat.json": (
        b'{"bomFormat": "SPDX", "specVersion": "1.6"}',
        (),
        "#/bomFormat: expected bomFormat \"CycloneDX\", found 'SPDX'",
    ),
    "top-level-array.json": (
        b'[{"bomFormat": "CycloneDX"}]',
        (),
        "#/: expected a JSON object at the top level, found an array",
    ),
    "unknown-version.cdx.json": (
        b'{"bomFormat": "CycloneDX", "specVersion": "2.0", "components": []}',
        (),
        "#/specVersion: unsupported CycloneDX specVersion '2.0'",
    ),
    "unknown-version.cdx.xml": (
        b'<bom xmlns="http://cyclonedx.org/schema/bom/2.0"/>',
        (),
        "expected a <bom> element in a CycloneDX namespace",
    ),
    "component-not-object.cdx.json": (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [1]}',
        (),
        "#/components/0: expected an object, found a number",
    ),
    "component-without-name.cdx.json": (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "library"}]}',
        (),
        "#/components/0/name: a component needs a non-empty string name",
    ),
    "schema-invalid.cdx.json": (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": '
        b'[{"name": "x", "type": "library", "scope": "sometimes"}]}',
        ("--validate",),
        "#/components/0/scope: does not match the CycloneDX 1.6 JSON Schema",
    ),
    "schema-invalid.cdx.xml": (
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>'
        b'<component type="nonsense"><name>x</name></component></components></bom>',
        ("--validate",),
        "does not match the CycloneDX 1.6 XML Schema",
    ),
    "utf16.cdx.json": (
        ENV_JSON.decode().encode("utf-16"),
        (),
        "the file is UTF-16 or UTF-32 encoded; expected UTF-8",
    ),
    "entity-bomb.cdx.xml": (BILLION_LAUGHS, (), "the XML declares a DTD, entities or external"),
    "external-entity.cdx.xml": (EXTERNAL_ENTITY, (), "the XML declares a DTD"),
    "too-big.cdx.json": (ENV_JSON, ("--max-input-size", "1000"), "over the 1000-byte input cap"),
    "too-big-gzip.cdx.json.gz": (
        gzip.compress(ENV_JSON),
        ("--max-input-size", str(len(gzip.compress(ENV_JSON)) + 10)),
        "expands past the",
    ),
    "deep.cdx.json": (_deep_json(2000), (), "nested deeper than 1024 levels"),
    "deep.cdx.xml": (_deep_xml(2000), (), "nested too deeply"),
    "duplicate-ref.cdx.json": (
        b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": ['
        b'{"type": "library", "name": "a", "bom-ref": "r"},'
        b'{"type": "library", "name": "b", "bom-ref": "r"}]}',
        (),
        "#/components/1/bom-ref: duplicate bom-ref 'r'",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line_and_exit_3(
    name: str, tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    content, args, expected = CASES[name]
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run_cli("inspect", *args, str(path))
    assert code == 3, err
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"policyengine: error: {path}")
    assert expected in lines[0]
    assert "(" in lines[0] and lines[0].endswith(")"), "every message ends with a hint"


def test_syntax_errors_carry_line_and_column(
    tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    path = tmp_path / "bad.cdx.json"
    path.write_bytes(
        b'{\n  "bomFormat": "CycloneDX",\n  "specVersion": "1.6",\n  "components": [,]\n}\n'
    )
    _, _, err = run_cli("inspect", str(path))
    assert f"{path}:4:18: not valid JSON" in err
    xml = tmp_path / "bad.cdx.xml"
    xml.write_bytes(b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6">\n<components>\n</bom>\n')
    _, _, err = run_cli("inspect", str(xml))
    assert f"{xml}:3:3: not well-formed XML: mismatched tag" in err


def test_missing_file(tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = run_cli("inspect", str(tmp_path / "nope.json"))
    assert code == 3
    assert (
        err.strip()
        == f"policyengine: error: {tmp_path / 'nope.json'}: no such file (check the path)"
    )


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from([ENV_JSON, ENV_XML]),
    st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=0, max_size=3)), min_size=1, max_size=4),
)
def test_mangled_documents_give_input_errors_only(
    original: bytes, edits: list[tuple[float, bytes]]
) -> None:
    # Splice random bytes in at random places (also truncating or deleting): the reader
    # either reads the result or raises InputError, never anything else.
    data = original
    for where, insert in edits:
        cut = int(where * len(data))
        data = data[:cut] + insert + data[cut + len(insert) * 3 :]
    try:
        sbom = parse_bytes(data, "mangled")
    except InputError:
        return
    assert sbom.format == "cyclonedx"


def test_xml_validate_without_lxml_says_so(
    tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from policyengine.ingest import cyclonedx_schema

    cyclonedx_schema._xml_validator.cache_clear()
    monkeypatch.setitem(sys.modules, "lxml.etree", None)  # makes the import fail
    path = tmp_path / "bom.cdx.xml"
    path.write_bytes(ENV_XML)
    try:
        code, out, err = run_cli("inspect", "--validate", str(path))
        assert (code, out) == (3, "")
        assert err.strip() == (
            f"policyengine: error: {path}: XML schema validation (--validate) needs lxml, "
            "which is not installed (`pip install lxml`, or run without --validate "
            "(the structural check still runs))"
        )
        assert run_cli("inspect", str(path))[0] == 0  # without --validate it reads
    finally:
        cyclonedx_schema._xml_validator.cache_clear()
