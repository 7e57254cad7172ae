"""The service's bearer tokens as the store keeps them: digests, never the secrets.

Which digest, and how a secret is made, is :mod:`policyengine.service.tokens`'s business;
here are the rows. A revoked token keeps its row (``revoked_at``), so ``tokens list``
shows it and it can never be confused with an unknown one in the logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from policyengine.store import schema as t
from policyengine.store.store import Store, _utc


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One token: its public id, a name for people, scopes, release prefix, life span."""

    id: str
    name: str
    scopes: tuple[str, ...]
    release_prefix: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether the token still opens the door."""
        return self.revoked_at is None


def _row(row: sa.Row[tuple[object, ...]]) -> TokenRow:
    m = row._mapping
    revoked = m["revoked_at"]
    return TokenRow(
        id=str(m["id"]),
        name=str(m["name"]),
        scopes=tuple(s for s in str(m["scopes"]).split(",") if s),
        release_prefix=None if m["release_prefix"] is None else str(m["release_prefix"]),
        created_at=_utc(m["created_at"]),
        revoked_at=None if revoked is None else _utc(revoked),
    )


class StoredTokens:
    """Read and write the ``tokens`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        ident: str,
        digest: str,
        *,
        name: str,
        scopes: tuple[str, ...],
        release_prefix: str | None,
    ) -> TokenRow:
        """Store a new token by the digest of its secret."""
        created = datetime.now(UTC)
        with self.store._begin() as conn:
            conn.execute(
                sa.insert(t.tokens).values(
                    id=ident,
                    name=name,
                    digest=digest,
                    scopes=",".join(scopes),
                    release_prefix=release_prefix,
                    created_at=created,
                    revoked_at=None,
                )
            )
        return TokenRow(ident, name, scopes, release_prefix, created, None)

    def by_digest(self, digest: str) -> TokenRow | None:
        """The token whose secret has this digest (revoked or not), or ``None``."""
        with self.store._read() as conn:
            row = conn.execute(sa.select(t.tokens).where(t.tokens.c.digest == digest)).first()
        return None if row is None else _row(row)

    def all(self) -> list[TokenRow]:
        """Every token, oldest first."""
        with self.store._read() as conn:
            rows = conn.execute(
                sa.select(t.tokens).order_by(t.tokens.c.created_at, t.tokens.c.id)
            ).all()
        return [_row(row) for row in rows]

    def revoke(self, ident: str) -> TokenRow | None:
        """Revoke a token (a second revoke keeps the first time); ``None`` if there is none."""
        with self.store._begin() as conn:
            conn.execute(
                sa.update(t.tokens)
                .where(t.tokens.c.id == ident, t.tokens.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
            row = conn.execute(sa.select(t.tokens).where(t.tokens.c.id == ident)).first()
        return None if row is None else _row(row)
