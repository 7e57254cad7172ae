"""setup.py / pyproject / package.json hooks, binaries, entry points and code markers."""

from __future__ import annotations

import pytest

from policyengine.enrich.artifacts.binaries import binary_format, classify_binary
from policyengine.enrich.artifacts.code_markers import scan_code
from policyengine.enrich.artifacts.entry_points import npm_bin, parse_entry_points
from policyengine.enrich.artifacts.install_hooks import (
    inspect_package_json,
    inspect_pyproject,
    inspect_setup_py,
    read_package_json,
)
from tests.enrich.artifacts.builders import ELF_HEAD, FAT_HEAD, JAVA_CLASS, MACHO_HEAD, pe_head

PLAIN_SETUP = b"""\
import os
from setuptools import setup, find_packages

here = os.path.dirname(__file__)
if __name__ == "__main__":
    setup(name="demo", packages=find_packages())
"""

HOOKED_SETUP = b"""\
import subprocess as sp
from setuptools import setup
from setuptools.command.install import install
from urllib.request import urlopen

print("building")

class PostInstall(install):
    def run(self):
        sp.call(["echo", "hi"])
        urlopen("http://127.0.0.1/")
        install.run(self)

setup(name="demo", cmdclass={"install": PostInstall})
"""


def kinds(marks: object) -> list[tuple[str, int | None]]:
    assert isinstance(marks, list)
    return [(m.kind, m.line) for m in marks]


def test_plain_setup_py_has_no_hooks() -> None:
    assert inspect_setup_py("demo-1.0/setup.py", PLAIN_SETUP) == []


def test_hooked_setup_py() -> None:
    found = kinds(inspect_setup_py("demo-1.0/setup.py", HOOKED_SETUP))
    assert ("setup-module-call", 6) in found
    assert ("setup-cmdclass", 8) in found
    assert ("setup-dangerous-call", 10) in found  # sp -> subprocess.call
    assert ("setup-dangerous-call", 11) in found  # urlopen -> urllib.request.urlopen
    assert ("setup-cmdclass", 14) in found


def test_exec_in_setup_py() -> None:
    found = kinds(inspect_setup_py("s/setup.py", b"from setuptools import setup\nexec('x=1')\n"))
    assert found == [("setup-module-call", 2), ("setup-dangerous-call", 2)]


def test_unparseable_setup_py() -> None:
    found = kinds(inspect_setup_py("s/setup.py", b"print 'python 2'\n"))
    assert found == [("setup-unparseable", 1)]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (b'[build-system]\nrequires=["hatchling"]\nbuild-backend = "hatchling.build"\n', []),
        (b"[project]\nname='x'\n", []),
        (
            b'[build-system]\nrequires=[]\nbuild-backend = "backend"\nbackend-path = ["."]\n',
            [("build-backend-custom", 3), ("build-backend-in-tree", 4)],
        ),
        (b"[build-system\n", [("pyproject-unparseable", None)]),
    ],
)
def test_pyproject(toml: bytes, expected: list[tuple[str, int | None]]) -> None:
    assert kinds(inspect_pyproject("d/pyproject.toml", toml)) == expected


def test_package_json_scripts() -> None:
    source = b"""{
  "name": "demo",
  "scripts": {
    "test": "jest",
    "postinstall": "node setup.js",
    "preinstall": "node pre.js"
  },
  "bin": {"demo": "cli.js"}
}"""
    manifest = read_package_json(source)
    assert manifest is not None
    marks = inspect_package_json("package/package.json", source, manifest, False)
    assert [(m.line, m.detail) for m in marks] == [
        (6, "preinstall: node pre.js"),
        (5, "postinstall: node setup.js"),
    ]
    assert npm_bin("package/package.json", manifest)[0].target == "cli.js"


