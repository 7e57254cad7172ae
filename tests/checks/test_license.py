from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from policyengine.checks.license import LicenseCheck
from policyengine.model import Component, Status, trove_license_ref
from tests.checks.factories import assert_actionable, component, run

CHECK = LicenseCheck()
DENY = {"deny": ["AGPL-3.0-only", "GPL-3.0-or-later"]}


def judge(licenses: str | None, params: dict[str, object]) -> Status:
    [f] = run(CHECK, component(licenses=licenses), params=params)
    return f.status


@pytest.mark.parametrize(
    ("licenses", "params", "status"),
    [
        ("MIT", DENY, Status.PASS),
        ("AGPL-3.0-only", DENY, Status.FAIL),
        ("MIT OR AGPL-3.0-only", DENY, Status.PASS),  # a choice exists
        ("MIT AND AGPL-3.0-only", DENY, Status.FAIL),  # both apply
        ("GPL-3.0+", DENY, Status.FAIL),  # deprecated id normalised to GPL-3.0-or-later
        ("Apache-2.0", {"allow": ["MIT", "Apache-2.0"]}, Status.PASS),
        ("BSD-3-Clause", {"allow": ["MIT", "Apache-2.0"]}, Status.FAIL),
        ("(MIT OR BSD-3-Clause) AND Apache-2.0", {"allow": ["MIT", "Apache-2.0"]}, Status.PASS),
        (
            "GPL-2.0-only WITH Classpath-exception-2.0",
            {"allow": ["GPL-2.0-only WITH Classpath-exception-2.0"]},
            Status.PASS,
        ),
        ("GPL-2.0-only WITH Classpath-exception-2.0", {"deny": ["GPL-2.0-only"]}, Status.FAIL),
        ("mit", {"allow": ["MIT"]}, Status.PASS),
    ],
)
def test_expressions(licenses: str, params: dict[str, object], status: Status) -> None:
    assert judge(licenses, params) is status


@pytest.mark.parametrize("licenses", [None, "", "NOASSERTION", "MIT OR OR", "LicenseRef-acme"])
@pytest.mark.parametrize(
    ("setting", "status"),
    [("unknown", Status.UNKNOWN), ("fail", Status.FAIL), ("pass", Status.PASS)],
)
def test_unknown_licenses(licenses: str | None, setting: str, status: Status) -> None:
    assert judge(licenses, {"unknown": setting}) is status


def test_listed_licenseref_is_judged_by_the_list() -> None:
    assert judge("LicenseRef-acme", {"allow": ["LicenseRef-acme"]}) is Status.PASS


def test_fail_is_actionable_and_names_license() -> None:
    [f] = run(CHECK, component(licenses="AGPL-3.0-only"), params=DENY)
    assert "AGPL-3.0-only is denied" in f.message
    assert_actionable(f)


def test_invalid_list_entry_rejected() -> None:
    with pytest.raises(ValidationError):
        LicenseCheck.params_model.model_validate({"deny": ["MIT OR OR"]})


BSD = "License :: OSI Approved :: BSD License"
APACHE = "License :: OSI Approved :: Apache Software License"


def trove(*parts: str, classifiers: tuple[str, ...] = (BSD,)) -> Component:
    """A component whose SBOM gave ``classifiers`` that name no single SPDX license."""
    refs = [trove_license_ref(c) for c in classifiers]
    return component(
        licenses=" AND ".join([*parts, *refs]), unmapped_license_classifiers=classifiers
    )


def test_ambiguous_classifier_is_unknown_and_says_so() -> None:
    [f] = run(CHECK, trove(), params=DENY)
    assert f.status is Status.UNKNOWN
    assert f"the SBOM names the PyPI trove classifier {BSD!r}" in f.message
    assert "does not identify one SPDX license" in f.message
    assert f.remediation is not None
    assert "PEP 639 License-Expression" in f.remediation and "waiver" in f.remediation
    assert "allow LicenseRef-PyPI-Trove-OSI-Approved-BSD-License" in f.remediation
    assert_actionable(f)


@pytest.mark.parametrize(
    ("setting", "status"),
    [("unknown", Status.UNKNOWN), ("fail", Status.FAIL), ("pass", Status.PASS)],
)
def test_ambiguous_classifier_follows_the_unknown_setting(setting: str, status: Status) -> None:
    [f] = run(CHECK, trove(), params={"unknown": setting})
    assert f.status is status
    assert BSD in f.message


def test_unknown_fail_for_a_classifier_gives_the_classifier_remedy_only() -> None:
    [f] = run(CHECK, trove(), params={"unknown": "fail", "allow": ["MIT"]})
    assert f.status is Status.FAIL
    assert f"is the PyPI trove classifier {BSD!r}" in f.message
    assert f.remediation is not None and not f.remediation.startswith("Replace")
    assert f.remediation.startswith("Regenerate the SBOM")


def test_a_denied_license_beside_an_ambiguous_classifier_still_fails() -> None:
    [f] = run(CHECK, trove("GPL-3.0-or-later"), params=DENY)
    assert f.status is Status.FAIL
    assert "GPL-3.0-or-later is denied" in f.message and BSD in f.message
    assert f.remediation is not None
    assert f.remediation.startswith("Replace") and "PEP 639" in f.remediation


def test_an_allowed_license_beside_an_ambiguous_classifier_is_unknown() -> None:
    assert judge_component(trove("MIT"), {"allow": ["MIT", "BSD-3-Clause"]}) is Status.UNKNOWN


def test_allowing_the_classifiers_ref_accepts_it() -> None:
    params = {"allow": ["MIT", "LicenseRef-PyPI-Trove-OSI-Approved-BSD-License"]}
    assert judge_component(trove("MIT"), params) is Status.PASS


def test_several_classifiers_and_other_unknown_keys_are_all_named() -> None:
    comp = trove("LicenseRef-acme", classifiers=(BSD, APACHE))
    [f] = run(CHECK, comp, params=DENY)
    assert f.status is Status.UNKNOWN
    assert "the SBOM names the PyPI trove classifiers '" in f.message
    assert repr(BSD) in f.message and repr(APACHE) in f.message
    assert "which do not identify one SPDX license" in f.message
    assert "LicenseRef-acme is not an SPDX license id the policy lists" in f.message
    assert f.remediation is not None
    assert f.remediation.startswith("Have the license reviewed") and "PEP 639" in f.remediation


def test_a_trove_like_ref_the_input_wrote_itself_is_an_ordinary_unknown_key() -> None:
    comp = component(licenses=trove_license_ref(BSD))
    [f] = run(CHECK, comp, params=DENY)
    assert f.status is Status.UNKNOWN
    assert "is not an SPDX license id the policy lists" in f.message


def judge_component(comp: Component, params: dict[str, object]) -> Status:
    [f] = run(CHECK, comp, params=params)
    return f.status


@settings(max_examples=50, deadline=None)
@given(st.text(), st.sampled_from(["", "MIT", "GPL-3.0-or-later", "LicenseRef-acme"]))
def test_any_unmapped_classifier_is_judged_without_crashing_and_never_passes(
    words: str, beside: str
) -> None:
    classifier = "License :: " + words
    comp = trove(*([beside] if beside else []), classifiers=(classifier,))
    [f] = run(CHECK, comp, params=DENY)
    assert f.status in {Status.UNKNOWN, Status.FAIL}
    assert repr(" ".join(classifier.split())) in f.message or repr(classifier) in f.message
