from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.ingest.normalize import (
    combine_licenses,
    identity_from_purl,
    normalize_hash_alg,
    normalize_hash_value,
    normalize_license,
    normalize_name,
    purl_for,
)


def test_pypi_names_follow_pep_503() -> None:
    assert normalize_name("pypi", "Foo_Bar.baz") == "foo-bar-baz"
    assert identity_from_purl("pkg:pypi/LiteLLM@1.82.8").name == "litellm"


def test_npm_scoped_names_keep_their_scope() -> None:
    ident = identity_from_purl("pkg:npm/%40angular/core@17.0.0")
    assert (ident.ecosystem, ident.name, ident.version) == ("npm", "@angular/core", "17.0.0")
    assert purl_for("npm", "@angular/core", "17.0.0") == "pkg:npm/%40angular/core@17.0.0"


def test_invalid_purl_is_reported_not_raised() -> None:
    ident = identity_from_purl("not-a-purl")
    assert ident.ecosystem is None
    assert ident.error and "invalid purl" in ident.error


def test_hash_algorithms_are_normalised() -> None:
    assert normalize_hash_alg("SHA-256") == "sha256"
    assert normalize_hash_alg("BLAKE2b-256") == "blake2b_256"
    assert normalize_hash_alg("SHA3-512") == "sha3_512"
    assert normalize_hash_value("ABCDEF01") == "abcdef01"
    assert normalize_hash_value("not hex") is None


def test_licenses_are_rendered_canonically_and_unknown_text_kept() -> None:
    assert normalize_license("mit or apache-2.0") == "MIT OR Apache-2.0"
    assert normalize_license("Some Custom Licence") == "Some Custom Licence"
    assert combine_licenses(["MIT", "Apache-2.0 OR BSD-3-Clause"]) == (
        "MIT AND (Apache-2.0 OR BSD-3-Clause)"
    )
    assert combine_licenses([]) is None


@given(st.text(max_size=80))
def test_purl_parsing_never_raises(text: str) -> None:
    ident = identity_from_purl(text)
    assert ident.error is not None or ident.ecosystem is not None


@given(st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,20}[A-Za-z0-9])?", fullmatch=True))
def test_pypi_purl_round_trip(name: str) -> None:
    purl = purl_for("pypi", normalize_name("pypi", name), "1.0")
    assert identity_from_purl(purl).name == normalize_name("pypi", name)


@settings(max_examples=50)
@given(
    st.sampled_from(["pypi", "npm"]),
    st.text(alphabet="aZ09._~-_", min_size=1, max_size=12),
    st.text(alphabet="aZ09._~+!-", min_size=1, max_size=10),
)
def test_purl_fast_path_agrees_with_packageurl(ecosystem: str, name: str, version: str) -> None:
    from packageurl import PackageURL

    purl = f"pkg:{ecosystem}/{name}@{version}"
    fast = identity_from_purl(purl)
    parsed = PackageURL.from_string(purl)  # every purl of this shape is valid
    expected_name = normalize_name(ecosystem, str(parsed.name), parsed.namespace)
    assert (fast.ecosystem, fast.name, fast.version) == (parsed.type, expected_name, parsed.version)


def test_a_name_no_purl_can_carry_gives_no_purl() -> None:
    # packageurl-python strips "/" to an empty name and then fails to render it.
    assert purl_for("pypi", "/", None) is None
