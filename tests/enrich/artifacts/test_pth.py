from __future__ import annotations

import site
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.enrich.artifacts.pth import at_site_root, executable_lines, inspect_pth


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("import os; os.getenv('X')\n", (1,)),
        ("import\tos\n", (1,)),
        ("../src\nimport os\n", (2,)),
        ("# import os\n", ()),
        ("  import os\n", ()),  # leading whitespace: a path to site.py, never executed
        ("importlib\n", ()),
        ("import\n", ()),
        ("\n\nimport sys\r\nlib\rimport os\r", (3, 5)),
        ("\ufeffimport os\n", (1,)),
        ("IMPORT os\n", ()),
    ],
)
def test_executable_lines_follow_site_addpackage(text: str, lines: tuple[int, ...]) -> None:
    assert executable_lines(text) == lines


@pytest.mark.parametrize(
    ("name", "kind", "root"),
    [
        ("litellm_init.pth", "wheel", True),
        ("demo-1.0.data/purelib/x.pth", "wheel", True),
        ("demo-1.0.data/platlib/x.pth", "wheel", True),
        ("demo/x.pth", "wheel", False),
        ("x.pth", "sdist", False),
    ],
)
def test_site_root(name: str, kind: str, root: bool) -> None:
    assert at_site_root(name, kind) is root


def test_inspect_pth_excerpt() -> None:
    found = inspect_pth("a.pth", b"/opt/lib\nimport os; os.getenv('X')\n", "wheel")
    assert found.executable_lines == (2,)
    assert found.executes_code
    assert found.excerpt == "import os; os.getenv('X')"
    assert found.site_root
    clean = inspect_pth("b.pth", b"/opt/lib\n", "wheel")
    assert not clean.executes_code and clean.excerpt is None


LINE_KINDS = [
    "import sys; sys._pe_hits.append({n})",
    "import\tsys; sys._pe_hits.append({n})",
    " import sys; sys._pe_hits.append({n})",
    "\timport sys; sys._pe_hits.append({n})",
    "importsys",
    "IMPORT sys",
    "#import sys; sys._pe_hits.append({n})",
    "",
    "   ",
    "some/relative/dir",
]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.sampled_from(LINE_KINDS), min_size=1, max_size=8),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_agrees_with_cpython_site_addpackage(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str], newline: str
) -> None:
    """Differential test: the real site.addpackage runs the file; the lines it ran must match.

    The generated lines only append their own line number to a list, so running
    them is harmless; this is the one place where the rule is checked against
    the interpreter itself rather than against a reading of its source.
    """
    lines = [kind.format(n=number) for number, kind in enumerate(kinds, 1)]
    text = newline.join(lines) + newline
    folder = tmp_path_factory.mktemp("site")
    (folder / "probe.pth").write_bytes(text.encode())
    sys._pe_hits = []  # type: ignore[attr-defined]
    saved = list(sys.path)
    try:
        site.addpackage(str(folder), "probe.pth", set())
        ran = tuple(sys._pe_hits)  # type: ignore[attr-defined]
    finally:
        sys.path[:] = saved
        del sys._pe_hits  # type: ignore[attr-defined]
    assert executable_lines(text) == ran
