"""evaluate(sbom, evidence, policy, now) -> Verdict: pure and deterministic (issue 5)."""
