from __future__ import annotations

import pytest

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