def test_binding_gyp_implies_install_script() -> None:
    manifest = {"name": "native"}
    marks = inspect_package_json("package/package.json", b"{}", manifest, True)
    assert [(m.detail, m.excerpt) for m in marks] == [
        (
            "install: node-gyp rebuild",
            "(implicit: binding.gyp present and no install or preinstall script)",
        )
    ]
    explicit = {"name": "native", "scripts": {"install": "prebuild-install || node-gyp rebuild"}}
    marks = inspect_package_json("package/package.json", b"{}", explicit, True)
    assert [m.detail for m in marks] == ["install: prebuild-install || node-gyp rebuild"]


def test_npm_bin_string_uses_package_name() -> None:
    found = npm_bin("p", {"name": "@scope/tool", "bin": "./bin/tool.js"})
    assert [(e.group, e.name, e.target) for e in found] == [("bin", "tool", "./bin/tool.js")]


def test_entry_points_txt() -> None:
    text = b"[console_scripts]\nDemo = demo.cli:main\n\n[demo.plugins]\nx = demo.x\n"
    found = parse_entry_points("d/entry_points.txt", text)
    assert [(e.group, e.name, e.target) for e in found] == [
        ("console_scripts", "Demo", "demo.cli:main"),
        ("demo.plugins", "x", "demo.x"),
    ]
    assert parse_entry_points("d/entry_points.txt", b"no section\n") == []


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (ELF_HEAD, "elf"),
        (MACHO_HEAD, "mach-o"),
        (FAT_HEAD, "mach-o-fat"),
        (pe_head(), "pe"),
        (JAVA_CLASS, None),
        (b"MZ is a fine way to start a text file" + b" " * 64, None),
        (b"#!/bin/sh\n", None),
    ],
)
def test_binary_magic(head: bytes, fmt: str | None) -> None:
    assert binary_format(head) == fmt


def test_binary_expected_only_as_library_in_platform_wheel() -> None:
    platform = "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    pure = "demo-1.0-py3-none-any.whl"
    lib = classify_binary(
        "demo/_speed.cpython-311-x86_64-linux-gnu.so", ELF_HEAD, 9, "wheel", platform
    )
    assert lib is not None and lib.expected
    tool = classify_binary("demo-1.0.data/scripts/tool", ELF_HEAD, 9, "wheel", platform)
    assert tool is not None and not tool.expected
    in_pure = classify_binary("demo/_speed.so", ELF_HEAD, 9, "wheel", pure)
    assert in_pure is not None and not in_pure.expected
    assert classify_binary("demo/a.py", b"import os", 9, "wheel", pure) is None


LITELLM_LIKE_PTH = (
    b"import os, subprocess, sys; subprocess.Popen([sys.executable, '-c', "
    b"\"import base64; exec(base64.b64decode('b3MuZ2V0ZW52KCJYIik='))\"])\n"
)


def test_decode_exec_inside_a_string_is_seen_by_the_text_pass() -> None:
    marks = scan_code("litellm_init.pth", LITELLM_LIKE_PTH)
    assert [(m.kind, m.line) for m in marks] == [("decode-exec", 1)]
    assert marks[0].excerpt is not None and marks[0].excerpt.startswith("import os")


def test_decode_exec_through_aliases_is_seen_by_the_ast_pass() -> None:
    source = b"import base64 as b\nrun = exec\nexec(\n    b.b64decode(\n        'eA=='\n    )\n)\n"
    marks = scan_code("demo/x.py", source)
    assert [(m.kind, m.line) for m in marks] == [("decode-exec", 3)]
    assert "base64.b64decode" in marks[0].detail


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        (b"exec(zlib.decompress(blob))\n", "decode-exec"),
        (b"eval(codecs.decode(s, 'rot13'))\n", "decode-exec"),
        (b"x = marshal.loads(bytes.fromhex(h))\n", "decode-exec"),
        (b"m = __import__('base64')\n", "dynamic-import"),
        (b"m = importlib.import_module('subprocess')\n", "dynamic-import"),
        (b"p = os.path.expanduser('~/.ssh/id_rsa')\n", "credential-path"),
        (b"u = 'http://169.254.169.254/latest/meta-data/'\n", "credential-path"),
        (b"h = 'metadata.google.internal'\n", "credential-path"),
        (b"open('/proc/self/environ')\n", "credential-path"),
    ],
)
def test_python_markers(source: bytes, kind: str) -> None:
    marks = scan_code("demo/x.py", source)
    assert kind in {m.kind for m in marks}
    assert all(m.line == 1 and m.path == "demo/x.py" for m in marks)


