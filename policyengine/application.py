"""One path for both front doors: what ``check`` does, for the CLI and the service alike.

``policyengine check`` and ``POST /v1/check`` differ in where their inputs come from (files
named on the command line, a request body) and where the report goes (stdout or ``-o``,
an HTTP answer); everything between is here: read the inputs, load the policy, gather the
project facts and the evidence, name the evidence by digest (recording it when asked),
evaluate, and keep the judged release in the inventory. The same request therefore gives
the same verdict through either door (tests/service/test_same_verdict.py).

Front doors validate their own options and build a :class:`CheckRequest`; messages for
a person (an input with no components, a source that could not be reached) go to the
request's ``warn`` callback, which the CLI prints to stderr and the service returns with
its answer.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from policyengine.ingest import DEFAULT_MAX_BYTES
from policyengine.model import Position, UsageError

if TYPE_CHECKING:
    from policyengine.enrich import EnrichSettings
    from policyengine.model import Evidence, Sbom
    from policyengine.model.policy import Policy
    from policyengine.model.verdict import ResultsMode, Verdict
    from policyengine.store import Store, VerdictRow


def _silent(_line: str) -> None:
    """Warnings nobody asked to see."""


@dataclass(frozen=True, slots=True)
class Input:
    """One SBOM or lockfile: a file to read, or bytes a client sent under a name.

    ``name`` is what the verdict's ``subject.inputs`` says and what messages name; it
    also tells lockfiles apart whose content has no signature (``requirements.txt``).
    """

    name: str
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """Everything one judgement depends on, already validated by the front door.

    ``policies`` are files or shipped names, composed in order. ``evidence_file`` judges on
    a recorded bundle (no network); ``record_file`` writes the evidence used. Project
    ``now`` is the evaluation time (``None``: the clock when evaluating). ``results`` is
    ``attention`` (schema version 2: passes counted per rule) or ``all`` (every result). Project
    facts come from ``project_dir``, else from the bundle, else from the folder of the first
    input when it is a file (``read_project``); bytes from a client have no folder.
    """

    inputs: tuple[Input, ...]
    policies: tuple[str, ...]
    settings: EnrichSettings
    now: datetime | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    validate: bool = False
    evidence_file: str | None = None
    record_file: str | None = None
    project_dir: str | None = None
    release: str | None = None
    results: ResultsMode = "attention"
    warn: Callable[[str], None] = field(default=_silent, compare=False)


@dataclass(slots=True)
class Prepared:
    """A request read and its facts gathered: what evaluation needs.

    ``raw`` holds the bytes (after gunzip) of the inputs that came as bytes, for the
    inventory; files are read again only when the release is kept, so that a 50,000-
    component run does not hold its SBOM twice.
    """

    policy: Policy
    sboms: list[Sbom]
    evidence: Evidence
    raw: list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Judged:
    """A verdict with what it was judged on, and the inventory row when it was kept."""

    verdict: Verdict
    prepared: Prepared
    kept: VerdictRow | None = None


def load_policy(policies: Sequence[str]) -> Policy:
    """Compose the named policies (files or shipped names) with the check registry."""
    from policyengine.checks import registry
    from policyengine.policy.loader import load_policy as load

    return load(list(policies), checks=registry.CHECKS)


FileReader = Callable[[str], "Sbom"]
"""Reads one input file named on the command line into an Sbom."""


def read_file(request: CheckRequest) -> FileReader:
    """The reader of input files: under the request's cap, validated when it asks."""
    from policyengine.ingest import read_input

    def read(path: str) -> Sbom:
        return read_input(path, max_bytes=request.max_bytes, validate=request.validate)

    return read


