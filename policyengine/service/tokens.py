"""Bearer tokens: made at random, shown once, kept as a SHA-256 digest, checked per request.

Why a plain SHA-256 and not a password hash (bcrypt, scrypt, Argon2): those are slow on
purpose so that a stolen table cannot be searched for *guessable* secrets. A token here is
256 random bits (:func:`secrets.token_urlsafe`), so there is nothing to guess: finding a
secret behind a digest is a 2**256 search however fast the hash is. A slow hash would only
cost every request tens of milliseconds of CPU (the service's scarcest resource) and open
a cheap way to load it with wrong tokens. SHA-256 also makes the digest usable as the
lookup key (one indexed equality, no per-row comparison loop whose timing depends on the
secret), which is how GitHub and PyPI keep their API tokens too.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from policyengine.model import UsageError
from policyengine.service.principal import SCOPES, Principal
from policyengine.store import Store
from policyengine.store.tokens import StoredTokens, TokenRow

PREFIX = "pe_"
"""Every secret starts with it, so secret scanners and people can tell what leaked."""


def digest_of(secret: str) -> str:
    """The stored form of a secret."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True, slots=True)
class Created:
    """A new token: its row and the secret, which is never stored nor shown again."""

    row: TokenRow
    secret: str


def create(
    store: Store, scopes: list[str], *, name: str = "", release_prefix: str | None = None
) -> Created:
    """Make a token with these scopes (at least one of :data:`SCOPES`)."""
    chosen: list[str] = []
    for scope in scopes:
        if scope not in SCOPES:
            raise UsageError(
                f"--scope {scope!r} is not a scope", hint=f"one of {', '.join(SCOPES)}"
            )
        if scope not in chosen:
            chosen.append(scope)
    if not chosen:
        raise UsageError("a token needs at least one --scope", hint=f"one of {', '.join(SCOPES)}")
    if release_prefix == "":
        raise UsageError("--release-prefix is empty", hint="leave it out for every release")
    ident = secrets.token_hex(6)
    secret = PREFIX + secrets.token_urlsafe(32)
    row = StoredTokens(store).add(
        ident,
        digest_of(secret),
        name=name or ident,
        scopes=tuple(chosen),
        release_prefix=release_prefix,
    )
    return Created(row, secret)


def principal_of(row: TokenRow) -> Principal:
    """What a token row allows."""
    return Principal(
        token_id=row.id,
        name=row.name,
        scopes=frozenset(row.scopes),
        release_prefix=row.release_prefix,
    )


def authenticator(store: Store) -> Callable[[str], Principal | None]:
    """``authenticate(raw_token)``: the Principal of an active token, else ``None``.

    Wrong, unknown and revoked tokens are alike ``None``: the caller answers 401 for all.
    """
    tokens = StoredTokens(store)

    def authenticate(raw: str) -> Principal | None:
        if not raw.startswith(PREFIX) or len(raw) > 200:
            return None
        row = tokens.by_digest(digest_of(raw))
        if row is None or not row.active:
            return None
        return principal_of(row)

    return authenticate
