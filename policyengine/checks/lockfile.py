"""PE-LOCK-001 lockfile: every manifest has a lockfile that agrees with it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import PurePosixPath

from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import undecided, unknown
from policyengine.checks.project_view import project_facts
from policyengine.model import Component, FactKind, Finding, JsonValue, Source, Status
from policyengine.model.project import LockfileFacts, ManifestFacts


class LockfileParams(CheckParams):
    """Parameters of ``lockfile``."""

    require_hashes: bool = Field(
        default=False, description="Also require a digest on every lockfile entry."
    )


def _covering(manifest: ManifestFacts, lockfiles: Iterable[LockfileFacts]) -> list[LockfileFacts]:
    """Lockfiles of the manifest's ecosystem in its directory or above (workspaces)."""
    folder = PurePosixPath(manifest.path).parent
    found = []
    for lock in lockfiles:
        lock_dir = PurePosixPath(lock.path).parent
        if lock.ecosystem == manifest.ecosystem and (
            lock_dir == folder or lock_dir in folder.parents
        ):
            found.append(lock)
    # The nearest lockfile wins: a package's own lock before a workspace root's.
    found.sort(key=lambda lock: -len(PurePosixPath(lock.path).parent.parts))
    return found[:1]


class LockfileCheck(Check):
    """Every manifest has a lockfile, and the lockfile agrees with it.

    What it checks:
        The project facts (``--project-dir``): for every manifest
        (pyproject.toml, package.json, requirements.in ...) there is a lockfile
        of the same ecosystem in its directory or a parent (a workspace root),
        and that lockfile covers the manifest: every declared dependency has an
        entry whose version satisfies the declaration. With
        ``require_hashes`` every entry must also carry a digest. One finding
        per manifest, with the manifest path as its subject. Missing project
        facts, or a manifest or lockfile that could not be read, are unknown.

    Why:
        Without a lockfile every install resolves afresh and may pick up a
        release published minutes ago; a stale lockfile means what is tested
        is not what the manifest asks for.

    Parameters:
        ``require_hashes``: require a digest on every lockfile entry
        (default false).

    Example:
        ```yaml
        - id: lockfile-present
          check: lockfile
          params:
            require_hashes: true
          severity: fail
        ```

    How to fix:
        Create or refresh the lockfile (``uv lock``, ``poetry lock``,
        ``pip-compile --generate-hashes``, ``npm install --package-lock-only``),
        commit it, and install from it in CI (``npm ci``, ``uv sync --locked``).
    """

    id = "PE-LOCK-001"
    slug = "lockfile"
    title = "Every manifest has a lockfile that agrees with it"
    needs = (FactKind.PROJECT,)
    level = "document"
    params_model = LockfileParams

    def check_document(
        self, params: CheckParams, context: CheckContext
    ) -> Iterable[tuple[Component | None, Finding]]:
        """One finding per manifest; unknown without project facts."""
        assert isinstance(params, LockfileParams)
        found = project_facts(context.evidence)
        if not isinstance(found, tuple):
            yield None, unknown(FactKind.PROJECT, found, "so lockfiles cannot be judged")
            return
        project, source = found
        if not project.manifests:
            yield (
                None,
                undecided(
                    FactKind.PROJECT,
                    f"no manifest was found in {project.directory}, so there is nothing to "
                    "compare a lockfile with",
                    "Pass the directory holding pyproject.toml / package.json with --project-dir.",
                ),
            )
            return
        for manifest in project.manifests:
            yield None, _judge(manifest, list(project.lockfiles), params, source)


def _judge(
    manifest: ManifestFacts, lockfiles: list[LockfileFacts], params: LockfileParams, source: Source
) -> Finding:
    if manifest.error:
        return _with_subject(
            undecided(
                FactKind.PROJECT,
                f"{manifest.path} could not be read ({manifest.error}), so its lockfile cannot "
                "be judged",
                f"Fix {manifest.path} so that it parses, then run the gate again.",
            ),
            manifest.path,
        )
    covering = _covering(manifest, lockfiles)
    if not covering:
        return Finding(
            status=Status.FAIL,
            message=f"{manifest.path} has no {manifest.ecosystem} lockfile",
            observed={"manifest": manifest.path, "lockfile": None},
            expected={"lockfile": f"a {manifest.ecosystem} lockfile covering {manifest.path}"},
            sources=(source,),
            remediation=(
                f"Create a lockfile for {manifest.path} (uv lock, poetry lock, pip-compile "
                "--generate-hashes, npm install --package-lock-only), commit it and install "
                "from it in CI."
            ),
            subject=manifest.path,
        )
    lock = covering[0]
    if lock.error:
        return _with_subject(
            undecided(
                FactKind.PROJECT,
                f"{lock.path} could not be read ({lock.error}), so it is unknown whether it "
                f"agrees with {manifest.path}",
                f"Regenerate {lock.path} with its tool and commit it.",
            ),
            manifest.path,
        )
    observed: dict[str, JsonValue] = {"manifest": manifest.path, "lockfile": lock.path}
    problems: list[str] = []
    if lock.missing:
        observed["missing"] = list[JsonValue](lock.missing)
        problems.append(f"no entry for {', '.join(lock.missing)}")
    if lock.disagreeing:
        observed["disagreeing"] = [
            {"name": d.name, "declared": d.declared, "locked": d.locked} for d in lock.disagreeing
        ]
        problems.append(
            "locked versions do not satisfy the declaration: "
            + ", ".join(f"{d.name} {d.locked} vs {d.declared}" for d in lock.disagreeing)
        )
    if not lock.covers_manifest and not problems:
        problems.append(f"{lock.path} does not cover {manifest.path}")
    if params.require_hashes and lock.entries_without_hash:
        observed["entries_without_hash"] = list[JsonValue](lock.entries_without_hash)
        problems.append(f"{len(lock.entries_without_hash)} entries have no digest")
    expected: JsonValue = {
        "lockfile": f"a {manifest.ecosystem} lockfile covering {manifest.path}",
        "require_hashes": params.require_hashes,
    }
    if not problems:
        return Finding(
            status=Status.PASS,
            message=f"{lock.path} locks every dependency {manifest.path} declares",
            observed=observed,
            expected=expected,
            sources=(source,),
            subject=manifest.path,
        )
    return Finding(
        status=Status.FAIL,
        message=f"{lock.path} does not agree with {manifest.path}: " + "; ".join(problems),
        observed=observed,
        expected=expected,
        sources=(source,),
        remediation=(
            f"Refresh {lock.path} from {manifest.path} (uv lock, poetry lock, pip-compile "
            "--generate-hashes, npm install --package-lock-only) and commit it."
        ),
        subject=manifest.path,
    )


def _with_subject(finding: Finding, subject: str) -> Finding:
    return replace(finding, subject=subject)
