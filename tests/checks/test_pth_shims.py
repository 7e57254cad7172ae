"""The known-shim list: valid data, named in the reference page, matched on all three keys."""

from __future__ import annotations

import hashlib

from policyengine.checks.pth_shims import known_shims, recognise
from policyengine.checks.startup_code import StartupCodeCheck
from policyengine.model import Component, PthFile

SETUPTOOLS_80 = (
    b"import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == "
    b"'local'; enabled and __import__('_distutils_hack').add_shim(); \n"
)
"""distutils-precedence.pth of setuptools-80.9.0-py3-none-any.whl (PyPI), byte for byte."""


def _pth(path: str, data: bytes | None) -> PthFile:
    digest = None if data is None else hashlib.sha256(data).hexdigest()
    return PthFile(path=path, site_root=True, executable_lines=(1,), sha256=digest)


def _component(name: str, ecosystem: str = "pypi") -> Component:
    return Component(ref=name, ecosystem=ecosystem, name=name, version="1")


def test_every_digest_is_listed_once_and_every_shim_is_named_in_the_reference_page() -> None:
    digests = [(s.package, d.sha256) for s in known_shims() for d in s.digests]
    assert len(digests) == len(set(digests))
    doc = StartupCodeCheck.__doc__ or ""
    for shim in known_shims():
        assert shim.package in doc, f"{shim.package} is recognised but not documented"
        assert shim.file.split("*")[-1] in doc


def test_the_real_setuptools_shim_is_recognised() -> None:
    found = recognise(_component("setuptools"), _pth("distutils-precedence.pth", SETUPTOOLS_80))
    assert found.shim is not None and found.shim.package == "setuptools"


def test_one_byte_changed_is_a_lookalike_not_a_shim() -> None:
    changed = SETUPTOOLS_80.replace(b"add_shim", b"add_shin")
    found = recognise(_component("setuptools"), _pth("distutils-precedence.pth", changed))
    assert found.shim is None and found.lookalike is not None


def test_name_package_place_and_digest_must_all_match() -> None:
    shim = _pth("distutils-precedence.pth", SETUPTOOLS_80)
    assert recognise(_component("setuptoolz"), shim).shim is None
    assert recognise(_component("setuptools", "npm"), shim).shim is None
    assert recognise(_component("setuptools"), _pth("renamed.pth", SETUPTOOLS_80)).shim is None
    nested = _pth("setuptools/distutils-precedence.pth", SETUPTOOLS_80)
    assert recognise(_component("setuptools"), nested).shim is None
    # Evidence recorded before digests were kept recognises nothing.
    assert recognise(_component("setuptools"), _pth("distutils-precedence.pth", None)).shim is None


def test_namespace_loader_names_are_matched_per_package() -> None:
    [protobuf] = [s for s in known_shims() if s.package == "protobuf"]
    digest = protobuf.digests[0].sha256
    pth = PthFile("protobuf-3.20.3-nspkg.pth", True, (1,), sha256=digest)
    assert recognise(_component("protobuf"), pth).shim is protobuf
    other = PthFile("matplotlib-3.4.3-py3.7-nspkg.pth", True, (1,), sha256=digest)
    assert recognise(_component("protobuf"), other).shim is None
