"""Reader details: nested requirement files, hashes, scopes, yarn v1 parsing, bad input."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.ingest import parse_bytes
from policyengine.ingest.lockfiles import detect
from policyengine.ingest.lockfiles._common import parse_integrity
from policyengine.ingest.lockfiles.pins import npm_pin, python_specifier_text
from policyengine.ingest.lockfiles.requirements import declared as declared_requirements
from policyengine.ingest.lockfiles.yarn import parse_v1
from policyengine.model import InputError


def _read(path: Path) -> list[tuple[str, str | None]]:
    sbom = parse_bytes(path.read_bytes(), str(path))
    return [(c.name, c.version) for c in sbom.components]


def test_nested_requirements_and_constraints(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "requirements.txt").write_text("-r sub/base.txt\nDjango\n-c constraints.txt\n")
    (tmp_path / "sub" / "base.txt").write_text("-r ../requirements.txt\nZope.Interface==5.4.0\n")
    (tmp_path / "constraints.txt").write_text("django==2.2.24\nunused==1.0\n")
    assert _read(tmp_path / "requirements.txt") == [
        ("zope-interface", "5.4.0"),
        ("django", "2.2.24"),
    ]
    top = tmp_path / "requirements.txt"
    sbom = parse_bytes(top.read_bytes(), str(top))
    zope = sbom.components[0].location
    assert zope is not None and (zope.file, zope.line) == (str(tmp_path / "sub" / "base.txt"), 2)
    declared = {
        d.name: (d.pin, d.specifier) for d in declared_requirements(top.read_bytes(), str(top))
    }
    assert declared["django"] == ("exact", "==2.2.24")


def test_nested_url_is_refused(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n-r https://example.invalid/r.txt\n")
    with pytest.raises(InputError) as info:
        _read(tmp_path / "requirements.txt")
    assert info.value.position is not None and info.value.position.line == 2
    assert "never fetched" in info.value.message


def test_hashes_markers_and_continuations(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "# comment\n"
        "six==1.16.0 ; python_version >= '3' \\\n"
        "    --hash=sha256:" + "AB" * 32 + " \\\n"
        "    --hash sha256:" + "cd" * 32 + "\n"
    )
    sbom = parse_bytes(
        (tmp_path / "requirements.txt").read_bytes(), str(tmp_path / "requirements.txt")
    )
    (six,) = sbom.components
    assert six.location is not None and six.location.line == 2
    assert [h.value for h in six.hashes] == ["ab" * 32, "cd" * 32]


def test_npm_integrity_becomes_hex() -> None:
    digest = hashlib.sha512(b"x").digest()
    sri = (
        "sha512-"
        + base64.b64encode(digest).decode()
        + " sha1-"
        + base64.b64encode(b"y" * 20).decode()
    )
    hashes = parse_integrity(sri)
    assert [(h.alg, h.value) for h in hashes] == [
        ("sha512", digest.hex()),
        ("sha1", (b"y" * 20).hex()),
    ]
    assert parse_integrity("sha512-***not base64***") == ()


@pytest.mark.parametrize(
    ("spec", "pin"),
    [
        ("1.2.3", "exact"),
        ("=1.2.3", "exact"),
        ("^1.2.3", "range"),
        ("~1.2", "range"),
        (">=1 <2", "range"),
        ("*", "unpinned"),
        ("latest", "unpinned"),
        ("next", "unpinned"),
        ("file:../x", "path"),
        ("workspace:*", "path"),
        ("github:a/b#main", "vcs-ref"),
        ("a/b#" + "0" * 40, "vcs-commit"),
        ("git+https://x/y.git", "vcs-ref"),
        ("https://x/y.tgz", "url"),
        ("npm:other@1.0.0", "exact"),
        ("npm:@s/other@^1", "range"),
    ],
)
def test_npm_pins(spec: str, pin: str) -> None:
    assert npm_pin(spec)[0] == pin


@pytest.mark.parametrize(
    ("spec", "pin"),
    [
        ("==1.0", "exact"),
        ("1.0", "exact"),
        ("^1.0", "range"),
        (">=1,<2", "range"),
        ("*", "unpinned"),
        ("==1.*", "range"),
    ],
)
def test_python_specifier_pins(spec: str, pin: str) -> None:
    assert python_specifier_text(spec)[0] == pin


def test_detection_uses_content_then_name() -> None:
    assert detect(b'{"lockfileVersion": 3, "packages": {}}', "x.json") == "package-lock.json"
    assert detect(b"# yarn lockfile v1\n", "x") == "yarn.lock"
    assert detect(b"flask\n", "requirements-dev.txt") == "requirements.txt"
    assert detect(b"flask\n", "notes.txt") is None
    assert detect(b"flask\n", "requirements/base.txt") == "requirements.txt"
    assert detect(b"flask\n", "my-requirements.txt") == "requirements.txt"
    assert detect(b"flask\n", "notrequirements.txt") is None
    # package.json has no content signature: other JSON with "dependencies" is not one.
    assert detect(b'{"version": 1, "dependencies": {}}', "packages.lock.json") is None
    assert detect(b'{"dependencies": {"a": "1.0.0"}}', "package.json") == "package.json"
    assert detect(b"[[package]]\nname = \n", "poetry.lock") == "poetry.lock"


def test_truncated_lockfile_is_one_line_exit_3(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    lock = tmp_path / "package-lock.json"
    lock.write_text('{\n  "lockfileVersion": 3,\n  "packages": {\n    "": {}\n')
    code, out, err = run_cli("inspect", str(lock))
    assert code == 3 and out == ""
    assert f"{lock}:5" in err and err.count("\n") == 1


names = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
versions = st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True)


@settings(max_examples=50)
@given(st.dictionaries(names, versions, min_size=0, max_size=8))
def test_yarn_v1_round_trip(packages: dict[str, str]) -> None:
    text = "# yarn lockfile v1\n\n\n" + "".join(
        f'{name}@^{version}, "{name}@~{version}":\n  version "{version}"\n'
        f'  dependencies:\n    other "^1"\n\n'
        for name, version in packages.items()
    )
    blocks = parse_v1(text, "yarn.lock")
    assert [(b.descriptors[0], b.fields["version"]) for b in blocks] == [
        (f"{n}@^{v}", v) for n, v in packages.items()
    ]
    assert all(len(b.descriptors) == 2 for b in blocks)


def test_yarn_v1_garbage_line_is_an_error() -> None:
    with pytest.raises(InputError) as info:
        parse_v1('# yarn lockfile v1\n\na@^1:\n  version "1.0.0"\nnot a header\n', "yarn.lock")
    assert info.value.position is not None and info.value.position.line == 5


purl_text = st.from_regex(r"[A-Za-z0-9._+~!-]{1,12}", fullmatch=True)


@settings(max_examples=50)
@given(
    st.sampled_from(["pypi", "npm"]),
    purl_text,
    st.none() | purl_text,
    st.none() | st.from_regex(r"[A-Za-z0-9._-]{1,8}", fullmatch=True),
)
def test_fast_purl_matches_packageurl(
    ecosystem: str, name: str, version: str | None, scope: str | None
) -> None:
    from policyengine.ingest.lockfiles._common import fast_purl
    from policyengine.ingest.normalize import normalize_name, purl_for

    full = normalize_name(ecosystem, name)
    if ecosystem == "npm" and scope:
        full = f"@{scope}/{name}"
    assert fast_purl(ecosystem, full, version) == purl_for(ecosystem, full, version)


YARN_V1 = b"""# yarn lockfile v1


