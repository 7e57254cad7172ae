"""Hypothesis strategies for hostile inputs: SBOM JSON/XML, lockfiles, policy YAML, CEL.

Shared by the fast slice in the default run (tests/fuzz/test_cli_fuzz.py) and the long
run (scripts/fuzz_long.py --examples N). Each strategy mixes well-formed documents with
values of the wrong type, odd unicode, huge numbers, empty containers and truncation,
because the readers must reject all of those cleanly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("POLICYENGINE_FUZZ_EXAMPLES", "15"))
"""Examples per property: small in the default run, raised by scripts/fuzz_long.py."""

_LOCKS = ROOT / "tests/fixtures/lockfiles-generated"
LOCK_SAMPLES = {
    "requirements.txt": _LOCKS / "pip-compile/requirements.txt",
    "poetry.lock": _LOCKS / "poetry/poetry.lock",
    "uv.lock": _LOCKS / "uv/uv.lock",
    "pdm.lock": _LOCKS / "pdm/pdm.lock",
    "pyproject.toml": _LOCKS / "poetry/pyproject.toml",
    "Pipfile.lock": _LOCKS / "pipenv/Pipfile.lock",
    "package-lock.json": _LOCKS / "npm/package-lock.json",
    "pnpm-lock.yaml": _LOCKS / "pnpm/pnpm-lock.yaml",
    "yarn.lock": _LOCKS / "yarn-v1/yarn.lock",
    "berry/yarn.lock": _LOCKS / "yarn-berry/yarn.lock",
}
"""One real file per lockfile and manifest format (the key is the name it is written as)."""

_GENERATED = ROOT / "tests/fixtures/generated"
_SPDX_JSON = (_GENERATED / "npm-sbom.spdx.json").read_text(encoding="utf-8")
SBOM_SAMPLES = {
    "bom.cdx.json": (_GENERATED / "npm-sbom.cdx.json").read_bytes(),
    "bom.cdx.xml": (_GENERATED / "cyclonedx-py-requirements.cdx.xml").read_bytes(),
    "sbom.spdx.json": _SPDX_JSON.encode(),
    "sbom.spdx.yaml": yaml.safe_dump(json.loads(_SPDX_JSON), sort_keys=False).encode(),
    "sbom.spdx": (
        b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n"
        b"DocumentName: fuzz\nDocumentNamespace: https://example.org/fuzz\n"
        b"Creator: Tool: fuzz\nCreated: 2026-01-01T00:00:00Z\n\n"
        b"PackageName: ms\nSPDXID: SPDXRef-ms\nPackageVersion: 2.1.3\n"
        b"PackageDownloadLocation: NOASSERTION\nFilesAnalyzed: false\n"
        b"ExternalRef: PACKAGE-MANAGER purl pkg:npm/ms@2.1.3\n"
        b"Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-ms\n"
    ),
    "sbom.spdx3.json": json.dumps(
        {
            "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
            "@graph": [
                {
                    "type": "software_Package",
                    "spdxId": "urn:fuzz:ms",
                    "name": "ms",
                    "software_packageVersion": "2.1.3",
                    "externalIdentifier": [
                        {
                            "type": "ExternalIdentifier",
                            "externalIdentifierType": "packageUrl",
                            "identifier": "pkg:npm/ms@2.1.3",
                        }
                    ],
                }
            ],
        }
    ).encode(),
}
"""One small real document per SBOM format (read as the key's file name)."""

HOSTILE = [
    b"2026-02-30",
    b" 2026-02-30",
    b"0000-00-00",
    b'"\\ud800"',
    b"\\udc00",
    b"9" * 4400,
    b" = " + b"9" * 4400,
    b": " + b"9" * 4400,
    b"[" * 600,
    b"{" * 1100,
    b"<x>" * 2100,
    b"- " * 600,
    b"\x00",
    b"-r a\x00b.txt\n",
    b"-r /proc/self/environ\n",
    b"NaN",
    b"1e400",
    b"\xed\xa0\x80",
    b"\xff\xfe",
    b"!!python/object/apply:os.system ['true']",
    b"&a [*a]",
]
"""Tokens of the classes that once ended in exit 70 (issue 13, item 11), spliced into inputs:
impossible dates, lone surrogates, over-long integers, deep nesting, NUL, odd numbers."""

weird_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\ud7ff",
            "..",
            "../../etc/passwd",
            "pkg:",
            "pkg:pypi/",
            "@",
            "%",
            "é" * 3,
            "a" * 300,
            "${jndi:x}",
            "<",
            "&amp;",
            "NOASSERTION",
            "NONE",
            "1e309",
            "-0",
        ]
    ),
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    weird_text,
)
json_value = st.recursive(
    scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(weird_text, inner, max_size=3)
    ),
    max_leaves=8,
)


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(value, json_value)