def read_inputs(
    request: CheckRequest, read: FileReader | None = None
) -> tuple[list[Sbom], list[tuple[str, bytes]]]:
    """Each input parsed, with the bytes of those that came as bytes (gunzipped).

    Files are read by ``read`` (:func:`read_file` unless the front door has its own) and
    read again only if the release is kept, as the CLI always did; client bytes are
    gunzipped under the same cap and kept for the inventory.
    """
    from policyengine.ingest import parse_bytes
    from policyengine.ingest.lockfiles.requirements import no_nested_files
    from policyengine.safeio import display_name, gunzip_capped

    read = read or read_file(request)
    sboms: list[Sbom] = []
    raw: list[tuple[str, bytes]] = []
    for given in request.inputs:
        if given.data is None:
            sboms.append(read(given.name))
            continue
        source = display_name(given.name)
        data = given.data
        if data[:2] == b"\x1f\x8b":
            data = gunzip_capped(data, source, request.max_bytes)
        elif len(data) > request.max_bytes:
            from policyengine.safeio import OverCap

            raise OverCap(
                f"the input is over the {request.max_bytes}-byte input cap",
                position=Position(source),
            )
        with no_nested_files():
            sboms.append(parse_bytes(data, source, validate=request.validate))
        raw.append((given.name, data))
    return sboms, raw


def prepare(request: CheckRequest, read: FileReader | None = None) -> Prepared:
    """Load the policy, read the inputs, gather their evidence and project facts."""
    policy = load_policy(request.policies)
    sboms, raw = read_inputs(request, read)
    for sbom in sboms:
        if not sbom.components:
            # Every component rule passes vacuously on an empty input: say so out loud.
            request.warn(
                f"{sbom.source} lists no components; the component rules have nothing to judge"
            )
    first = request.inputs[0]
    evidence = with_project_facts(
        evidence_for(request, sboms, policy),
        policy,
        sboms,
        project_dir=request.project_dir,
        first_input=first.name if first.data is None else None,
    )
    evidence = name_evidence(evidence, request.evidence_file, request.record_file)
    return Prepared(policy, sboms, evidence, raw)


def judge(request: CheckRequest, store: Store | None = None) -> Judged:
    """The whole of ``check``: prepare, evaluate, and keep the release when one is named."""
    from policyengine.engine import evaluate

    prepared = prepare(request)
    verdict = evaluate(
        prepared.sboms,
        prepared.evidence,
        prepared.policy,
        evaluation_time(request),
        results=request.results,
    )
    kept = None
    if request.release and store is not None:
        kept = keep(store, request, prepared, verdict)
    return Judged(verdict, prepared, kept)


def evaluation_time(request: CheckRequest) -> datetime:
    """The request's evaluation time, or the clock's now."""
    return request.now if request.now is not None else datetime.now(UTC)


def keep(store: Store, request: CheckRequest, prepared: Prepared, verdict: Verdict) -> VerdictRow:
    """Keep the judged release named by the request in the inventory; its new verdict row."""
    from policyengine.watch.advisory_store import advisory_source
    from policyengine.watch.keep import keep as keep_release

    assert request.release is not None
    from policyengine.ingest import read_bytes

    given = dict(prepared.raw)
    inputs = [
        (
            i.name,
            given[i.name]
            if i.data is not None
            else read_bytes(Path(i.name), max_bytes=request.max_bytes),
        )
        for i in request.inputs
    ]
    with advisory_source(store, request.settings.cache_dir) as db:
        generation = db.generation()
        return keep_release(
            store,
            request.release,
            inputs,
            prepared.sboms,
            prepared.evidence,
            prepared.policy,
            verdict,
            generation=generation,
        )


def evidence_for(request: CheckRequest, sboms: Sequence[Sbom], policy: Policy) -> Evidence:
    """The recorded bundle when one is named, else the facts the policy needs, fetched."""
    from policyengine.engine import required_facts
    from policyengine.model import Evidence

    if request.evidence_file:
        from policyengine.cases import bundle_loader

        return bundle_loader()(Path(request.evidence_file))
    needed = required_facts(policy, sboms)
    if not needed:
        return Evidence()
    from policyengine.enrich import enrich

    components = tuple(c for sbom in sboms for c in sbom.components)
    merged = dataclasses.replace(sboms[0], components=components)
    evidence = enrich(merged, request.settings, needed)
    for line in gap_warnings(evidence):
        request.warn(line)
    return evidence


