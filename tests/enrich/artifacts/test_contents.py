"""The CONTENTS fact end to end: artifacts served from 127.0.0.1, verified, inspected, compared."""

from __future__ import annotations

import asyncio
import io
import json
import re
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest
from pydantic import TypeAdapter

from policyengine.enrich.artifacts import ArchiveLimits, InspectSettings, ScanSettings
from policyengine.enrich.artifacts import inspect_contents as inspect
from policyengine.enrich.bundle import dump_bundle, parse_bundle
from policyengine.enrich.seal import Seal
from policyengine.model import (
    Artifact,
    ArtifactContents,
    Artifacts,
    ComponentEvidence,
    Evidence,
    FactKind,
    FactResult,
    Failed,
    Missing,
    Ok,
)
from tests.enrich.artifacts.builders import ELF_HEAD, Registry, npm_tarball, sdist, tar_gz, wheel

PKG = {
    "demo/__init__.py": b"from demo.core import run\n",
    "demo/core.py": b"import os\n\ndef run():\n    return os.getcwd()\n",
}
PAYLOAD_PTH = b'import os; os.getenv("X")\n'


def contents_of(
    artifacts: Artifacts, previous: Artifacts | None = None, settings: InspectSettings | None = None
) -> FactResult:
    async def go() -> FactResult:
        async with httpx.AsyncClient() as client:
            return await inspect(client, artifacts, previous, settings)

    return asyncio.run(go())


def ok(result: FactResult) -> ArtifactContents:
    assert isinstance(result, Ok), result
    assert isinstance(result.value, ArtifactContents)
    return result.value


def publish(registry: Registry, version: str, extra: dict[str, bytes]) -> Artifacts:
    files = {**PKG, **extra}
    whl = registry.add(*wheel("demo", version, files))
    src = registry.add(
        *sdist("demo", version, {"setup.py": b"from setuptools import setup\nsetup()\n", **files})
    )
    return Artifacts(version=version, files=(whl, src))


def test_startup_pth_in_new_release(registry: Registry) -> None:
    before = publish(registry, "1.0", {})
    after = publish(registry, "1.1", {"demo_init.pth": PAYLOAD_PTH})
    result = contents_of(after, before)
    facts = ok(result)
    assert facts.version == "1.1" and facts.previous_version == "1.0"
    assert facts.previous_error is None
    assert facts.added_files == ("demo_init.pth",)
    assert facts.removed_files == ()
    sdist_report, wheel_report = facts.artifacts  # sdist is inspected first
    assert sdist_report.kind == "sdist" and wheel_report.kind == "wheel"
    assert wheel_report.compared_with == "demo-1.0-py3-none-any.whl"
    assert sdist_report.compared_with == "demo-1.0.tar.gz"
    [pth] = wheel_report.pth_files
    assert (pth.path, pth.site_root, pth.executable_lines) == ("demo_init.pth", True, (1,))
    assert pth.new_file
    assert pth.excerpt == 'import os; os.getenv("X")'
    [sdist_pth] = sdist_report.pth_files
    assert sdist_pth.path == "demo-1.1/demo_init.pth" and not sdist_pth.site_root
    assert wheel_report.digest.startswith("sha256:")
    assert "demo-{version}.dist-info/RECORD" in wheel_report.files
    assert isinstance(result, Ok) and result.source.name == "artifacts"
    assert result.source.url is not None and result.source.url.endswith(".tar.gz")


def test_clean_twin_has_no_findings(registry: Registry) -> None:
    facts = ok(contents_of(publish(registry, "1.1", {}), publish(registry, "1.0", {})))
    assert facts.added_files == () and facts.removed_files == ()
    for report in facts.artifacts:
        assert report.pth_files == () and report.binaries == () and report.suspicious == ()
        assert report.install_hooks == ()


def test_removed_files_are_reported(registry: Registry) -> None:
    before = publish(registry, "1.0", {"demo/old.py": b"x = 1\n"})
    facts = ok(contents_of(publish(registry, "1.1", {}), before))
    assert facts.removed_files == ("demo/old.py",)


