"""Offline verification of PEP 740 attestations with pypi-attestations (sigstore-python).

Each attestation is checked as pypi-attestations does it for PyPI: the Sigstore bundle's
signature and its transparency-log entry, the signing certificate's identity against the
Trusted Publisher the provenance names (for GitHub: the repository and the workflow), and
the statement's subject against the file's name and its sha256 as the registry lists it.

Offline: ``offline=True`` makes sigstore-python use the trust root it ships (or the one
in its user cache, ``~/.cache/sigstore-python``) without a TUF refresh, as the hosts that
serve TUF updates are not reachable from every gate. A trust root older than a key
rotation cannot verify attestations signed after it: that is reported as "read, not
verified" with sigstore's reason, never as a forged identity. Without pypi-attestations
installed, identities are read, not verified, and the result says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

NOT_INSTALLED = "read, not verified: pypi-attestations is not installed"


def verify_file(
    publisher: Mapping[str, Any],
    attestations: Sequence[object],
    filename: str,
    sha256: str | None,
) -> tuple[bool, str]:
    """Whether every attestation of ``publisher`` for the file verifies, and how (or why not)."""
    try:
        # Imported here: sigstore and its dependencies take ~0.5 s to import, and only
        # enrichment of PyPI components with provenance needs them.
        from pydantic import TypeAdapter, ValidationError
        from pypi_attestations import (
            Attestation,
            AttestationError,
            Distribution,
            Publisher,
        )
    except ImportError:
        return False, NOT_INSTALLED
    if not sha256:
        return False, f"read, not verified: the registry lists no sha256 for {filename}"
    if not attestations:
        return False, "read, not verified: the bundle holds no attestation"
    try:
        identity: Any = TypeAdapter(Publisher).validate_python(dict(publisher))
    except ValidationError:
        kind = publisher.get("kind")
        return False, f"read, not verified: pypi-attestations cannot verify a {kind} publisher"
    quiet = logging.getLogger("sigstore")
    level = quiet.level
    # sigstore warns on every offline load ("updates will not be performed"): said once
    # in the result instead.
    quiet.setLevel(logging.ERROR)
    try:
        dist = Distribution(name=filename, digest=sha256)
        for raw in attestations:
            Attestation.model_validate(raw).verify(identity, dist, offline=True)
    except (AttestationError, ValidationError, ValueError) as exc:
        return False, f"read, not verified: {str(exc)[:300]}"
    except Exception as exc:
        return False, f"read, not verified: {type(exc).__name__}: {str(exc)[:300]}"
    finally:
        quiet.setLevel(level)
    count = len(attestations)
    return True, (
        f"verified offline: {count} attestation{'s' if count != 1 else ''} against "
        f"{filename} (sha256) and sigstore-python's offline trust root"
    )