def gap_warnings(evidence: Evidence) -> list[str]:
    """One line per fact kind that could not be obtained, naming the error.

    The verdict says the same per result; this line tells a person at once that a
    source was unreachable, not only that rules are unknown. When every failure of a
    kind has the same error (a host found down fails each request with one reason),
    the line says it once, and kinds failing for the same components with the same
    error share one line.
    """
    from policyengine.model import Failed

    failed: dict[str, list[tuple[str, str]]] = {}
    for key, facts in sorted(evidence.components.items()):
        for kind, fact in facts.facts.items():
            if isinstance(fact, Failed):
                failed.setdefault(kind.value, []).append((key, fact.error))
    lines: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for name, errors in sorted(failed.items()):
        first_key, first_error = errors[0]
        group: tuple[str, tuple[str, ...]]
        if len(errors) == 1:
            group = (f"{first_key}: {first_error}", (first_key,))
        elif all(error == first_error for _, error in errors):
            group = (f"all: {first_error}", tuple(key for key, _ in errors))
        else:
            group = (f"first: {first_key}: {first_error}", (name,))
        lines.setdefault(group, []).append(name)
    out = []
    for (why, _keys), names in lines.items():
        count = len(failed[names[0]])
        out.append(
            f"{', '.join(names)} facts could not be obtained for {count} "
            f"component{'s' if count != 1 else ''} ({why})"
        )
    return out


def with_project_facts(
    evidence: Evidence,
    policy: Policy,
    sboms: Sequence[Sbom],
    *,
    project_dir: str | None,
    first_input: str | None,
) -> Evidence:
    """Add the project's manifest and lockfile facts when the policy needs them.

    They come from ``project_dir``, else from the recorded bundle, else from the
    folder of the first input (``first_input``; ``None`` when the input came as bytes,
    which have no folder: the facts then stay missing). An explicit ``project_dir``
    wins over the bundle because it names the project being released now.
    """
    from policyengine.engine import required_facts
    from policyengine.model import FactKind

    if not project_dir and (
        evidence.project is not None or FactKind.PROJECT not in required_facts(policy, sboms)
    ):
        return evidence
    if not project_dir and first_input is None:
        return evidence
    from policyengine.ingest.project import project_facts
    from policyengine.model import Ok, Source

    directory = Path(project_dir or Path(str(first_input)).parent)
    if not directory.is_dir():
        raise UsageError(
            f"--project-dir {directory}: not a directory", hint="name the project's folder"
        )
    fact: Ok[object] = Ok(
        project_facts(directory),
        Source("project", url=directory.resolve().as_uri(), fetched_at=datetime.now(UTC)),
    )
    # A bundle's digest names the bundle's facts: with project facts from the folder in
    # their place, the verdict must name what it was judged on (see name_evidence).
    return dataclasses.replace(evidence, project=fact, digest=None)


def name_evidence(
    evidence: Evidence, evidence_file: str | None, record_file: str | None
) -> Evidence:
    """The evidence with its digest; written to ``record_file`` when asked.

    The verdict then names the facts it was judged on: with a record file, the sha256 of
    the file that replays it (``check --evidence FILE``); judged on a bundle, that
    file's (set when read); fetched during the run (or project facts read from the folder
    on top of a bundle) and not recorded, the digest of the facts without their
    collection times (:func:`~policyengine.enrich.bundle.facts_digest`), so facts that
    differ (a cache or registry answer edited to look clean) show as a different
    ``evidence_digest``, and the same facts fetched again as the same one.
    """
    if evidence_file and not record_file and evidence.digest is not None:
        return evidence
    from policyengine.enrich import dump_bundle

    if not record_file:
        from policyengine.enrich.bundle import facts_digest

        return dataclasses.replace(evidence, digest=facts_digest(evidence))
    data = dump_bundle(evidence)
    try:
        Path(record_file).write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {record_file}: {exc.strerror}") from None
    return dataclasses.replace(evidence, digest="sha256:" + hashlib.sha256(data).hexdigest())
