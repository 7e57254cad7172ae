"""Project facts: manifests, lockfiles, pins, coverage and hashes of a directory."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

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


def _names(paths: tuple[str, ...]) -> list[str]:
    return [Path(p).name for p in paths]


@pytest.mark.parametrize(
    ("folder", "lock_name", "locks"),
    [
        ("pip-compile-pyproject", "requirements.txt", ["pyproject.toml"]),
        ("uv-pip-compile", "requirements.txt", ["pyproject.toml"]),
        ("pip-freeze", "requirements.txt", ["requirements.txt"]),
        ("pip-compile", "requirements.txt", ["requirements.in"]),
        ("uv", "uv.lock", ["pyproject.toml"]),
        ("poetry", "poetry.lock", ["pyproject.toml"]),
        ("pdm", "pdm.lock", ["pyproject.toml"]),
        ("pipenv", "Pipfile.lock", ["Pipfile"]),
        ("npm", "package-lock.json", ["package.json"]),
        ("npm-nested", "package-lock.json", ["package.json"]),
        ("npm-shrinkwrap", "npm-shrinkwrap.json", ["package.json"]),
        ("pnpm-nested", "pnpm-lock.yaml", ["package.json"]),
        ("yarn-v1-nested", "yarn.lock", ["package.json"]),
        ("yarn-berry", "yarn.lock", ["package.json"]),
    ],
)
def test_every_generated_layout_has_one_lock_that_covers_its_manifest(
    folder: str, lock_name: str, locks: list[str]
) -> None:
    facts = project_facts(GENERATED / folder)
    (lock,) = facts.lockfiles
    assert Path(lock.path).name == lock_name
    assert _names(lock.locks) == locks
    assert lock.covers_manifest and lock.error is None, lock
    assert [Path(m.path).name for m in facts.manifests] == locks


def test_compiled_requirements_are_not_declarations() -> None:
    facts = project_facts(GENERATED / "pip-compile-pyproject")
    assert {(d.name, d.specifier) for d in facts.declared} == {
        ("click", ">=8.1"),
        ("markdown-it-py", ">=3"),
    }
    (lock,) = facts.lockfiles
    assert {e.name: e.version for e in lock.entries} == {
        "click": "8.5.1",
        "markdown-it-py": "4.3.0",
        "mdurl": "0.1.2",
    }
    assert lock.entries_without_hash == ()


def test_a_requirements_lock_must_still_agree_with_pyproject(tmp_path: Path) -> None:
    source = GENERATED / "pip-compile-pyproject"
    pyproject = (source / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(
        pyproject.replace('"markdown-it-py>=3",', '"markdown-it-py>=5",\n  "rich>=13",')
    )
    (tmp_path / "requirements.txt").write_text((source / "requirements.txt").read_text())
    (lock,) = project_facts(tmp_path).lockfiles
    assert not lock.covers_manifest
    assert lock.missing == ("rich",)
    assert [(d.name, d.declared, d.locked) for d in lock.disagreeing] == [
        ("markdown-it-py", ">=5", "4.3.0")
    ]


def test_headerless_requirements_lock_covers_an_unlocked_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\ndependencies = [\n  "six>=1.16",\n'
        "  \"colorama>=0.4; sys_platform == 'win32'\",\n]\n"
        '[project.optional-dependencies]\ndocs = ["sphinx>=7"]\n'
    )
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    (tmp_path / "requirements-dev.txt").write_text("pytest==8.0.0\n")
    facts = project_facts(tmp_path)
    by_name = {Path(lock.path).name: lock for lock in facts.lockfiles}
    assert _names(by_name["requirements.txt"].locks) == ["pyproject.toml"]
    # An environment-specific lock may leave out marker-guarded and optional declarations.
    assert by_name["requirements.txt"].covers_manifest
    assert _names(by_name["requirements-dev.txt"].locks) == ["requirements-dev.txt"]
    assert sorted(Path(m.path).name for m in facts.manifests) == [
        "pyproject.toml",
        "requirements-dev.txt",
    ]


def test_a_dedicated_lock_keeps_pyproject_and_the_export_locks_itself(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "uv.lock"):
        (tmp_path / name).write_bytes((GENERATED / "uv" / name).read_bytes())
    (tmp_path / "requirements.txt").write_text("requests==2.32.3\nclick==8.5.1\n")
    facts = project_facts(tmp_path)
    assert {Path(lock.path).name: _names(lock.locks) for lock in facts.lockfiles} == {
        "uv.lock": ["pyproject.toml"],
        "requirements.txt": ["requirements.txt"],
    }


def test_a_requirements_file_with_a_range_stays_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\nrequests>=2\n")
    facts = project_facts(tmp_path)
    assert facts.lockfiles == ()
    assert [Path(m.path).name for m in facts.manifests] == ["requirements.txt"]


def test_poetry_constraints_are_judged_not_skipped(tmp_path: Path) -> None:
    pyproject = (GENERATED / "poetry" / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(pyproject.replace('click = "^8.1"', 'click = "^9.0"'))
    (tmp_path / "poetry.lock").write_bytes((GENERATED / "poetry" / "poetry.lock").read_bytes())
    (lock,) = project_facts(tmp_path).lockfiles
    assert [(d.name, d.declared) for d in lock.disagreeing] == [("click", "^9.0")]


def test_a_nested_copy_does_not_satisfy_the_manifest(tmp_path: Path) -> None:
    for name in ("package.json", "package-lock.json"):
        (tmp_path / name).write_bytes((GENERATED / "npm-nested" / name).read_bytes())
    package = tmp_path / "package.json"
    package.write_text(package.read_text().replace('"^5.6.2"', '"^4.1.0"'))
    (lock,) = project_facts(tmp_path).lockfiles
    # chalk 4.1.2 sits under log-symbols; the top-level chalk package.json gets is 5.6.2.
    assert [(d.name, d.declared, d.locked) for d in lock.disagreeing] == [
        ("chalk", "^4.1.0", "5.6.2")
    ]
