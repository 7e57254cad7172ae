"""The tokens table on SQLite and PostgreSQL: digests only, revocation kept."""

from __future__ import annotations

from policyengine.service.tokens import authenticator, create, digest_of
from policyengine.store import open_store
from policyengine.store.tokens import StoredTokens


def test_a_token_is_kept_as_a_digest_and_revoked(store_url: str) -> None:
    with open_store(store_url) as store:
        made = create(store, ["check", "read", "check"], name="ci", release_prefix="team-a-")
        assert made.row.scopes == ("check", "read")
        authenticate = authenticator(store)
        principal = authenticate(made.secret)
        assert principal is not None and principal.token_id == made.row.id
        assert principal.release_prefix == "team-a-" and principal.allows("read")
        assert not principal.allows("admin") and not principal.may_see("team-b-x")
        with store.engine.connect() as conn:
            dumped = "\n".join(str(tuple(r)) for r in conn.exec_driver_sql("SELECT * FROM tokens"))
        assert made.secret not in dumped and digest_of(made.secret) in dumped
        assert authenticate(made.secret + "x") is None
        assert authenticate("not-ours") is None
        revoked = StoredTokens(store).revoke(made.row.id)
        assert revoked is not None and revoked.revoked_at is not None
        assert authenticate(made.secret) is None
        assert StoredTokens(store).revoke("nope") is None
        assert [t.id for t in StoredTokens(store).all()] == [made.row.id]
