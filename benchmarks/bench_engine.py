"""Time engine.evaluate over synthetic SBOMs: one expr rule plus the test-only checks.

Run: python -m benchmarks.bench_engine [components]
"""

from __future__ import annotations

import statistics
import sys
import time

from policyengine.engine import evaluate
from policyengine.model import FactKind
from policyengine.model.policy import Policy, Rule
from policyengine.report import render
from tests.engine.fakes import CHECKS, NOW, advisories, component, evidence, package, sbom


def main(count: int = 10_000) -> None:
    components = [component(f"pkg{i}", f"1.{i % 7}.0") for i in range(count)]
    facts = evidence(
        {
            c.key: {
                FactKind.PACKAGE: package("archived" if i % 97 == 0 else None),
                FactKind.ADVISORIES: advisories(*(["A-1"] if i % 50 == 0 else [])),
            }
            for i, c in enumerate(components)
        }
    )
    document = sbom(*components)
    variants = {
        "expr only": (Rule(id="e", check="expr", params={"expr": 'component.name == "pkg7"'}),),
        "3 python checks": (
            Rule(id="s", check="fake-status"),
            Rule(id="a", check="fake-advisories"),
            Rule(id="d", check="fake-doc"),
        ),
    }
    for label, rules in variants.items():
        policy = Policy(name="bench", rules=rules)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            verdict = evaluate(document, facts, policy, NOW, checks=CHECKS)
            times.append(time.perf_counter() - start)
        per = statistics.median(times) / (count * len(rules)) * 1e6
        print(
            f"{label:16} {count} components: median {statistics.median(times):.3f} s "
            f"({per:.1f} µs per rule x component, {len(verdict.results)} results)"
        )
        for fmt in ("json", "sarif", "markdown"):
            start = time.perf_counter()
            render(verdict, fmt)
            print(f"  render {fmt:9} {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