purl = st.one_of(
    st.builds(
        lambda eco, name, version: f"pkg:{eco}/{name}@{version}",
        st.sampled_from(["pypi", "npm", "maven", "golang", "PyPI", "", "npm/@scope"]),
        st.one_of(st.from_regex(r"[a-z][a-z0-9._-]{0,8}", fullmatch=True), weird_text),
        st.one_of(st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,2}){0,2}", fullmatch=True), weird_text),
    ),
    weird_text,
)
hash_entry = st.fixed_dictionaries(
    {
        "alg": _maybe(st.sampled_from(["SHA-256", "SHA-512", "MD5", "BLAKE3", "sha256"])),
        "content": _maybe(st.from_regex(r"[0-9a-f]{0,70}", fullmatch=True)),
    }
)
license_entry = st.one_of(
    st.fixed_dictionaries({"license": st.fixed_dictionaries({"id": _maybe(weird_text)})}),
    st.fixed_dictionaries({"license": st.fixed_dictionaries({"name": _maybe(weird_text)})}),
    st.fixed_dictionaries(
        {"expression": _maybe(st.sampled_from(["MIT OR (", "MIT AND Apache-2.0", "()", "WITH"]))}
    ),
    json_value,
)
cdx_component = st.fixed_dictionaries(
    {"name": _maybe(st.from_regex(r"[a-z]{1,6}", fullmatch=True))},
    optional={
        "type": _maybe(st.sampled_from(["library", "application", "file", "nonsense"])),
        "bom-ref": _maybe(st.sampled_from(["a", "b", "c"])),
        "version": _maybe(st.sampled_from(["1.0", "", "latest", "^1.2"])),
        "purl": _maybe(purl),
        "hashes": _maybe(st.lists(hash_entry, max_size=2)),
        "licenses": _maybe(st.lists(license_entry, max_size=2)),
        "scope": _maybe(st.sampled_from(["required", "optional", "excluded"])),
        "supplier": _maybe(st.fixed_dictionaries({"name": _maybe(weird_text)})),
        "components": st.lists(st.fixed_dictionaries({"name": st.just("nested")}), max_size=1),
        "externalReferences": _maybe(
            st.lists(st.fixed_dictionaries({"type": weird_text, "url": weird_text}), max_size=2)
        ),
    },
)
cdx_json = st.fixed_dictionaries(
    {
        "bomFormat": _maybe(st.just("CycloneDX")),
        "specVersion": _maybe(st.sampled_from(["1.2", "1.4", "1.5", "1.6", "1.7", "2.0"])),
    },
    optional={
        "version": _maybe(st.just(1)),
        "metadata": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "timestamp": _maybe(st.sampled_from(["2026-01-01T00:00:00Z", "yesterday"])),
                    "component": _maybe(cdx_component),
                    "tools": json_value,
                },
            )
        ),
        "components": _maybe(st.lists(cdx_component, max_size=4)),
        "dependencies": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {"ref": _maybe(st.sampled_from(["a", "b", "zz"]))},
                    optional={"dependsOn": _maybe(st.lists(st.sampled_from(["a", "b", "q"])))},
                ),
                max_size=3,
            )
        ),
    },
)
spdx_package = st.fixed_dictionaries(
    {"SPDXID": _maybe(st.sampled_from(["SPDXRef-a", "SPDXRef-b", "bad id"]))},
    optional={
        "name": _maybe(st.from_regex(r"[a-z]{1,6}", fullmatch=True)),
        "versionInfo": _maybe(st.sampled_from(["1.0", ""])),
        "licenseDeclared": _maybe(st.sampled_from(["MIT", "NOASSERTION", "MIT OR (", ""])),
        "supplier": _maybe(st.sampled_from(["Organization: X", "Person: Y (y@x)", "nobody"])),
        "checksums": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "algorithm": _maybe(st.sampled_from(["SHA256", "SHA1", "NOPE"])),
                        "checksumValue": _maybe(st.from_regex(r"[0-9a-f]{0,64}", fullmatch=True)),
                    }
                ),
                max_size=2,
            )
        ),
        "externalRefs": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "referenceCategory": _maybe(st.just("PACKAGE-MANAGER")),
                        "referenceType": _maybe(st.just("purl")),
                        "referenceLocator": _maybe(purl),
                    }
                ),
                max_size=2,
            )
        ),
    },
)
spdx_json = st.fixed_dictionaries(
    {
        "spdxVersion": _maybe(st.sampled_from(["SPDX-2.3", "SPDX-2.2", "SPDX-3.0"])),
        "SPDXID": _maybe(st.just("SPDXRef-DOCUMENT")),
    },
    optional={
        "name": _maybe(st.just("doc")),
        "dataLicense": _maybe(st.just("CC0-1.0")),
        "creationInfo": _maybe(
            st.fixed_dictionaries(
                {"created": _maybe(st.just("2026-01-01T00:00:00Z")), "creators": json_value}
            )
        ),
        "packages": _maybe(st.lists(spdx_package, max_size=3)),
        "relationships": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "spdxElementId": _maybe(st.sampled_from(["SPDXRef-a", "SPDXRef-DOCUMENT"])),
                        "relationshipType": _maybe(st.sampled_from(["DEPENDS_ON", "DESCRIBES"])),
                        "relatedSpdxElement": _maybe(st.sampled_from(["SPDXRef-b", "NONE"])),
                    }
                ),
                max_size=3,
            )
        ),
    },
)


