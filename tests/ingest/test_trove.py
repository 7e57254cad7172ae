"""Trove licence classifiers: the exact-mapping table, how readers combine them, no guessing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from license_expression import get_spdx_licensing

from policyengine.ingest import parse_bytes, read_input
from policyengine.ingest.cyclonedx_map import read_licenses
from policyengine.ingest.normalize import declared_licenses
from policyengine.ingest.trove import _EXACT, is_classifier, read_classifiers, restates, spdx_id_of
from policyengine.model import TROVE_LICENSE_REF_PREFIX, trove_license_ref
from tests.conftest import ROOT

BSD = "License :: OSI Approved :: BSD License"
MIT = "License :: OSI Approved :: MIT License"
APACHE = "License :: OSI Approved :: Apache Software License"
MPL2 = "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)"
GPL3_PLUS = "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)"

# PEP 639, "Appendix: Mapping License Classifiers to SPDX Identifiers": tools MUST NOT
# infer an SPDX id from these (written out here, not read from the module under test).
PEP_639_AMBIGUOUS = [
    "License :: OSI Approved :: Academic Free License (AFL)",
    APACHE,
    "License :: OSI Approved :: Apple Public Source License",
    "License :: OSI Approved :: Artistic License",
    BSD,
    "License :: OSI Approved :: GNU Affero General Public License v3",
    "License :: OSI Approved :: GNU Free Documentation License (FDL)",
    "License :: OSI Approved :: GNU General Public License (GPL)",
    "License :: OSI Approved :: GNU General Public License v2 (GPLv2)",
    "License :: OSI Approved :: GNU General Public License v3 (GPLv3)",
    "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)",
    "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)",
    "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
    "License :: OSI Approved :: GNU Library or Lesser General Public License (LGPL)",
    # Generic ones PEP 639 lets a tool treat as ambiguous; a gate must.
    "License :: Public Domain",
    "License :: Other/Proprietary License",
    "License :: Freely Distributable",
    "License :: Freeware",
    "License :: OSI Approved",
    "License :: DFSG approved",
]


@pytest.mark.parametrize(
    ("classifier", "spdx"),
    [
        (MIT, "MIT"),
        (MPL2, "MPL-2.0"),
        (GPL3_PLUS, "GPL-3.0-or-later"),
        (
            "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
            "GPL-2.0-or-later",
        ),
        ("License :: OSI Approved :: ISC License (ISCL)", "ISC"),
        ("License :: OSI Approved :: Python Software Foundation License", "PSF-2.0"),
        ("License :: OSI Approved :: The Unlicense (Unlicense)", "Unlicense"),
        ("License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
        ("License :: OSI Approved :: Zero-Clause BSD (0BSD)", "0BSD"),
        ("License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0"),
    ],
)
def test_exact_classifiers_map_to_their_spdx_id(classifier: str, spdx: str) -> None:
    assert spdx_id_of(classifier) == spdx
    assert read_classifiers([classifier]).keys == (spdx,)


@pytest.mark.parametrize("classifier", PEP_639_AMBIGUOUS)
def test_ambiguous_classifiers_are_never_guessed(classifier: str) -> None:
    assert spdx_id_of(classifier) is None
    found = read_classifiers([classifier])
    assert found.keys == (trove_license_ref(classifier),)
    assert found.unmapped == (classifier,)


def test_every_mapped_id_is_a_current_spdx_id() -> None:
    licensing = get_spdx_licensing()
    for classifier, spdx in _EXACT.items():
        assert is_classifier(classifier)
        result = licensing.validate(spdx)
        assert not result.errors and str(result.normalized_expression) == spdx, classifier


def test_the_table_covers_pypis_classifier_list() -> None:
    trove = pytest.importorskip("trove_classifiers")
    offered = {c for c in trove.classifiers if is_classifier(c)}
    retired = {c for c in trove.deprecated_classifiers if is_classifier(c)}
    # Every entry is a classifier PyPI offers or once offered: no typo'd keys.
    assert set(_EXACT) <= offered | retired
    # Every offered classifier is either mapped or deliberately left unmapped; a new
    # licence classifier on PyPI fails here until someone decides which it is.
    unmapped = sorted(offered - set(_EXACT))
    assert unmapped == sorted(
        {c for c in PEP_639_AMBIGUOUS if c in offered}
        | {
            "License :: Eiffel Forum License (EFL)",  # EFL-1.0 or EFL-2.0
            "License :: Free For Educational Use",
            "License :: Free For Home Use",
            "License :: Free To Use But Restricted",
            "License :: Free for non-commercial use",
            "License :: GUST Font License 1.0",  # not on the SPDX list
            "License :: GUST Font License 2006-09-30",
            "License :: Netscape Public License (NPL)",  # NPL-1.0 or NPL-1.1
            "License :: OSI Approved :: Eiffel Forum License",
            "License :: OSI Approved :: Zope Public License",  # ZPL-1.1, 2.0 or 2.1
            "License :: Repoze Public License",  # not on the SPDX list
        }
    )


def test_refs_are_distinct_and_valid_spdx_for_every_classifier() -> None:
    trove = pytest.importorskip("trove_classifiers")
    every = sorted(c for c in trove.all_classifiers if is_classifier(c))
    refs = [trove_license_ref(c) for c in every]
    assert len(set(refs)) == len(refs)
    licensing = get_spdx_licensing()
    for ref in refs:
        assert ref.startswith(TROVE_LICENSE_REF_PREFIX)
        assert str(licensing.parse(f"MIT AND {ref}")) == f"MIT AND {ref}"


def test_agrees_with_cyclonedx_py_except_where_it_guesses_or_errs() -> None:
    table = pytest.importorskip("cyclonedx_py._internal.utils.license_trove_classifier")
    theirs: dict[str, str] = table._MAP_TO_SPDX
    differ = {c: (v, _EXACT.get(c)) for c, v in theirs.items() if _EXACT.get(c) != v}
    assert differ == {
        # PEP 639 lists these as ambiguous (-only or -or-later); cyclonedx-py picks -only.
        "License :: OSI Approved :: GNU Affero General Public License v3": ("AGPL-3.0-only", None),
        "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": ("GPL-2.0-only", None),
        "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": ("GPL-3.0-only", None),
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": (
            "LGPL-3.0-only",
            None,
        ),
        # Typos in cyclonedx-py's table: the classifier names the version.
        "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": ("EPL-1.0", "EPL-2.0"),
        "License :: OSI Approved :: Mulan Permissive Software License v2 (MulanPSL-2.0)": (
            "MulanPSL-1.0",
            "MulanPSL-2.0",
        ),
        # SPDX "Python Software Foundation License 2.0" is the name the classifier uses.
        "License :: OSI Approved :: Python Software Foundation License": ("Python-2.0", "PSF-2.0"),
    }


def test_a_parent_classifier_beside_its_child_adds_nothing() -> None:
    found = read_classifiers(["License :: OSI Approved", MIT])
    assert found.keys == ("MIT",) and found.unmapped == ()
    alone = read_classifiers(["License :: OSI Approved"])
    assert alone.keys == ("LicenseRef-PyPI-Trove-OSI-Approved",)


def test_spacing_is_not_significant() -> None:
    assert spdx_id_of("License ::  OSI Approved :: MIT License ") == "MIT"


def test_several_classifiers_combine_with_and() -> None:
    assert declared_licenses([], [MIT, GPL3_PLUS]) == ("MIT AND GPL-3.0-or-later", ())
    expression, unmapped = declared_licenses([], [MIT, BSD, MIT])
    assert expression == "MIT AND LicenseRef-PyPI-Trove-OSI-Approved-BSD-License"
    assert unmapped == (BSD,)


def test_an_spdx_entry_beside_classifiers_that_restate_it_wins() -> None:
    # cyclonedx-py writes the License field's id beside the classifiers restating it.
    assert declared_licenses(["BSD-3-Clause"], [BSD]) == ("BSD-3-Clause", ())
    assert declared_licenses(["MIT OR Apache-2.0"], [APACHE, MIT]) == ("MIT OR Apache-2.0", ())
    assert declared_licenses(["MIT"], ["License :: OSI Approved"]) == ("MIT", ())
    # Free-text names are not classifiers and stay as before.
    assert declared_licenses(["MIT"], ["Custom"]) == ("MIT AND Custom", ())


@pytest.mark.parametrize(
    "classifier",
    [
        "License :: Other/Proprietary License",
        "License :: OSI Approved :: GNU Affero General Public License v3",
        "License :: OSI Approved :: BSD License",  # not the family of MIT
        "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
    ],
)
def test_a_classifier_naming_another_licence_beside_an_spdx_id_is_kept(classifier: str) -> None:
    # An unmapped second licence must not vanish because an id is present: fail closed.
    expression, unmapped = declared_licenses(["MIT"], [classifier])
    assert expression is not None and expression.startswith("MIT AND ")
    mapped = spdx_id_of(classifier)
    if mapped is None:
        assert unmapped == (classifier,)
        assert trove_license_ref(classifier) in expression
    else:
        assert unmapped == () and expression == f"MIT AND {mapped}"


def test_an_spdx_expression_is_the_authority_over_classifiers() -> None:
    # PEP 639's License-Expression: what cyclonedx-py writes as {"expression": ...}.
    given = _cdx_licenses({"expression": "MIT"}, {"name": "License :: Other/Proprietary License"})
    assert read_licenses(given) == ("MIT", ())


def _cdx_licenses(*entries: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"license": e} if "expression" not in e else e for e in entries]


def test_cyclonedx_entries_ids_expressions_and_classifier_names() -> None:
    assert read_licenses(_cdx_licenses({"name": MPL2})) == ("MPL-2.0", ())
    assert read_licenses(_cdx_licenses({"id": "MPL-2.0"}, {"name": MPL2})) == ("MPL-2.0", ())
    assert read_licenses(_cdx_licenses({"expression": "Apache-2.0 AND MIT"}, {"name": BSD})) == (
        "Apache-2.0 AND MIT",
        (),
    )
    assert read_licenses(_cdx_licenses({"name": APACHE})) == (
        "LicenseRef-PyPI-Trove-OSI-Approved-Apache-Software-License",
        (APACHE,),
    )
    assert read_licenses("not a list") == (None, ())


def test_litellm_1_82_6_sbom_licences() -> None:
    sbom = read_input(ROOT / "examples" / "litellm-2026" / "sbom-litellm-1.82.6.cdx.json")
    by_name = {c.name: c for c in sbom.components}
    bsd = "LicenseRef-PyPI-Trove-OSI-Approved-BSD-License"
    apache = "LicenseRef-PyPI-Trove-OSI-Approved-Apache-Software-License"
    # Only a classifier, and an ambiguous one: unknown, with the classifier kept.
    for name, ref, classifier in [
        ("jinja2", bsd, BSD),
        ("fastuuid", bsd, BSD),
        ("aiosignal", apache, APACHE),
        ("tokenizers", apache, APACHE),
    ]:
        assert by_name[name].licenses == ref
        assert by_name[name].unmapped_license_classifiers == (classifier,)
    # An SPDX id beside the classifier wins.
    assert by_name["certifi"].licenses == "MPL-2.0"
    assert by_name["httpx"].licenses == "BSD-3-Clause"
    assert by_name["huggingface-hub"].licenses == "Apache-2.0"
    assert by_name["requests"].licenses == "Apache-2.0"
    # Everything else is as the SBOM's ids and expressions say.
    assert by_name["aiohappyeyeballs"].licenses == "PSF-2.0 AND Python-2.0"
    assert by_name["packaging"].licenses == "Apache-2.0 OR BSD-2-Clause"
    unmapped = {c.name for c in sbom.components if c.unmapped_license_classifiers}
    assert unmapped == {"jinja2", "fastuuid", "aiosignal", "tokenizers"}
    assert all("License ::" not in (c.licenses or "") for c in sbom.components)


def test_spdx_declared_license_given_as_a_classifier() -> None:
    def package(spdx_id: str, declared: str) -> dict[str, Any]:
        return {
            "SPDXID": spdx_id,
            "name": spdx_id.lower(),
            "downloadLocation": "NOASSERTION",
            "licenseDeclared": declared,
        }

    doc = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "unit",
        "documentNamespace": "https://example.com/unit",
        "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: gen-1.0"]},
        "packages": [package("SPDXRef-a", MIT), package("SPDXRef-b", BSD)],
    }
    a, b = parse_bytes(json.dumps(doc).encode(), "unit.spdx.json").components
    assert (a.licenses, a.unmapped_license_classifiers) == ("MIT", ())
    assert (b.licenses, b.unmapped_license_classifiers) == (trove_license_ref(BSD), (BSD,))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text().map(lambda t: "License :: " + t),
            st.sampled_from([*PEP_639_AMBIGUOUS, *list(_EXACT)[:10]]),
            st.text(),
        ),
        max_size=4,
    ),
    st.lists(
        st.sampled_from(["MIT", "Apache-2.0 OR MIT", "LicenseRef-x", "MIT OR OR"]), max_size=2
    ),
)
def test_any_classifier_string_never_crashes(names: list[str], spdx: list[str]) -> None:
    expression, unmapped = declared_licenses(spdx, names)
    ids = [t for entry in spdx for t in entry.replace("(", " ").replace(")", " ").split()]
    assert not any(restates(c, ids) for c in unmapped)
    for classifier in unmapped:
        assert is_classifier(classifier)
        assert expression is not None and trove_license_ref(classifier) in expression
    if not spdx and expression is not None and all(is_classifier(n) for n in names):
        # Classifiers alone always make an expression license-expression can read.
        get_spdx_licensing().parse(expression)


def test_every_family_entry_is_an_unmapped_classifier() -> None:
    from policyengine.ingest.trove import _FAMILY

    for classifier, prefixes in _FAMILY.items():
        assert is_classifier(classifier) and spdx_id_of(classifier) is None, classifier
        assert prefixes and all(p for p in prefixes)
    trove = pytest.importorskip("trove_classifiers")
    assert set(_FAMILY) <= {c for c in trove.classifiers if is_classifier(c)}