def test_payload_in_an_existing_module_is_marked(registry: Registry) -> None:
    core = PKG["demo/core.py"] + b"exec(__import__('base64').b64decode('b3MuZ2V0ZW52KCJYIik='))\n"
    facts = ok(contents_of(publish(registry, "1.1", {"demo/core.py": core})))
    marks = {(m.kind, m.path, m.line) for r in facts.artifacts for m in r.suspicious}
    assert ("decode-exec", "demo/core.py", 5) in marks
    assert ("dynamic-import", "demo/core.py", 5) in marks
    assert ("decode-exec", "demo-1.1/demo/core.py", 5) in marks
    assert not any(m.new_file for r in facts.artifacts for m in r.suspicious)


def test_npm_tarball_hooks_bin_and_binary(registry: Registry) -> None:
    manifest = {
        "name": "demo",
        "version": "2.0.0",
        "bin": {"demo": "cli.js"},
        "scripts": {"postinstall": "node setup.js"},
    }
    files = {
        "package.json": json.dumps(manifest, indent=2).encode(),
        "cli.js": b"#!/usr/bin/env node\nrequire('./index')\n",
        "index.js": b"module.exports = process.env.X\n",
        "setup.js": b"require('fs').readFileSync(process.env.HOME + '/.aws/credentials')\n",
        "bin/helper": ELF_HEAD + b"\x00" * 100,
    }
    artifact = registry.add(*npm_tarball("demo", "2.0.0", files))
    facts = ok(contents_of(Artifacts("2.0.0", (artifact,))))
    [report] = facts.artifacts
    assert report.kind == "npm"
    assert [(h.kind, h.detail, h.line) for h in report.install_hooks] == [
        ("npm-script", "postinstall: node setup.js", 8)
    ]
    assert [(e.group, e.name, e.target) for e in report.entry_points] == [("bin", "demo", "cli.js")]
    assert [(b.path, b.format, b.expected) for b in report.binaries] == [
        ("package/bin/helper", "elf", False)
    ]
    assert [(m.kind, m.path, m.line) for m in report.suspicious] == [
        ("credential-path", "package/setup.js", 1)
    ]
    assert "package.json" in report.files and "bin/helper" in report.files


def test_platform_wheel_binaries_and_entry_points(registry: Registry) -> None:
    files = {
        "demo/_speed.cpython-311-x86_64-linux-gnu.so": ELF_HEAD + b"\x00" * 64,
        "demo-3.0.data/scripts/demo-helper": ELF_HEAD + b"\x01" * 64,
    }
    filename, data = wheel(
        "demo",
        "3.0",
        files,
        tag="cp311-cp311-manylinux_2_17_x86_64",
        entry_points="[console_scripts]\ndemo = demo.cli:main\n",
    )
    facts = ok(contents_of(Artifacts("3.0", (registry.add(filename, data),))))
    [report] = facts.artifacts
    assert sorted((b.path, b.expected) for b in report.binaries) == [
        ("demo-3.0.data/scripts/demo-helper", False),
        ("demo/_speed.cpython-311-x86_64-linux-gnu.so", True),
    ]
    assert sorted((e.group, e.name) for e in report.entry_points) == [
        ("console_scripts", "demo"),
        ("scripts", "demo-helper"),
    ]


def test_setup_py_and_custom_backend_in_sdist(registry: Registry) -> None:
    filename, data = sdist(
        "demo",
        "1.0",
        {
            "setup.py": b"import os\nfrom setuptools import setup\nos.system('true')\nsetup()\n",
            "pyproject.toml": (
                b'[build-system]\nrequires = []\nbuild-backend = "_build"\nbackend-path = ["."]\n'
            ),
        },
    )
    facts = ok(contents_of(Artifacts("1.0", (registry.add(filename, data),))))
    hooks = [(h.kind, h.path, h.line) for h in facts.artifacts[0].install_hooks]
    assert hooks == [
        ("setup-module-call", "demo-1.0/setup.py", 3),
        ("setup-dangerous-call", "demo-1.0/setup.py", 3),
        ("build-backend-custom", "demo-1.0/pyproject.toml", 3),
        ("build-backend-in-tree", "demo-1.0/pyproject.toml", 4),
    ]


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar_with_symlink() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("package/evil")
        info.type = tarfile.SYMTYPE
        info.linkname = "/home/user/.ssh/id_rsa"
        archive.addfile(info)
    return buffer.getvalue()