"@scope/a@^1.0.0", "@scope/a@^1.1.0":
  version "1.2.0"
  dependencies:
    b "~2.0.0"
    "@scope/c" "3"

b@~2.0.0:
  version "2.0.1"
  optionalDependencies:
    "@scope/c" "3"

"@scope/c@3":
  version "3.0.0"
"""

YARN_BERRY = b"""__metadata:
  version: 8
  cacheKey: 10c0

"a@npm:^1.0.0, a@npm:^1.1.0":
  version: 1.2.0
  resolution: "a@npm:1.2.0"
  dependencies:
    b: "npm:~2.0.0"
  checksum: 10c0/abcd
  languageName: node
  linkType: hard

"b@npm:~2.0.0":
  version: 2.0.1
  resolution: "b@npm:2.0.1"
  languageName: node
  linkType: hard

"root@workspace:.":
  version: 0.0.0-use.local
  resolution: "root@workspace:."
  dependencies:
    a: "npm:^1.0.0"
  languageName: unknown
  linkType: soft
"""


def test_yarn_dependency_graphs() -> None:
    v1 = parse_bytes(YARN_V1, "yarn.lock")
    assert dict(v1.dependencies) == {
        "pkg:npm/%40scope/a@1.2.0": ("pkg:npm/b@2.0.1", "pkg:npm/%40scope/c@3.0.0"),
        "pkg:npm/b@2.0.1": ("pkg:npm/%40scope/c@3.0.0",),
    }
    berry = parse_bytes(YARN_BERRY, "yarn.lock")
    assert [(c.name, c.version) for c in berry.components] == [("a", "1.2.0"), ("b", "2.0.1")]
    assert dict(berry.dependencies) == {"pkg:npm/a@1.2.0": ("pkg:npm/b@2.0.1",)}


def test_npm_graph_resolves_nested_copies_first() -> None:
    file = Path(__file__).resolve().parents[2] / "fixtures" / "lockfiles-generated" / "npm"
    sbom = parse_bytes((file / "package-lock.json").read_bytes(), str(file / "package-lock.json"))
    assert dict(sbom.dependencies) == {"pkg:npm/debug@4.4.3": ("pkg:npm/ms@2.1.3",)}
    assert all(c.direct for c in sbom.components) and sbom.roots == ()
