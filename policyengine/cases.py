"""``policyengine policy test``: run check case folders and compare with what they expect.

A case folder (docs/policy.md, "Testing policies") holds one input (``sbom.cdx.json`` or a file
whose name starts with ``input`` or ``sbom``), ``evidence.json`` (optional),
``policy.yaml`` and ``expected.yaml``. Like ``cli.py`` this module wires every
stage together (ingest, evidence bundle, policy, engine), so it sits beside it
at the top of the package; ``run_case`` is importable for parametrised tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from policyengine.checks import registry
from policyengine.checks.base import Check
from policyengine.engine import evaluate
from policyengine.model import Evidence, PolicyEngineError, PolicyError, Position, Sbom
from policyengine.model.verdict import Verdict
from policyengine.policy.loader import load_policy
from policyengine.policy.selectors import purl_key
from policyengine.policy.yamlsafe import load_yaml

Reader = Callable[[Path], Sbom]
EvidenceLoader = Callable[[Path], Evidence]

OUTCOMES = ("pass", "warn", "fail", "incomplete")
RESULT_OUTCOMES = ("pass", "fail", "warn", "info", "waived", "unknown", "error")


@dataclass(frozen=True)
class CaseResult:
    """What one case folder gave: whether it met its expectations, and why not."""

    folder: str
    passed: bool
    problems: tuple[str, ...] = ()
    verdict: Verdict | None = None
    checks: tuple[str, ...] = ()
    """The check slugs the case's policy exercises."""
    outcomes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per check slug, the result outcomes the case expects (its coverage)."""
    rules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per rule (``defining-file rule-id``), the outcomes the case expects."""


def find_cases(paths: Iterable[str | Path]) -> list[Path]:
    """Case folders under ``paths`` (folders holding ``expected.yaml``), sorted."""
    found: set[Path] = set()
    for given in paths:
        path = Path(given)
        if (path / "expected.yaml").is_file():
            found.add(path)
        elif path.is_dir():
            found.update(p.parent for p in path.rglob("expected.yaml"))
    return sorted(found)


def input_file(folder: Path) -> Path:
    """The case's one input file; PolicyEngineError when there is none or several."""
    candidates = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and (p.name == "sbom.cdx.json" or p.name.startswith(("input", "sbom")))
    )
    if len(candidates) != 1:
        names = ", ".join(p.name for p in candidates) or "none"
        raise PolicyEngineError(
            f"{folder}: expected exactly one input file (sbom.cdx.json, input*, sbom*), "
            f"found {names}"
        )
    return candidates[0]


def _default_reader(path: Path) -> Sbom:
    from policyengine.ingest import read_input

    return read_input(path)


def _default_evidence(path: Path) -> Evidence:
    return bundle_loader()(path)


def bundle_loader() -> EvidenceLoader:
    """``policyengine.enrich.bundle.load_bundle`` (the evidence bundle reader, docs/evidence.md)."""
    from policyengine.enrich.bundle import load_bundle

    loader: EvidenceLoader = load_bundle
    return loader


