"""Who is asking: the bearer token of a request, checked against the store's tokens."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from policyengine.service.principal import Principal
from policyengine.service.problems import Problem

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="policyengine"'}

Authenticate = Callable[[str], Principal | None]


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, or ``None``."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class Guard:
    """Answers 401 (no token, a wrong or revoked one) and 403 (a scope or release not allowed)."""

    def __init__(self, authenticate: Authenticate) -> None:
        self.authenticate = authenticate

    async def require(self, request: Request, scope: str) -> Principal:
        """The principal of the request's token if it carries ``scope``."""
        token = bearer(request)
        if token is None:
            raise Problem(
                401, "a bearer token is required (Authorization: Bearer ...)", headers=CHALLENGE
            )
        # A store query: off the event loop, as every other one.
        principal = await run_in_threadpool(self.authenticate, token)
        if principal is None:
            raise Problem(401, "the token is not valid (unknown or revoked)", headers=CHALLENGE)
        if not principal.allows(scope):
            raise Problem(403, f"the token does not carry the {scope!r} scope")
        return principal


def require_release(principal: Principal, name: str) -> None:
    """403 unless the token's release prefix covers the release ``name``."""
    if not principal.may_see(name):
        raise Problem(
            403,
            f"release {name!r} is outside this token's releases "
            f"(those starting with {principal.release_prefix!r})",
        )
