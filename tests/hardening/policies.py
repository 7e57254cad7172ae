"""Policies the hardening tests share."""

FAIL_CLOSED = """\
apiVersion: policyengine/v1
kind: Policy
metadata: {name: fail-closed}
settings: {on_missing_evidence: fail}
rules:
  - id: listed
    check: expr
    params: {expr: '!facts.releases.listed', message: the registry no longer lists it}
    severity: fail
"""
"""One rule that needs release facts, fail-closed: missing evidence must give exit 4."""