def json_bytes(doc: Any) -> bytes:
    """Serialise a generated document (non-ASCII kept, lone surrogates replaced)."""
    return json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")


# --- XML -----------------------------------------------------------------------------------

xml_text = st.one_of(
    st.from_regex(r"[a-z0-9.:/@-]{0,10}", fullmatch=True),
    st.sampled_from(["", "&lt;", "]]>", "\t", "é"]),
)


@st.composite
def cdx_xml(draw: st.DrawFn) -> bytes:
    """A CycloneDX XML document built from its vocabulary, with random nesting and values."""
    version = draw(st.sampled_from(["1.0", "1.3", "1.6", "1.7", "9.9"]))

    def element(depth: int) -> str:
        tag = draw(
            st.sampled_from(
                [
                    "component",
                    "name",
                    "version",
                    "purl",
                    "hashes",
                    "hash",
                    "licenses",
                    "license",
                    "id",
                    "expression",
                    "components",
                    "dependency",
                    "supplier",
                    "scope",
                    "x:other",
                ]
            )
        )
        attrs = draw(
            st.dictionaries(
                st.sampled_from(["type", "bom-ref", "ref", "alg"]), xml_text, max_size=2
            )
        )
        attr_text = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
        children = (
            "".join(element(depth + 1) for _ in range(draw(st.integers(0, 3)))) if depth < 4 else ""
        )
        body = escape(draw(xml_text)) + children
        if tag == "x:other":
            return f'<x:other xmlns:x="urn:x">{body}</x:other>'
        return f"<{tag}{attr_text}>{body}</{tag}>"

    inner = "".join(element(0) for _ in range(draw(st.integers(0, 4))))
    wrapper = draw(st.sampled_from(["components", "dependencies", "metadata", ""]))
    if wrapper:
        inner = f"<{wrapper}>{inner}</{wrapper}>"
    doc = (
        f'<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/{version}">{inner}</bom>'
    )
    data = doc.encode()
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    return data if cut is None else data[:cut]


# --- lockfiles -----------------------------------------------------------------------------