def run_case(
    folder: str | Path,
    *,
    checks: Sequence[type[Check]] | None = None,
    read: Reader | None = None,
    load_evidence: EvidenceLoader | None = None,
) -> CaseResult:
    """Run one case folder; never raises for a broken case, it reports it as problems."""
    path = Path(folder)
    available = registry.CHECKS if checks is None else checks
    try:
        sbom = (read or _default_reader)(input_file(path))
        evidence_path = path / "evidence.json"
        evidence = (
            (load_evidence or _default_evidence)(evidence_path)
            if evidence_path.is_file()
            else Evidence()
        )
        policy = load_policy(path / "policy.yaml", checks=available)
        expected = _expected(path / "expected.yaml")
    except PolicyEngineError as exc:
        return CaseResult(str(path), False, (exc.one_line(),))
    verdict = evaluate(sbom, evidence, policy, expected["now"], checks=available)
    problems = list(_compare(verdict, expected))
    slugs = tuple(sorted({r.check for r in policy.rules}))
    rule_check = {r.id: r.check for r in policy.rules}
    outcomes: dict[str, set[str]] = {}
    for item in expected["results"]:
        check = rule_check.get(item["rule"])
        if check:
            outcomes.setdefault(check, set()).add(item["outcome"])
    # Rules are named by the file that defines them, so that the rules of a shared
    # (e.g. shipped) policy add up across the cases that extend it.
    names = {
        r.id: f"{_short((r.source or policy.name).rsplit(':', 1)[0])} {r.id}" for r in policy.rules
    }
    by_rule: dict[str, set[str]] = {name: set() for name in names.values()}
    for item in expected["results"]:
        name = names.get(item["rule"], f"{policy.name} {item['rule']}")
        by_rule.setdefault(name, set()).add(item["outcome"])
    return CaseResult(
        str(path),
        not problems,
        tuple(problems),
        verdict,
        slugs,
        {k: tuple(sorted(v)) for k, v in outcomes.items()},
        {k: tuple(sorted(v)) for k, v in by_rule.items()},
    )


def _short(file: str) -> str:
    """``file`` relative to the working folder when it lies inside it."""
    try:
        return str(Path(file).relative_to(Path.cwd()))
    except ValueError:
        return file


def _expected(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(
            f"cannot read expected.yaml: {exc.strerror}", position=Position(str(path))
        ) from None
    located = load_yaml(text, str(path))
    data = located.data
    if not isinstance(data, dict):
        raise PolicyError("expected.yaml is a mapping", position=located.position(()))
    unknown = set(data) - {"now", "outcome", "results"}
    if unknown:
        key = sorted(unknown)[0]
        raise PolicyError(
            f"unknown key {key!r} in expected.yaml",
            position=located.position((key,), key=True),
            hint="allowed keys: now, outcome, results",
        )
    now = data.get("now")
    if isinstance(now, str):
        try:
            now = datetime.fromisoformat(now)
        except ValueError:
            now = None
    if not isinstance(now, datetime):
        raise PolicyError(
            "`now` must be an RFC 3339 time (e.g. 2026-03-24T18:00:00Z)",
            position=located.position(("now",)),
        )
    outcome = data.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise PolicyError(
            f"`outcome` must be one of {', '.join(OUTCOMES)}",
            position=located.position(("outcome",)),
        )
    results = data.get("results") or []
    if not isinstance(results, list):
        raise PolicyError("`results` is a list", position=located.position(("results",)))
    for index, item in enumerate(results):
        where = ("results", index)
        if not isinstance(item, dict) or set(item) - {"rule", "component", "outcome"}:
            raise PolicyError(
                "a result has `rule`, `component` and `outcome` only",
                position=located.position(where),
            )
        if item.get("outcome") not in RESULT_OUTCOMES or not isinstance(item.get("rule"), str):
            raise PolicyError(
                f"a result needs `rule` and an `outcome` in {', '.join(RESULT_OUTCOMES)}",
                position=located.position(where),
            )
    return {"now": now, "outcome": outcome, "results": results}


def _compare(verdict: Verdict, expected: dict[str, Any]) -> Iterable[str]:
    if expected["outcome"] is not None and verdict.outcome != expected["outcome"]:
        yield f"outcome is {verdict.outcome}, expected {expected['outcome']}"
    for item in expected["results"]:
        want = item.get("component")
        found = [
            r
            for r in verdict.results
            if r.rule == item["rule"] and _same_component(want, r.component)
        ]
        if not any(r.outcome == item["outcome"] for r in found):
            seen = ", ".join(sorted({r.outcome for r in found})) or "no result"
            yield (
                f"rule {item['rule']} on {want or '(document)'}: expected {item['outcome']}, "
                f"got {seen}"
            )


def _same_component(want: str | None, have: Any) -> bool:
    if want is None:
        return have is None
    if have is None:
        return False
    if want in {have.purl, have.ref}:
        return True
    return have.purl is not None and purl_key(want) == purl_key(have.purl)
