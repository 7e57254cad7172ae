"""Project facts: manifests, lockfiles, pins, coverage and hashes of a directory."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from policyengine.ingest.project import project_facts
from policyengine.model import ProjectFacts, project_facts_from_json, project_facts_to_json

GENERATED = Path(__file__).resolve().parents[1] / "fixtures" / "lockfiles-generated"


def _pins(facts: ProjectFacts) -> dict[str, tuple[str, bool]]:
    return {d.name: (d.pin, d.dev) for d in facts.declared}


def test_generated_projects_are_covered() -> None:
    for folder, lock_kind in (
        ("uv", "uv.lock"),
        ("poetry", "poetry.lock"),
        ("npm", "package-lock.json"),
        ("pip-compile", "requirements.txt"),
    ):
        facts = project_facts(GENERATED / folder)
        (lock,) = facts.lockfiles
        assert lock.kind == lock_kind
        assert lock.covers_manifest, (folder, lock)
        assert lock.missing == () and lock.disagreeing == ()
        assert lock.entries_without_hash == ()
        assert lock.error is None


def test_pins_are_classified() -> None:
    assert _pins(project_facts(GENERATED / "uv")) == {
        "requests": ("exact", False),
        "click": ("range", False),
        "iniconfig": ("unpinned", True),
    }
    assert _pins(project_facts(GENERATED / "npm")) == {
        "ms": ("exact", False),
        "debug": ("range", False),
        "@sindresorhus/is": ("exact", False),
        "is-number": ("range", True),
    }


def test_missing_and_disagreeing_dependencies(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps(
            {
                "dependencies": {"ms": "2.1.3", "debug": "^5.0.0", "left-pad": "1.3.0"},
                "devDependencies": {"local": "file:../local", "gitdep": "github:a/b#main"},
            },
            indent=2,
        )
    )
    lock = json.loads((GENERATED / "npm" / "package-lock.json").read_text())
    del lock["packages"]["node_modules/is-number"]["integrity"]
    (tmp_path / "package-lock.json").write_text(json.dumps(lock, indent=2))
    facts = project_facts(tmp_path)
    (facts_lock,) = facts.lockfiles
    assert not facts_lock.covers_manifest
    assert facts_lock.missing == ("left-pad", "gitdep")
    assert [(d.name, d.declared, d.locked) for d in facts_lock.disagreeing] == [
        ("debug", "^5.0.0", "4.4.3")
    ]
    assert facts_lock.disagreeing[0].line == 4
    assert facts_lock.entries_without_hash == ("is-number@7.0.0",)
    pins = _pins(facts)
    assert pins["local"] == ("path", True) and pins["gitdep"] == ("vcs-ref", True)


def test_requirements_without_in_file_is_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "requests==2.32.3 --hash=sha256:" + "a" * 64 + "\n"
        "flask>=2\n"
        "-e git+https://github.com/a/b.git@" + "c" * 40 + "#egg=bee\n"
        "pkg @ https://example.invalid/pkg-1.0.tar.gz\n"
        "./libs/local\n"
    )
    facts = project_facts(tmp_path)
    assert facts.lockfiles == ()
    (manifest,) = facts.manifests
    pins = {d.name: (d.pin, d.hashes, d.line) for d in manifest.declared}
    assert pins["requests"] == ("exact", 1, 1)
    assert pins["flask"] == ("range", 0, 2)
    assert pins["bee"] == ("vcs-commit", 0, 3)
    assert pins["pkg"] == ("url", 0, 4)
    assert pins["./libs/local"] == ("path", 0, 5)


def test_unreadable_files_are_recorded_not_raised(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["requests==1"]\n')
    (tmp_path / "poetry.lock").write_text("[[package]]\nname = \n")
    facts = project_facts(tmp_path)
    (lock,) = facts.lockfiles
    assert not lock.covers_manifest
    assert lock.error is not None and "poetry.lock:2" in lock.error


def test_json_round_trip() -> None:
    facts = project_facts(GENERATED / "npm")
    document = json.loads(json.dumps(project_facts_to_json(facts)))
    assert project_facts_from_json(document) == facts
    changed = replace(facts, directory="elsewhere")
    assert project_facts_from_json(project_facts_to_json(changed)) != facts


def test_nested_requirement_files_are_declared_once(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r requirements-base.txt\nflask==3.0.0\n")
    (tmp_path / "requirements-base.txt").write_text("six==1.16.0\n")
    facts = project_facts(tmp_path)
    assert len(facts.manifests) == 2
    assert sorted((d.name, Path(d.manifest).name, d.line) for d in facts.declared) == [
        ("flask", "requirements.txt", 2),
        ("six", "requirements-base.txt", 1),
    ]


def test_pydantic_round_trip_for_the_evidence_bundle() -> None:
    """The bundle (pydantic) can hold ProjectFacts as they are: plain dataclasses and tuples."""
    from pydantic import TypeAdapter

    facts = project_facts(GENERATED / "uv")
    adapter = TypeAdapter(ProjectFacts)
    dumped = adapter.dump_python(facts, mode="json")
    assert dumped == json.loads(json.dumps(project_facts_to_json(facts)))
    assert adapter.validate_python(dumped) == facts