def _mutate(draw: st.DrawFn, data: bytes) -> bytes:
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(data)))
        action = draw(
            st.sampled_from(["insert", "delete", "truncate", "duplicate", "hostile", "hostile"])
        )
        if action == "insert":
            data = data[:where] + draw(st.binary(max_size=6)) + data[where:]
        elif action == "hostile":
            # At a line start or after a key's colon the token becomes a value or a key.
            line_start = data.rfind(b"\n", 0, where) + 1
            where = draw(st.sampled_from([where, line_start]))
            data = data[:where] + draw(st.sampled_from(HOSTILE)) + data[where:]
        elif action == "delete":
            data = data[:where] + data[where + draw(st.integers(1, 40)) :]
        elif action == "truncate":
            data = data[:where]
        else:
            data = data[:where] + data[where : where + 200] + data[where:]
    return data


@st.composite
def lockfile(draw: st.DrawFn) -> tuple[str, bytes]:
    """A real lockfile with random splices, truncation, duplicated chunks or hostile tokens;
    the file name to write it as."""
    name = draw(st.sampled_from(sorted(LOCK_SAMPLES)))
    return name, _mutate(draw, LOCK_SAMPLES[name].read_bytes())


@st.composite
def sbom_document(draw: st.DrawFn) -> tuple[str, bytes]:
    """A real SBOM of each format (CycloneDX JSON/XML, SPDX 2 JSON/YAML/tag-value, SPDX 3),
    mutated like :func:`lockfile`; the file name to write it as."""
    name = draw(st.sampled_from(sorted(SBOM_SAMPLES)))
    return name, _mutate(draw, SBOM_SAMPLES[name])


# --- policy YAML ---------------------------------------------------------------------------

CHECK_NAMES = ["expr", "registry-status", "advisories", "release-age", "hashes", "nope", ""]
rule = st.fixed_dictionaries(
    {
        "id": _maybe(st.sampled_from(["a", "b", "A B", ""])),
        "check": _maybe(st.sampled_from(CHECK_NAMES)),
    },
    optional={
        "params": _maybe(
            st.dictionaries(
                st.sampled_from(["expr", "message", "fail_on", "min_age", "severity", "x"]),
                _maybe(
                    st.sampled_from(["true", "72h", "critical", "component.name ==", "[removed]"])
                ),
                max_size=2,
            )
        ),
        "severity": _maybe(st.sampled_from(["fail", "warn", "info", "fatal"])),
        "mode": _maybe(st.sampled_from(["enforce", "log", "x"])),
        "effective_from": _maybe(st.sampled_from(["2026-01-01", "soon", "2026-13-45"])),
        "selector": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "ecosystems": _maybe(st.lists(st.sampled_from(["pypi", "npm", "?"]))),
                    "names": _maybe(st.lists(st.sampled_from(["*", "[", "a*", "**/x"]))),
                    "purls": _maybe(st.lists(purl, max_size=2)),
                    "direct": _maybe(st.booleans()),
                },
            )
        ),
        "disabled": _maybe(st.booleans()),
    },
)
policy_doc = st.fixed_dictionaries(
    {
        "apiVersion": _maybe(st.just("policyengine/v1")),
        "kind": _maybe(st.just("Policy")),
        "metadata": _maybe(st.fixed_dictionaries({"name": _maybe(st.just("fuzz"))})),
    },
    optional={
        "extends": _maybe(
            st.lists(st.sampled_from(["baseline", "nope", "../x.yaml", "/etc/passwd"]))
        ),
        "settings": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "on_missing_evidence": _maybe(st.sampled_from(["fail", "warn", "ignore"])),
                    "waiver_warning_days": _maybe(st.integers(-5, 10**12)),
                },
            )
        ),
        "rules": _maybe(st.lists(rule, max_size=3)),
        "waivers": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {"rule": _maybe(st.just("a")), "component": _maybe(purl)},
                    optional={
                        "reason": _maybe(st.just("r")),
                        "expires": _maybe(st.sampled_from(["2027-01-01", "never", "2020-01-01"])),
                        "versions": _maybe(st.sampled_from(["<1.0", ">=", "*", "<<<"])),
                    },
                ),
                max_size=2,
            )
        ),
    },
)


