from __future__ import annotations

import pytest
from pydantic import ValidationError

from policyengine.checks.license import LicenseCheck
from policyengine.model import Status
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
