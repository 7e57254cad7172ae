"""PE-LOCK-001 lockfile: every manifest has a lockfile that agrees with it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pydantic import Field

from policyengine.checks.base import Check, CheckContext, CheckParams
from policyengine.checks.common import undecided, unknown
from policyengine.checks.project_view import covering_lock, project_facts
from policyengine.model import Component, FactKind, Finding, JsonValue, Source, Status
from policyengine.model.project import LockfileFacts, ManifestFacts


class LockfileParams(CheckParams):
    """Parameters of ``lockfile``."""

    require_hashes: bool = Field(
        default=False, description="Also require a digest on every lockfile entry."
    )


class LockfileCheck(Check):
    """Every manifest has a lockfile, and the lockfile agrees with it.

    What it checks:
        The project facts (``--project-dir``): for every manifest
        (pyproject.toml, package.json, Pipfile, requirements.in ...) there is
        a lockfile that locks it (uv.lock, poetry.lock, pdm.lock, pylock.toml,
        Pipfile.lock, package-lock.json, npm-shrinkwrap.json, yarn.lock,
        pnpm-lock.yaml, or a requirements lock), and that lockfile agrees with
        it: every declared dependency has an entry whose version satisfies the
        declaration (PEP 440 specifiers read by ``packaging``, npm ranges by
        ``node-semver``). With ``require_hashes`` every entry must also carry a
        digest. One finding per manifest, with the manifest path as its
        subject. Missing project facts, or a manifest or lockfile that could
        not be read, are unknown.

        pip has no lockfile format of its own: a requirements file in which
        every line names one release (``==`` versions, optionally with
        ``--hash``; full-commit VCS links; local paths) is a lock, which is what
        ``pip freeze``, ``pip-compile`` and ``uv pip compile`` write. It locks
        the files its pip-compile / ``uv pip compile`` header names (so
        ``pip-compile pyproject.toml`` passes once, for pyproject.toml), the
        ``X.in`` beside an ``X.txt``, else a pyproject.toml with no lockfile of
        its own, else only itself (a ``pip freeze`` file passes as its own
        lock). A requirements file with any range (``requests>=2``) is a
        manifest and still needs a lock.

        What it ignores, and why: a requirements lock is compiled for one
        interpreter and platform, so a declaration that is optional (an
        extra), development-only or guarded by an environment marker may be
        absent from it; when it is present it must still agree. A hand-written
        requirements file that pins only its direct dependencies with ``==``
        cannot be told from a full lock without resolving, and is taken for
        one: every line still names one release. Local path dependencies (the
        project's own code) need no entry.

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
    lock = covering_lock(manifest.path, manifest.ecosystem, lockfiles)
    if lock is None:
        return Finding(
            status=Status.FAIL,
            message=f"{manifest.path} has no {manifest.ecosystem} lockfile",
            observed={"manifest": manifest.path, "lockfile": None},
            expected={"lockfile": f"a {manifest.ecosystem} lockfile covering {manifest.path}"},
            sources=(source,),
            remediation=(
                f"Create a lockfile for {manifest.path} (uv lock, poetry lock, pip-compile "
                "--generate-hashes, npm install --package-lock-only), commit it and install "
                "from it in CI. A requirements file is a lock when every line pins one "
                "version with == (pip freeze, pip-compile, uv pip compile write such files)."
            ),
            subject=manifest.path,
        )
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
            message=(
                f"{lock.path} pins every requirement to one version, so it is its own lockfile"
                if lock.path == manifest.path
                else f"{lock.path} locks every dependency {manifest.path} declares"
            ),
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
