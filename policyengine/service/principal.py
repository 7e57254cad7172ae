"""Who is asking: what a verified bearer token allows, shared by the API and the page."""

from __future__ import annotations

from dataclasses import dataclass

#: The scopes a token can carry: judge releases, read the inventory, administer the service.
SCOPES = ("check", "read", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """The holder of a verified token.

    ``release_prefix`` limits the token to releases whose name starts with it (a team
    sees its own releases); ``None`` means every release. ``admin`` implies the others.
    """

    token_id: str
    name: str
    scopes: frozenset[str]
    release_prefix: str | None = None

    def allows(self, scope: str) -> bool:
        """Whether the token carries ``scope`` (an admin token carries every scope)."""
        return scope in self.scopes or "admin" in self.scopes

    def may_see(self, release_name: str) -> bool:
        """Whether a release of this name is within the token's reach."""
        return self.release_prefix is None or release_name.startswith(self.release_prefix)