@st.composite
def policy_yaml(draw: st.DrawFn) -> str:
    """Policy YAML: a generated document, sometimes with YAML-level tricks spliced in."""
    text = yaml.safe_dump(draw(policy_doc), allow_unicode=True, sort_keys=False)
    trick = draw(
        st.sampled_from(
            [
                "",
                "x: &a [*a]\n",
                "y: !!python/object:os.system x\n",
                "<<: *nope\n",
                "\t- bad\n",
                "rules: {a: b}\n",
                "'unterminated\n",
                "a: b\na: c\n",
                # the classes of issue 13, item 11
                "rules:\n- id: d\n  check: registry-status\n  effective_from: 2026-02-30\n",
                "rules:\n- id: s\n  check: registry-status\n  severity:\n",
                "rules: " + "[" * 600 + "]" * 600 + "\n",
                "rules:\n" + "- " * 600 + "x\n",
                "settings: {waiver_warning_days: " + "9" * 4400 + "}\n",
                'metadata: {name: "x\\ud800"}\n',
                "extends: [/proc/self/environ]\n",
                "extends: [/dev/zero]\n",
                "waivers:\n- {rule: a, component: pkg:pypi/x, reason: r, expires: 2026-02-30}\n",
            ]
        )
    )
    return text + trick


# --- CEL -----------------------------------------------------------------------------------

cel_atom = st.sampled_from(
    [
        "component.name",
        "component.version",
        "component.ecosystem",
        "facts.releases.listed",
        "facts.package.status",
        "missing",
        "now",
        "project",
        "1",
        "0",
        "-1",
        "1.5",
        "true",
        "null",
        '"x"',
        "'pkg'",
        "[]",
        "{}",
        "[1, 2]",
        '{"a": 1}',
        "b'x'",
        "9223372036854775807",
        'has_fact("releases")',
        "has_fact(1)",
        "size(missing)",
        'component.name.startsWith("a")',
        "undefined_var",
        "component['name']",
        "facts.advisories.advisories",
    ]
)
cel_op = st.sampled_from(
    [" == ", " != ", " && ", " || ", " + ", " - ", " * ", " / ", " % ", " < ", " in ", "."]
)


@st.composite
def cel_expression(draw: st.DrawFn) -> str:
    """A CEL expression from atoms, operators, macros and raw noise."""

    def expr(depth: int) -> str:
        choice = draw(st.integers(0, 6 if depth < 3 else 1))
        if choice <= 1:
            return draw(cel_atom)
        if choice == 2:
            return expr(depth + 1) + draw(cel_op) + expr(depth + 1)
        if choice == 3:
            return f"!({expr(depth + 1)})"
        if choice == 4:
            macro = draw(st.sampled_from(["all", "exists", "map", "filter", "exists_one"]))
            return f"{draw(cel_atom)}.{macro}(x, {expr(depth + 1)})"
        if choice == 5:
            return f"({expr(depth + 1)}) ? {expr(depth + 1)} : {expr(depth + 1)}"
        return draw(st.text(alphabet="()[]{}.!?:'\"\\ab1 =&|", max_size=8))

    return expr(0)


# --- registry and OSV answers --------------------------------------------------------------


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*here, index))
    return found


def mutated_json(document: Any) -> st.SearchStrategy[Any]:
    """``document`` with one to three nodes replaced by any JSON value (wrong types, odd text).

    The nodes near the top (``info``, ``releases``, ``versions``, ``affected``) are drawn
    as often as the many leaves, so whole sections get the wrong shape too.
    """
    paths = _paths(document)
    shallow = [p for p in paths if len(p) <= 3]

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        changed = json.loads(json.dumps(document))
        for _ in range(draw(st.integers(1, 3))):
            path = draw(st.sampled_from(shallow) | st.sampled_from(paths))
            value = draw(json_value)
            if not path:
                return value
            parent = changed
            try:
                for step in path[:-1]:
                    parent = parent[step]
                parent[path[-1]] = value
            except (KeyError, IndexError, TypeError):
                continue  # an earlier replacement removed this node
        return changed

    return build()
