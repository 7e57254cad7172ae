"""Real generator output: `npm sbom --sbom-format spdx` (fixtures/generated/README-spdx.md)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from policyengine.ingest import read_input
from policyengine.model import coverage_of

GENERATED = Path(__file__).resolve().parent.parent / "fixtures" / "generated"
NPM_SBOM = GENERATED / "npm-spdx-is-number-sindresorhus-is.spdx.json"
NPM_LOCK = GENERATED / "npm-spdx-package-lock.json"

ROOT = "SPDXRef-Package-npm-spdx-proj-1.0.0"
IS_NUMBER = "SPDXRef-Package-is-number-7.0.0"
SCOPED = "SPDXRef-Package-sindresorhus.is-4.6.0"


def _lock_sha512(name: str) -> str:
    lock = json.loads(NPM_LOCK.read_text())
    integrity = lock["packages"][f"node_modules/{name}"]["integrity"]
    alg, _, b64 = integrity.partition("-")
    assert alg == "sha512"
    return base64.b64decode(b64).hex()


def test_npm_sbom_components() -> None:
    sbom = read_input(NPM_SBOM)
    assert (sbom.format, sbom.spec_version) == ("spdx", "2.3")
    assert len(sbom.components) == 3
    by_ref = {c.ref: c for c in sbom.components}
    assert set(by_ref) == {ROOT, IS_NUMBER, SCOPED}
    assert [(c.purl, c.ecosystem, c.name, c.version) for c in sbom.components] == [
        ("pkg:npm/npm-spdx-proj@1.0.0", "npm", "npm-spdx-proj", "1.0.0"),
        ("pkg:npm/%40sindresorhus/is@4.6.0", "npm", "@sindresorhus/is", "4.6.0"),
        ("pkg:npm/is-number@7.0.0", "npm", "is-number", "7.0.0"),
    ]
    assert coverage_of(sbom.components).identified == 3


def test_npm_sbom_hashes_match_the_lockfile_integrity() -> None:
    by_ref = {c.ref: c for c in read_input(NPM_SBOM).components}
    assert [(h.alg, h.value) for h in by_ref[IS_NUMBER].hashes] == [
        ("sha512", _lock_sha512("is-number"))
    ]
    assert [(h.alg, h.value) for h in by_ref[SCOPED].hashes] == [
        ("sha512", _lock_sha512("@sindresorhus/is"))
    ]
    assert by_ref[IS_NUMBER].hashes[0].value.startswith("e350a27e483a7bc4")
    assert by_ref[ROOT].hashes == ()


def test_npm_sbom_graph_and_metadata() -> None:
    sbom = read_input(NPM_SBOM)
    by_ref = {c.ref: c for c in sbom.components}
    assert sbom.roots == (ROOT,)
    # npm writes "<dep> DEPENDENCY_OF <project>": both are direct dependencies of the root.
    assert dict(sbom.dependencies) == {ROOT: (SCOPED, IS_NUMBER)}
    assert by_ref[IS_NUMBER].direct is True
    assert by_ref[SCOPED].direct is True
    assert by_ref[ROOT].direct is None  # the described project is not a dependency
    assert by_ref[IS_NUMBER].licenses == "MIT"
    assert by_ref[ROOT].licenses == "ISC"
    assert by_ref[ROOT].type == "library"
    assert by_ref[IS_NUMBER].location is not None
    assert by_ref[IS_NUMBER].location.pointer == "/packages/2"
    assert sbom.metadata.tools == ("npm/cli-11.19.1",)
    assert sbom.metadata.timestamp == "2026-11-28T08:37:32.681Z"
    assert sbom.metadata.subject == "npm-spdx-proj@1.0.0"


def test_inspect_json_of_the_npm_sbom(run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli("inspect", str(NPM_SBOM), "--format", "json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["format"] == "spdx"
    assert report["coverage"]["total"] == 3
    assert report["coverage"]["identified"] == 3
    assert sorted(c["purl"] for c in report["components"]) == [
        "pkg:npm/%40sindresorhus/is@4.6.0",
        "pkg:npm/is-number@7.0.0",
        "pkg:npm/npm-spdx-proj@1.0.0",
    ]
