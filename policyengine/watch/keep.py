"""What ``check --release NAME@VERSION`` keeps: inputs, components, evidence, policy, verdict."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from policyengine.enrich import dump_bundle
from policyengine.model import Evidence, Sbom, UsageError
from policyengine.model.policy import Policy
from policyengine.model.verdict import Verdict
from policyengine.report.json import render_json_bytes
from policyengine.store import IndexedComponent, NewVerdict, Store, VerdictRow
from policyengine.watch.fingerprint import advisory_ids, registry_digest


def parse_release(text: str) -> tuple[str, str]:
    """``NAME@VERSION`` -> (name, version); a usage error when either part is empty."""
    name, sep, version = text.rpartition("@")
    if not sep or not name or not version:
        raise UsageError(
            f"--release {text!r} is not NAME@VERSION", hint="e.g. --release chat-gateway@2.4.1"
        )
    return name, version


def members(sboms: Sequence[Sbom], evidence: Evidence, bundle: bytes) -> list[IndexedComponent]:
    """The identified components of ``sboms`` with the fingerprints of their facts."""
    plain: dict[str, Any] = orjson.loads(bundle).get("components") or {}
    found: dict[tuple[str, str, str], IndexedComponent] = {}
    for sbom in sboms:
        for comp in sbom.components:
            if not comp.from_registry or comp.ecosystem is None or comp.version is None:
                continue
            key = (comp.ecosystem, comp.name, comp.version)
            if key in found:
                continue
            found[key] = IndexedComponent(
                ecosystem=comp.ecosystem,
                name=comp.name,
                version=comp.version,
                purl=comp.purl,
                advisories=advisory_ids(evidence.components.get(comp.key)),
                registry=registry_digest(plain.get(comp.key)),
            )
    return list(found.values())


def new_verdict(
    verdict: Verdict,
    policy: Policy,
    bundle: bytes,
    *,
    reason: str,
    generation: int,
    judged_at: datetime | None = None,
) -> NewVerdict:
    """The row to append for ``verdict`` (the verdict JSON is the bytes ``check`` writes)."""
    summary = json.dumps(dataclasses.asdict(verdict.summary), sort_keys=True)
    return NewVerdict(
        judged_at=judged_at or datetime.now(UTC),
        evaluated_at=verdict.evaluated_at,
        reason=reason,
        outcome=verdict.outcome,
        summary=summary,
        policy_name=policy.name,
        policy_digest=policy.digest,
        evidence_digest=verdict.evidence_digest,
        advisory_generation=generation,
        policy=policy.model_dump_json().encode(),
        evidence=bundle,
        verdict=render_json_bytes(verdict),
    )


def keep(
    store: Store,
    release: str,
    inputs: Sequence[tuple[str, bytes]],
    sboms: Sequence[Sbom],
    evidence: Evidence,
    policy: Policy,
    verdict: Verdict,
    *,
    generation: int,
) -> VerdictRow:
    """Store a judged release and append its verdict."""
    name, version = parse_release(release)
    bundle = dump_bundle(evidence)
    row = new_verdict(verdict, policy, bundle, reason="check", generation=generation)
    return store.record(name, version, inputs, members(sboms, evidence, bundle), row)
