from __future__ import annotations

import pytest

from policyengine.model import Component
from policyengine.model.policy import Selector
from policyengine.policy.selectors import purl_key, purl_matches, selects


def _c(**kw: object) -> Component:
    base: dict[str, object] = {
        "ref": "r",
        "name": "litellm",
        "version": "1.82.8",
        "ecosystem": "pypi",
        "purl": "pkg:pypi/litellm@1.82.8",
    }
    base.update(kw)
    return Component(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "purl", "expected"),
    [
        ("pkg:pypi/litellm", "pkg:pypi/litellm@1.82.8", True),
        ("pkg:pypi/litellm@1.82.8", "pkg:pypi/litellm@1.82.8", True),
        ("pkg:pypi/litellm@1.82.7", "pkg:pypi/litellm@1.82.8", False),
        ("pkg:pypi/litellm", "pkg:pypi/litellm-proxy@1.0", False),
        ("pkg:pypi/Lite_LLM", "pkg:pypi/lite-llm@1", True),
        ("pkg:npm/%40acme/tool", "pkg:npm/%40acme/tool@2.0.0", True),
        ("pkg:npm/%40acme/tool", "pkg:npm/%40other/tool@2.0.0", False),
        ("pkg:pypi/litellm", "pkg:npm/litellm@1", False),
        ("pkg:pypi/litellm", "pkg:pypi/litellm@1.82.8?repository_url=x", True),
        ("pkg:pypi/litellm", None, False),
        ("not a purl", "pkg:pypi/litellm@1", False),
    ],
)
def test_purl_matches(pattern: str, purl: str | None, expected: bool) -> None:
    assert purl_matches(pattern, purl) is expected


def test_purl_key_invalid() -> None:
    assert purl_key("pkg:") is None


@pytest.mark.parametrize(
    ("selector", "component", "expected"),
    [
        (Selector(), _c(), True),
        (Selector(ecosystems=("PyPI",)), _c(), True),
        (Selector(ecosystems=("npm",)), _c(), False),
        (Selector(ecosystems=("pypi",)), _c(ecosystem=None), False),
        (Selector(names=("lite*",)), _c(), True),
        (Selector(names=("@acme/*",)), _c(name="@acme/tool"), True),
        (Selector(names=("@acme/*",)), _c(name="@other/tool"), False),
        (Selector(purls=("pkg:pypi/litellm",)), _c(), True),
        (Selector(scopes=("required",)), _c(), True),
        (Selector(scopes=("optional",)), _c(), False),
        (Selector(scopes=("optional",)), _c(scope="optional"), True),
        (Selector(direct=True), _c(direct=True), True),
        (Selector(direct=True), _c(direct=False), False),
        (Selector(direct=False), _c(direct=None), True),
        (Selector(types=("library",)), _c(), True),
        (Selector(types=("application",)), _c(type="library"), False),
        (Selector(ecosystems=("pypi",), names=("requests",)), _c(), False),
    ],
)
def test_selects(selector: Selector, component: Component, expected: bool) -> None:
    assert selects(selector, component) is expected
