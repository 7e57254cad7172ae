"""The enrichment entry point: inspect a version's artifacts and compare with the previous one."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import TypeAdapter, ValidationError

from policyengine.enrich.artifacts.archive import archive_format
from policyengine.enrich.artifacts.errors import ArtifactRefused, NotCachedOffline
from policyengine.enrich.artifacts.fetch import digest_label, expected_digest, fetch_artifact
from policyengine.enrich.artifacts.filelist import artifact_kind, diff, normalise, pick_previous
from policyengine.enrich.artifacts.inspect import ScanSettings, inspect_archive
from policyengine.enrich.seal import Seal
from policyengine.model import (
    Artifact,
    ArtifactContents,
    ArtifactReport,
    Artifacts,
    FactResult,
    Failed,
    Missing,
    Ok,
    Source,
)

MiB = 1024 * 1024
INSPECTOR_VERSION = "4"
"""Bumped whenever the rules change, so cached reports from older rules are not reused."""

_REPORT = TypeAdapter(ArtifactReport)


@dataclass(frozen=True, slots=True)
class InspectSettings:
    """Limits and places for artifact inspection.

    ``max_bytes`` caps each download; ``max_artifacts`` caps how many files of
    one version are inspected (sdist first, then pure wheels, then Linux
    x86-64 wheels, then the rest); the others are named in ``not_inspected``.
    ``cache_dir`` holds verified downloads and reports, one file per digest;
    ``offline`` answers from it only (uncached artifacts make the fact missing).
    ``seal`` seals each stored report to the artifact digest and the inspector's
    rules it was derived from; without one, reports are neither stored nor reused.
    ``total_timeout`` bounds each download's whole time (seconds; None: unbounded).
    """

    max_bytes: int = 256 * MiB
    max_artifacts: int = 4
    cache_dir: Path | None = None
    offline: bool = False
    scan: ScanSettings = field(default_factory=ScanSettings)
    seal: Seal | None = field(default=None, compare=False, repr=False)
    total_timeout: float | None = None


def _preference(artifact: Artifact) -> tuple[int, str]:
    kind = artifact_kind(artifact)
    name = artifact.filename.lower()
    if archive_format(artifact.filename) is None:
        rank = 4
    elif kind in {"sdist", "npm"}:
        rank = 0
    elif name.endswith("-none-any.whl"):
        rank = 1
    elif "manylinux" in name and "x86_64" in name:
        rank = 2
    else:
        rank = 3
    return rank, artifact.filename


def select(artifacts: Artifacts, limit: int) -> tuple[list[Artifact], list[str]]:
    """(files to inspect, names of the files left out and why)."""
    chosen: list[Artifact] = []
    left_out: list[str] = []
    for artifact in sorted(artifacts.files, key=_preference):
        if archive_format(artifact.filename) is None:
            left_out.append(f"{artifact.filename}: not a zip or tar archive")
        elif len(chosen) >= limit:
            left_out.append(f"{artifact.filename}: beyond the limit of {limit} files per version")
        else:
            chosen.append(artifact)
    return chosen, left_out


def _settings_key(settings: InspectSettings) -> str:
    scan = settings.scan
    text = f"{INSPECTOR_VERSION}|{scan.limits}|{scan.scan_max_bytes}|{scan.blob_min}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _report_path(settings: InspectSettings, alg: str, value: str) -> Path | None:
    if settings.cache_dir is None:
        return None
    return settings.cache_dir / "reports" / f"{alg}-{value}-{_settings_key(settings)}.json"


def _load_report(
    path: Path | None, settings: InspectSettings, artifact: str
) -> ArtifactReport | None:
    """The cached report for the artifact digest ``artifact``, if its seal verifies.

    A report is a derivative: it names the artifact digest and the inspector's rules
    it was derived from, and is sealed over both with its own bytes. Anything else
    (edited, moved to another digest's name, written by older rules or another
    machine's key) is deleted and the artifact is inspected again.
    """
    if path is None or settings.seal is None:
        return None
    try:
        envelope = json.loads(path.read_bytes())
        body = envelope["report"]
        trusted = (
            envelope["artifact"] == artifact
            and envelope["inspector"] == _settings_key(settings)
            and settings.seal.verify(envelope["seal"], artifact, _settings_key(settings), body)
        )
        report = _REPORT.validate_json(body) if trusted else None
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, ValidationError, RecursionError):
        report = None
    if report is None or report.digest != artifact:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return report


def _store_report(
    path: Path | None, settings: InspectSettings, artifact: str, report: ArtifactReport
) -> None:
    if path is None or settings.seal is None:
        return
    body = _REPORT.dump_json(report).decode()
    inspector = _settings_key(settings)
    envelope = {
        "artifact": artifact,
        "inspector": inspector,
        "seal": settings.seal.of(artifact, inspector, body),
        "report": body,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps(envelope).encode())
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


async def inspect_artifact(
    client: httpx.AsyncClient, artifact: Artifact, settings: InspectSettings
) -> ArtifactReport:
    """Fetch, verify and inspect one artifact; ``ArtifactRefused`` with the reason otherwise."""
    alg, value = expected_digest(artifact)
    cache_file = _report_path(settings, alg, value)
    label = digest_label(alg, value)
    cached = _load_report(cache_file, settings, label)
    if cached is not None and cached.filename == artifact.filename:
        return cached
    data = await fetch_artifact(
        client,
        artifact,
        max_bytes=settings.max_bytes,
        cache_dir=settings.cache_dir,
        offline=settings.offline,
        total_timeout=settings.total_timeout,
    )
    kind = artifact_kind(artifact)
    try:
        # The archive work is CPU-bound: keep the event loop free for downloads.
        report = await asyncio.to_thread(
            inspect_archive, data, artifact.filename, kind, label, settings.scan
        )
    except ArtifactRefused as exc:
        raise ArtifactRefused(f"{artifact.filename}: {exc}") from exc
    except Exception as exc:
        # A reader bug on a strange archive must not end the enrichment, and
        # must not pass either: the artifact counts as refused.
        raise ArtifactRefused(
            f"{artifact.filename}: inspection failed: {type(exc).__name__}: {exc}"
        ) from exc
    _store_report(cache_file, settings, label, report)
    return report


async def _inspect_all(
    client: httpx.AsyncClient, files: list[Artifact], settings: InspectSettings
) -> list[ArtifactReport]:
    # One at a time: each body is held in memory while it is inspected.
    return [await inspect_artifact(client, artifact, settings) for artifact in files]


async def inspect_contents(
    client: httpx.AsyncClient,
    artifacts: Artifacts,
    previous: Artifacts | None,
    settings: InspectSettings | None = None,
) -> FactResult:
    """The ``CONTENTS`` fact for a version, compared with ``previous`` when given.

    ``Failed`` when any selected artifact of the version is refused (digest
    mismatch, too large, unsafe or corrupt archive): a file that could not be
    read is never reported clean. A failure on the previous release only
    costs the comparison, recorded in ``previous_error``.
    """
    settings = settings or InspectSettings()
    if not artifacts.files:
        return Missing(f"the registry lists no files for version {artifacts.version}")
    chosen, left_out = select(artifacts, settings.max_artifacts)
    if not chosen:
        return Missing("no inspectable archive among the version's files: " + "; ".join(left_out))
    try:
        reports = await _inspect_all(client, chosen, settings)
    except NotCachedOffline as exc:
        return Missing(str(exc))
    except ArtifactRefused as exc:
        return Failed(f"artifact refused: {exc}")
    previous_error: str | None = None
    compared: list[ArtifactReport] = list(reports)
    if previous is not None and previous.files:
        compared, previous_error = await _compare(client, chosen, reports, previous, settings)
    elif previous is not None:
        previous_error = f"the registry lists no files for version {previous.version}"
    added = sorted({name for r in compared for name in r.added_files})
    removed = sorted({name for r in compared for name in r.removed_files})
    contents = ArtifactContents(
        version=artifacts.version,
        artifacts=tuple(compared),
        previous_version=previous.version if previous is not None else None,
        added_files=tuple(added),
        removed_files=tuple(removed),
        previous_error=previous_error,
        not_inspected=tuple(left_out),
    )
    first = chosen[0]
    source = Source(
        name="artifacts",
        url=first.url,
        fetched_at=datetime.now(UTC),
        digest=reports[0].digest,
    )
    return Ok(contents, source)


async def _compare(
    client: httpx.AsyncClient,
    chosen: list[Artifact],
    reports: list[ArtifactReport],
    previous: Artifacts,
    settings: InspectSettings,
) -> tuple[list[ArtifactReport], str | None]:
    """Reports with ``added_files``/``removed_files`` filled, and the error if any."""
    candidates = [(a, artifact_kind(a)) for a in previous.files if archive_format(a.filename)]
    seen: dict[str, ArtifactReport] = {}
    updated: list[ArtifactReport] = []
    errors: list[str] = []
    for artifact, report in zip(chosen, reports, strict=True):
        match = pick_previous(artifact, report.kind, candidates)
        if match is None:
            errors.append(f"version {previous.version} has no {report.kind} to compare with")
            updated.append(report)
            continue
        try:
            old = seen.get(match.filename) or await inspect_artifact(client, match, settings)
        except ArtifactRefused as exc:
            errors.append(f"previous release: {exc}")
            updated.append(report)
            continue
        seen[match.filename] = old
        added, removed = diff(report, old)
        updated.append(
            _with_diff(report, match.filename, tuple(added), tuple(removed)),
        )
    return updated, "; ".join(errors) or None


def _with_diff(
    report: ArtifactReport, compared_with: str, added: tuple[str, ...], removed: tuple[str, ...]
) -> ArtifactReport:
    """The report with its comparison, every finding in a new file flagged ``new_file``."""
    new = set(added)

    def is_new(path: str) -> bool:
        return normalise(path, report.kind) in new

    return replace(
        report,
        compared_with=compared_with,
        added_files=added,
        removed_files=removed,
        pth_files=tuple(replace(p, new_file=is_new(p.path)) for p in report.pth_files),
        install_hooks=tuple(replace(m, new_file=is_new(m.path)) for m in report.install_hooks),
        binaries=tuple(replace(b, new_file=is_new(b.path)) for b in report.binaries),
        suspicious=tuple(replace(m, new_file=is_new(m.path)) for m in report.suspicious),
    )
