"""Publisher identities across releases: provenance drops, new identities, new accounts.

Shared by ``publisher-change``, ``approved-publishers`` and ``risk-score``. Everything
here reads ``Publishers.history`` (the component's release first, then the releases
before it); a release whose provenance or uploader the registry did not say is left out
of every comparison, never read as "without".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policyengine.model import JsonValue, Publishers, ReleaseIdentity


@dataclass(frozen=True, slots=True)
class Comparison:
    """What comparing the release with the ones before it found (``change`` None: nothing)."""

    observed: dict[str, JsonValue]
    change: str | None = None
    dropped: bool = False
    expected: dict[str, JsonValue] | None = None
    """What the earlier releases lead to expect (their provenance and identities)."""


def identity_rows(history: Iterable[ReleaseIdentity]) -> list[JsonValue]:
    """The identities per release as the verdict shows them: who published what, how known."""
    rows: list[JsonValue] = []
    for release in history:
        row: dict[str, JsonValue] = {
            "version": release.version,
            "provenance": release.provenance,
            "identities": [
                {
                    "identity": i.identity,
                    "verified": i.verified,
                    "verification": i.verification,
                    "source": i.source,
                }
                for i in release.identities
            ],
        }
        if release.accounts is not None:
            row["accounts"] = list[JsonValue](release.accounts)
        if release.reason:
            row["reason"] = release.reason
        rows.append(row)
    return rows


def _names(release: ReleaseIdentity, ignore: set[str]) -> dict[str, str]:
    """The release's identities by their lower-cased spelling (GitHub names ignore case)."""
    return {
        i.identity.lower(): i.identity
        for i in release.identities
        if i.identity.lower() not in ignore
    }


def compare_provenance(publishers: Publishers, ignore: set[str]) -> Comparison | None:
    """The release's provenance against the releases before it; ``None``: not comparable.

    A drop is a release without provenance (or with files without it) where every
    earlier release whose provenance is known had it. A new identity is a Trusted
    Publisher that none of the earlier releases named.
    """
    history = publishers.history
    if not history or history[0].provenance == "unknown":
        return None
    current = history[0]
    earlier = [r for r in history[1:] if r.provenance != "unknown"]
    if not earlier:
        return None
    observed: dict[str, JsonValue] = {
        "provenance": {r.version: r.provenance for r in history},
        "publisher_identities": identity_rows(history),
    }
    earlier_names: dict[str, str] = {}
    for release in reversed(earlier):
        earlier_names.update(_names(release, ignore))
    before = sorted(earlier_names.values())
    expected: dict[str, JsonValue] = {
        "provenance": "present" if all(r.provenance == "present" for r in earlier) else None,
        "identities": list[JsonValue](before),
    }
    if current.provenance in ("absent", "partial") and all(
        r.provenance == "present" for r in earlier
    ):
        observed["provenance_dropped"] = True
        which = "without" if current.provenance == "absent" else "partly without"
        by = f" from {', '.join(before)}" if before else ""
        versions = ", ".join(r.version for r in earlier)
        return Comparison(
            observed,
            f"provenance dropped: {current.version} was uploaded {which} provenance, where "
            f"every earlier release read ({versions}) had it{by}",
            dropped=True,
            expected=expected,
        )
    if current.provenance == "present":
        now = _names(current, ignore)
        added = sorted(name for key, name in now.items() if key not in earlier_names)
        if now and before and added:
            observed["identities_added"] = list[JsonValue](added)
            return Comparison(
                observed,
                f"published by another repository or workflow (+{', +'.join(added)}; "
                f"earlier: {', '.join(before)})",
                expected=expected,
            )
    return Comparison(observed, expected=expected)


def compare_accounts(publishers: Publishers, ignore: set[str]) -> Comparison | None:
    """The release's uploading accounts against those of the releases before it.

    ``None`` when the registry names no account for the release or for any earlier one
    (a mirror that strips npm's ``_npmUser``). A new account is one that uploaded none
    of the earlier releases read, so maintainers taking turns is not a change.
    """
    history = publishers.history
    if not history or history[0].accounts is None:
        return None
    earlier = [r for r in history[1:] if r.accounts is not None]
    if not earlier:
        return None
    now = {a.lower() for a in history[0].accounts} - ignore
    before = set().union(*({a.lower() for a in r.accounts or ()} for r in earlier)) - ignore
    added = sorted(now - before)
    observed: dict[str, JsonValue] = {
        "accounts": {r.version: list[JsonValue](r.accounts or ()) for r in [history[0], *earlier]}
    }
    if not added:
        return Comparison(observed)
    observed["accounts_added"] = list[JsonValue](added)
    versions = ", ".join(r.version for r in earlier)
    return Comparison(
        observed,
        f"new publishing account (+{', +'.join(added)}; {versions} were uploaded by "
        f"{', '.join(sorted(before))})",
    )