SMALL_LIMITS = InspectSettings(
    scan=ScanSettings(limits=ArchiveLimits(max_ratio=50, ratio_floor=4096))
)


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("demo-1.0-py3-none-any.whl", _zip({"demo/zeros": b"\0" * (1 << 20)}), "zip bomb"),
        ("demo-1.0-py3-none-any.whl", _zip({"../../demo.pth": b"import os\n"}), r"'\.\.'"),
        ("demo-1.0-py3-none-any.whl", _zip({"/usr/lib/x.pth": b"import os\n"}), "absolute"),
        ("demo-1.0.tgz", tar_gz({"package/a.js": bytes(range(256)) * 64})[:-100], "truncated"),
        ("demo-1.0-py3-none-any.whl", _zip({"demo/a.py": b"x" * 5000})[:-30], "not a readable zip"),
    ],
)
def test_hostile_archives_fail_the_fact(
    registry: Registry, filename: str, data: bytes, reason: str
) -> None:
    result = contents_of(Artifacts("1.0", (registry.add(filename, data),)), settings=SMALL_LIMITS)
    assert isinstance(result, Failed)
    assert filename in result.error
    assert re.search(reason, result.error), result.error


def test_a_link_leaving_the_archive_is_recorded_unjudged_not_a_failed_fact(
    registry: Registry,
) -> None:
    # One unjudgeable entry does not void what was seen: the contents checks turn a pass
    # into unknown for it (tests/checks/cases/*/unknown-link-outside-archive).
    result = contents_of(Artifacts("1.0", (registry.add("demo-1.0.tgz", _tar_with_symlink()),)))
    assert isinstance(result, Ok)
    [report] = result.value.artifacts
    [link] = report.links
    assert (link.path, link.target) == ("package/evil", "/home/user/.ssh/id_rsa")
    assert not link.judged
    assert "evil" in report.files


def test_digest_mismatch_fails_the_fact(registry: Registry) -> None:
    filename, data = wheel("demo", "1.0", PKG)
    artifact = registry.add(filename, data, registry_digest="ab" * 32)
    result = contents_of(Artifacts("1.0", (artifact,)))
    assert isinstance(result, Failed) and "digest mismatch" in result.error


def test_one_refused_artifact_fails_the_whole_fact(registry: Registry) -> None:
    good = publish(registry, "1.0", {})
    bad = registry.add("demo-1.0-cp311-cp311-win_amd64.whl", b"not a zip")
    result = contents_of(Artifacts("1.0", (*good.files, bad)))
    assert isinstance(result, Failed) and "win_amd64" in result.error


def test_unreadable_previous_release_only_costs_the_comparison(registry: Registry) -> None:
    broken = registry.add("demo-1.0-py3-none-any.whl", b"garbage")
    facts = ok(contents_of(publish(registry, "1.1", {}), Artifacts("1.0", (broken,))))
    assert facts.previous_version == "1.0"
    assert facts.previous_error is not None and "previous release" in facts.previous_error
    assert "no sdist to compare with" in facts.previous_error
    assert facts.added_files == ()


def test_no_files_is_missing() -> None:
    result = contents_of(Artifacts("1.0", ()))
    assert isinstance(result, Missing) and "no files" in result.reason


def test_only_unsupported_files_is_missing(registry: Registry) -> None:
    artifact = registry.add("demo-1.0.win32.exe", b"MZ")
    result = contents_of(Artifacts("1.0", (artifact,)))
    assert isinstance(result, Missing) and "demo-1.0.win32.exe" in result.reason


def test_selection_prefers_sdist_and_pure_wheel(registry: Registry) -> None:
    pure = registry.add(*wheel("demo", "1.0", PKG))
    linux = registry.add(*wheel("demo", "1.0", PKG, tag="cp311-cp311-manylinux_2_17_x86_64"))
    mac = registry.add(*wheel("demo", "1.0", PKG, tag="cp311-cp311-macosx_11_0_arm64"))
    src = registry.add(*sdist("demo", "1.0", PKG))
    exe = Artifact("demo-1.0.win32.exe", registry.base + "/x", 1)
    settings = InspectSettings(max_artifacts=2)
    facts = ok(contents_of(Artifacts("1.0", (mac, exe, linux, pure, src)), settings=settings))
    assert [r.filename for r in facts.artifacts] == [src.filename, pure.filename]
    assert facts.not_inspected == (
        f"{linux.filename}: beyond the limit of 2 files per version",
        f"{mac.filename}: beyond the limit of 2 files per version",
        "demo-1.0.win32.exe: not a zip or tar archive",
    )