@pytest.mark.parametrize(
    "source",
    [
        b"eval(atob('ZG9jdW1lbnQ='))",
        b"new Function(Buffer.from(p, 'base64').toString())()",
    ],
)
def test_javascript_decode_exec(source: bytes) -> None:
    assert [m.kind for m in scan_code("package/index.js", source)] == ["decode-exec"]


def test_clean_code_has_no_markers() -> None:
    source = b"import base64\n\ndef enc(x):\n    return base64.b64encode(x)\n\nr = eval_model()\n"
    assert scan_code("demo/x.py", source) == []


def test_encoded_blob_needs_length_and_mixed_alphabet() -> None:
    blob = ("QUJDRGVmZ2hpams0NTY3" * 60).encode()  # 1,200 characters
    marks = scan_code("demo/x.py", b"x = 1\nPAYLOAD = '" + blob + b"'\n")
    assert [(m.kind, m.line) for m in marks] == [("encoded-blob", 2)]
    assert scan_code("demo/x.py", b"x = '" + blob[:900] + b"'\n") == []
    assert scan_code("demo/x.py", b"# " + b"-" * 2000 + b"\n") == []
    assert scan_code("demo/x.py", b"x = '" + b"a" * 2000 + b"'\n") == []
    data_uri = b"url('data:font/woff2;base64," + blob + b"')"
    assert scan_code("package/style.js", data_uri) == []
    assert [m.kind for m in scan_code("demo/x.py", b"x = '" + blob + b"'", blob_min=2000)] == []


@pytest.mark.parametrize(
    "source",
    [
        b"import base64\nexec(base64.b64decode(x))\ny = 1" + b"+1" * 200_000 + b"\n",
        b"import base64\nexec(base64.b64decode(x))\ny = " + b"-" * 200_000 + b"1\n",
    ],
    ids=["deep-binop", "deep-unary"],
)
def test_parser_exhaustion_falls_back_to_the_text_pass(source: bytes) -> None:
    marks = scan_code("demo/x.py", source)
    assert [(m.kind, m.line) for m in marks] == [("decode-exec", 2)]
    hooks = inspect_setup_py("d/setup.py", source)
    assert [h.kind for h in hooks] == ["setup-unparseable"]


def test_text_pass_needs_exec_and_decoder_on_one_line() -> None:
    assert scan_code("package/a.js", b"eval(x)\nconst y = atob(z)\n") == []
    far = b"eval(" + b"x" * 400 + b" + atob(z))"
    assert scan_code("package/a.js", far) == []
    near = b"eval(" + b"x" * 200 + b" + atob(z))"
    assert [m.kind for m in scan_code("package/a.js", near)] == ["decode-exec"]
    repeated = b"exec(Buffer.from(" * 10_000  # the input that made a lazy regex backtrack
    assert scan_code("package/a.js", repeated) == []


def test_markers_are_capped_per_kind_not_per_file() -> None:
    source = b"p = '~/.netrc'\n" * 150 + b"exec(base64.b64decode(x))\n"
    marks = scan_code("demo/x.py", source)
    assert sum(m.kind == "credential-path" for m in marks) == 100
    assert [(m.kind, m.line) for m in marks if m.kind == "decode-exec"] == [("decode-exec", 151)]


def test_module_call_on_an_expression_names_the_expression() -> None:
    source = b"from setuptools import setup\n(here / 'x').write_text('y')\nsetup()\n"
    [mark] = inspect_setup_py("s/setup.py", source)
    assert mark.detail == "module-level call to (here / 'x').write_text() besides setup()"
