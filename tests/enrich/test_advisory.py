"""OSV record conversion: severity, malicious flag, alias merging."""

from __future__ import annotations

from typing import Any

from policyengine.enrich.advisory import merge, to_advisory


def _record(ident: str, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": ident,
        "modified": "2026-03-24T15:35:32Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Demo_Pkg"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
                ],
            }
        ],
    }
    record.update(extra)
    return record


def test_cvss_v3_and_v4_vectors() -> None:
    v3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"
    only3 = to_advisory(
        _record("X-1", severity=[{"type": "CVSS_V3", "score": v3}]), "pypi", "demo-pkg"
    )
    assert (only3.severity, only3.score, only3.vector) == ("critical", 9.8, v3)
    both = to_advisory(
        _record(
            "X-2", severity=[{"type": "CVSS_V3", "score": v3}, {"type": "CVSS_V4", "score": v4}]
        ),
        "pypi",
        "demo-pkg",
    )
    assert both.vector == v4 and both.score is not None and both.score < 9.8
    assert both.fixed == ("2.0",)


def test_database_specific_severity_and_bad_vectors() -> None:
    moderate = to_advisory(
        _record("GHSA-x", database_specific={"severity": "MODERATE"}), "pypi", "demo-pkg"
    )
    assert moderate.severity == "medium" and moderate.score is None
    broken = to_advisory(
        _record("X-3", severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/garbage"}]),
        "pypi",
        "demo-pkg",
    )
    assert broken.severity == "unknown"


def test_malicious_markers() -> None:
    assert to_advisory(_record("MAL-2026-1"), "pypi", "demo-pkg").malicious
    assert to_advisory(_record("PYSEC-1", aliases=["MAL-2026-1"]), "pypi", "demo-pkg").malicious
    cwe = to_advisory(
        _record("GHSA-y", database_specific={"cwe_ids": ["CWE-506"]}), "pypi", "demo-pkg"
    )
    assert cwe.malicious and cwe.cwes == ("CWE-506",)
    assert not to_advisory(_record("PYSEC-2"), "pypi", "demo-pkg").malicious


def test_merge_groups_aliases_transitively_and_keeps_withdrawals_dated() -> None:
    items = [
        to_advisory(_record("MAL-1", aliases=["PYSEC-1"]), "pypi", "demo-pkg"),
        to_advisory(_record("PYSEC-1", aliases=["CVE-1"]), "pypi", "demo-pkg"),
        to_advisory(
            _record(
                "GHSA-1",
                aliases=["CVE-1"],
                severity=[
                    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
                ],
            ),
            "pypi",
            "demo-pkg",
        ),
        to_advisory(_record("GHSA-2", withdrawn="2026-01-01T00:00:00Z"), "pypi", "demo-pkg"),
        to_advisory(_record("OTHER-1"), "pypi", "demo-pkg"),
    ]
    merged = merge(items, "pypi")
    # the withdrawn record stays, with its date: the evaluation decides against its `now`
    assert [a.id for a in merged] == ["GHSA-2", "OTHER-1", "PYSEC-1"]
    assert merged[0].withdrawn is not None and merged[2].withdrawn is None
    group = merged[2]
    assert group.aliases == ("CVE-1", "GHSA-1", "MAL-1")
    assert group.malicious and group.severity == "critical" and group.score == 9.8


def test_a_group_is_withdrawn_only_when_every_member_is() -> None:
    live = to_advisory(_record("PYSEC-9", aliases=["GHSA-9"]), "pypi", "demo-pkg")
    gone = to_advisory(_record("GHSA-9", withdrawn="2026-01-01T00:00:00Z"), "pypi", "demo-pkg")
    [merged] = merge([live, gone], "pypi")
    assert merged.withdrawn is None


def test_a_withdrawn_value_that_is_no_date_is_no_withdrawal() -> None:
    # a live answer with `"withdrawn": "yes"` must not hide the advisory (issue 13, item 3)
    advisory = to_advisory(_record("MAL-2026-9", withdrawn="yes"), "pypi", "demo-pkg")
    assert advisory.withdrawn is None and advisory.malicious