def test_reports_are_cached_by_digest(registry: Registry, tmp_path: Path) -> None:
    artifacts = publish(registry, "1.0", {"demo_init.pth": PAYLOAD_PTH})
    settings = InspectSettings(cache_dir=tmp_path, seal=KEY)
    first = ok(contents_of(artifacts, settings=settings))
    hits = dict(registry.hits)
    second = ok(contents_of(artifacts, settings=settings))
    assert registry.hits == hits
    assert first == second
    assert len(list((tmp_path / "reports").iterdir())) == 2


KEY = Seal(b"k" * 32)


def _launder(value: object) -> object:
    """``value`` with every ``pth_files`` list emptied, also inside JSON held in strings."""
    if isinstance(value, dict):
        return {k: [] if k == "pth_files" else _launder(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_launder(v) for v in value]
    if isinstance(value, str) and value.startswith("{"):
        return json.dumps(_launder(json.loads(value)))
    return value


def test_an_edited_cached_report_is_not_trusted(registry: Registry, tmp_path: Path) -> None:
    # Issue 13, item 4: editing one cached report turned a code-running .pth into a pass.
    artifacts = publish(registry, "1.0", {"demo_init.pth": PAYLOAD_PTH})
    settings = InspectSettings(cache_dir=tmp_path, seal=KEY)
    assert any(r.pth_files for r in ok(contents_of(artifacts, settings=settings)).artifacts)
    for path in (tmp_path / "reports").iterdir():
        path.write_text(json.dumps(_launder(json.loads(path.read_text()))))
    again = ok(contents_of(artifacts, settings=settings))
    assert any(r.pth_files for r in again.artifacts)


def test_a_report_moved_to_another_artifact_is_not_trusted(
    registry: Registry, tmp_path: Path
) -> None:
    # A clean release's (validly sealed) report copied under the bad release's file name.
    clean = publish(registry, "1.0", {})
    bad = publish(registry, "1.1", {"demo_init.pth": PAYLOAD_PTH})
    settings = InspectSettings(cache_dir=tmp_path, seal=KEY)
    ok(contents_of(clean, settings=settings))
    reports = tmp_path / "reports"
    clean_reports = sorted(reports.iterdir())
    ok(contents_of(bad, settings=settings))
    for new in sorted(set(reports.iterdir()) - set(clean_reports)):
        twin = next(p for p in clean_reports if p.name.endswith(new.name[-22:]))
        new.write_bytes(twin.read_bytes())
    assert any(r.pth_files for r in ok(contents_of(bad, settings=settings)).artifacts)


def test_reports_of_another_key_or_none_are_derived_again(
    registry: Registry, tmp_path: Path
) -> None:
    artifacts = publish(registry, "1.0", {"demo_init.pth": PAYLOAD_PTH})
    ok(contents_of(artifacts, settings=InspectSettings(cache_dir=tmp_path, seal=KEY)))
    for path in (tmp_path / "reports").iterdir():
        path.write_text(json.dumps(_launder(json.loads(path.read_text()))))
    other = InspectSettings(cache_dir=tmp_path, seal=Seal(b"o" * 32))
    assert any(r.pth_files for r in ok(contents_of(artifacts, settings=other)).artifacts)
    unsealed = InspectSettings(cache_dir=tmp_path / "none")
    ok(contents_of(artifacts, settings=unsealed))
    assert not (tmp_path / "none" / "reports").exists()  # no key: nothing derived is stored


def test_fact_serialises_by_field_names(registry: Registry) -> None:
    facts = ok(
        contents_of(
            publish(registry, "1.1", {"demo_init.pth": PAYLOAD_PTH}), publish(registry, "1.0", {})
        )
    )
    adapter = TypeAdapter(ArtifactContents)
    data = json.loads(adapter.dump_json(facts))
    assert data["added_files"] == ["demo_init.pth"]
    assert data["artifacts"][1]["pth_files"][0]["executable_lines"] == [1]
    assert adapter.validate_python(data) == facts


def test_contents_fact_round_trips_through_the_evidence_bundle(registry: Registry) -> None:
    current = publish(registry, "1.1", {"demo_init.pth": PAYLOAD_PTH})
    result = contents_of(current, publish(registry, "1.0", {}))
    assert isinstance(result, Ok)
    key = "pypi/demo@1.1"
    evidence = Evidence(
        components={
            key: ComponentEvidence(key, {FactKind.CONTENTS: result}),
            "pypi/other@1.0": ComponentEvidence(
                "pypi/other@1.0", {FactKind.CONTENTS: Failed("artifact refused: x")}
            ),
        }
    )
    loaded = parse_bundle(dump_bundle(evidence), "bundle.json")
    fact = loaded.for_key(key).get(FactKind.CONTENTS)
    assert isinstance(fact, Ok) and fact.value == result.value
    assert loaded.for_key("pypi/other@1.0").get(FactKind.CONTENTS) == Failed("artifact refused: x")


def test_offline_uses_the_cache_and_is_missing_without_it(
    registry: Registry, tmp_path: Path
) -> None:
    artifacts = publish(registry, "1.0", {})
    offline = InspectSettings(cache_dir=tmp_path, offline=True)
    result = contents_of(artifacts, settings=offline)
    assert isinstance(result, Missing) and "offline" in result.reason
    assert registry.hits == {}
    online = ok(contents_of(artifacts, settings=InspectSettings(cache_dir=tmp_path)))
    hits = dict(registry.hits)
    assert ok(contents_of(artifacts, settings=offline)) == online
    assert registry.hits == hits


def test_works_with_the_enrichment_http_client(registry: Registry) -> None:
    from policyengine.enrich.http import make_client
    from policyengine.enrich.settings import EnrichSettings

    artifacts = publish(registry, "1.0", {"demo_init.pth": PAYLOAD_PTH})

    async def go() -> FactResult:
        async with make_client(EnrichSettings(progress=False)) as client:
            return await inspect(client, artifacts, None)

    facts = ok(asyncio.run(go()))
    assert [p.path for r in facts.artifacts for p in r.pth_files] == [
        "demo-1.0/demo_init.pth",
        "demo_init.pth",
    ]


def test_an_unexpected_reader_error_fails_the_fact(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    import policyengine.enrich.artifacts.contents as contents_module

    def broken(*args: object) -> None:
        raise RecursionError("deeply nested input")

    monkeypatch.setattr(contents_module, "inspect_archive", broken)
    result = contents_of(publish(registry, "1.0", {}))
    assert isinstance(result, Failed)
    assert "inspection failed: RecursionError: deeply nested input" in result.error


def test_listing_cut_keeps_the_serious_findings_first() -> None:
    from policyengine.enrich.artifacts import inspect_archive

    files = {f"demo/_m{i}.so": ELF_HEAD for i in range(3)}
    files["demo/tool"] = ELF_HEAD  # no library suffix: unexpected
    filename, data = wheel("demo", "1.0", files, tag="cp311-cp311-manylinux_2_17_x86_64")
    report = inspect_archive(data, filename, "wheel", "sha256:x", ScanSettings(max_listed=2))
    assert report.binaries[0].path == "demo/tool"
    assert len(report.binaries) == 2
    assert report.skipped == ("2 more binaries not listed (limit 2)",)


def test_every_top_directory_build_file_is_inspected() -> None:
    from policyengine.enrich.artifacts import inspect_archive

    data = tar_gz(
        {
            "demo-1.0/setup.py": b"from setuptools import setup\nsetup()\n",
            "other/setup.py": b"import os\nos.system('true')\n",
        }
    )
    report = inspect_archive(data, "demo-1.0.tar.gz", "sdist", "sha256:x", ScanSettings())
    assert [(h.kind, h.path) for h in report.install_hooks] == [
        ("setup-module-call", "other/setup.py"),
        ("setup-dangerous-call", "other/setup.py"),
    ]
