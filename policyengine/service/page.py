"""The read-only page for people: releases, a release's verdict, and "affected by" search.

Server-rendered HTML (Jinja2 templates shipped in the package, autoescaping on: every
string from a stored verdict came from an SBOM or a registry and is untrusted), one plain
stylesheet, no JavaScript, and a Content-Security-Policy that allows nothing else.

A browser cannot attach a bearer header to a link it follows, so the page takes the token
either as ``Authorization: Bearer`` (scripts, curl) or from a cookie set by its login form.
The cookie holds the token itself, so any process of a stateless service can check it and a
revoked token stops working at the next request. It is ``HttpOnly`` (no script can read it),
``SameSite=Strict`` (no other site's page can make the browser send it) and ``Secure`` over
HTTPS; the login and logout forms also refuse a POST whose ``Origin`` is another site.
The page needs the ``read`` scope and shows only the releases the token may see.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from functools import partial
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from policyengine.model import PolicyEngineError
from policyengine.service import page_data
from policyengine.service.principal import Principal
from policyengine.store.store import Store

#: The cookie that carries the token for browsers.
COOKIE = "policyengine_token"

#: How long a login lasts (seconds); the token's own revocation ends it sooner.
COOKIE_MAX_AGE = 8 * 3600

#: The largest login form body read (a token is well under 1 KiB).
MAX_FORM = 4096

#: No script, no inline style, no frames, no other origin: the page is HTML and one stylesheet.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not "no-referrer": with it Chromium sends "Origin: null" on the page's own form
    # POSTs, and the origin check below could not tell them from a foreign site's.
    "Referrer-Policy": "same-origin",
    # Verdicts are behind a token: no shared cache may keep them.
    "Cache-Control": "no-store",
}

Authenticate = Callable[[str], Principal | None]
Handler = Callable[[Request], Awaitable[Response]]


def environment() -> jinja2.Environment:
    """The page's templates, autoescaped (``StrictUndefined``: a misspelt name is an error)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("policyengine.service", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["outcome_class"] = page_data.outcome_class
    env.globals["stamp"] = page_data.stamp
    env.filters["release_path"] = release_path
    return env


def release_path(name: str, version: str) -> str:
    """The page path of a release below the page's root, percent-encoded."""
    return "/releases/" + quote(f"{name}@{version}", safe="@+~")


def page_routes(store: Store, authenticate: Authenticate) -> list[BaseRoute]:
    """The page's routes over ``store``; ``authenticate`` maps a raw token to its holder.

    They work at the root of an app or inside a ``Mount`` (links are made from the
    request's ``root_path``), and read the store in the thread pool.
    """
    page = _Page(store, authenticate, environment())
    return [
        Route("/", page.index, methods=["GET"], name="page-index"),
        Route("/releases/{release:path}", page.release, methods=["GET"], name="page-release"),
        Route("/affected", page.affected, methods=["GET"], name="page-affected"),
        Route("/login", page.login, methods=["GET", "POST"], name="page-login"),
        Route("/logout", page.logout, methods=["POST"], name="page-logout"),
        Route("/page.css", page.stylesheet, methods=["GET"], name="page-css"),
    ]


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


class _Page:
    def __init__(self, store: Store, authenticate: Authenticate, env: jinja2.Environment) -> None:
        self.store = store
        self.authenticate = authenticate
        self.env = env
        self.css = files("policyengine.service").joinpath("static/page.css").read_bytes()

    # --- responses -----------------------------------------------------------------------

    def html(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        body = self.env.get_template(template).render(base=_base(request), **context)
        return Response(body, status, SECURITY_HEADERS, media_type="text/html")

    def login_form(
        self, request: Request, status: int, problem: str | None = None, *, bearer: bool = False
    ) -> Response:
        wanted = request.url.path[len(_base(request)) :] or "/"
        if request.url.query:
            wanted += "?" + request.url.query
        response = self.html(
            request, "login.html", status, problem=problem, next=_safe_next(wanted), principal=None
        )
        if bearer:
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    # --- who is asking -------------------------------------------------------------------

    async def principal(self, request: Request) -> Principal | Response:
        """The token's holder, or the response that asks for a (better) token."""
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, raw = header.partition(" ")
            holder = None
            if scheme.lower() == "bearer" and raw.strip():
                holder = await run_in_threadpool(self.authenticate, raw.strip())
            if holder is None:
                return self.login_form(
                    request, 401, "the bearer token was not accepted", bearer=True
                )
        else:
            raw = request.cookies.get(COOKIE, "")
            if not raw:
                return self.login_form(request, 401)
            holder = await run_in_threadpool(self.authenticate, raw)
            if holder is None:
                response = self.login_form(
                    request, 401, "your token is no longer accepted (revoked?): log in again"
                )
                response.delete_cookie(COOKIE, path=_base(request) + "/")
                return response
        if not holder.allows("read"):
            return self.html(request, "forbidden.html", 403, principal=holder)
        return holder

    # --- pages ---------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        """The releases, newest first, filtered by a name prefix, a page at a time."""
        who = await self.principal(request)
        if isinstance(who, Response):
            return who
        prefix = request.query_params.get("prefix", "")[: page_data.MAX_QUERY]
        try:
            number = int(request.query_params.get("page", "1"))
        except ValueError:
            number = 1
        listing = await self._read(page_data.release_list, who, prefix, number)
        if isinstance(listing, Response):
            return listing

        def page_link(n: int) -> str:
            query = {"prefix": prefix, "page": str(n)} if prefix else {"page": str(n)}
            return "?" + urlencode(query)

        return self.html(request, "index.html", principal=who, listing=listing, page_link=page_link)

    async def release(self, request: Request) -> Response:
        """One release: its verdict (failures first), passes per rule, and its history."""
        who = await self.principal(request)
        if isinstance(who, Response):
            return who
        ref = page_data.split_release(request.path_params["release"])
        seq_text = request.query_params.get("verdict")
        seq = int(seq_text) if seq_text and seq_text.isdigit() else None
        view = None
        if ref is not None:
            found = await self._read(page_data.release_view, who, ref[0], ref[1], seq)
            if isinstance(found, Response):
                return found
            view = found
        if view is None:
            # Unknown and out of the token's reach look the same: a name is not confirmed.
            return self.html(
                request, "missing.html", 404, principal=who, asked=request.path_params["release"]
            )
        return self.html(request, "release.html", principal=who, view=view)

    async def affected(self, request: Request) -> Response:
        """The "affected by" search: which visible releases hold a package version."""
        who = await self.principal(request)
        if isinstance(who, Response):
            return who
        query = request.query_params.get("q", "")
        answer = await self._read(page_data.affected, who, query)
        if isinstance(answer, Response):
            return answer
        status = 400 if answer.problem else 200
        return self.html(request, "affected.html", status, principal=who, answer=answer)

    async def login(self, request: Request) -> Response:
        """GET: the form. POST: check the token, set the cookie, go where the user was going."""
        if request.method == "GET":
            return self.login_form(request, 200)
        if not _same_origin(request):
            return self.html(
                request,
                "login.html",
                403,
                problem="cross-site login refused",
                next="/",
                principal=None,
            )
        body = await _small_body(request)
        fields = parse_qs(body.decode("utf-8", "replace")) if body is not None else {}
        raw = (fields.get("token") or [""])[0].strip()
        target = _safe_next((fields.get("next") or ["/"])[0])
        holder = await run_in_threadpool(self.authenticate, raw) if raw else None
        if holder is None:
            return self.html(
                request,
                "login.html",
                401,
                problem="that token was not accepted",
                next=target,
                principal=None,
            )
        if not holder.allows("read"):
            return self.html(request, "forbidden.html", 403, principal=holder)
        response = RedirectResponse(_base(request) + target, 303, SECURITY_HEADERS)
        response.set_cookie(
            COOKIE,
            raw,
            max_age=COOKIE_MAX_AGE,
            path=_base(request) + "/",
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response

    async def logout(self, request: Request) -> Response:
        """Forget the cookie."""
        if not _same_origin(request):
            return Response("cross-site logout refused", 403, SECURITY_HEADERS)
        response = RedirectResponse(_base(request) + "/login", 303, SECURITY_HEADERS)
        response.delete_cookie(COOKIE, path=_base(request) + "/")
        return response

    async def stylesheet(self, request: Request) -> Response:
        """The page's one stylesheet (public: it holds no data)."""
        headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=3600"}
        return Response(self.css, 200, headers, media_type="text/css")

    async def _read(self, reader: Callable[..., Any], *args: Any) -> Any:
        """Run one blocking read of the store in the thread pool; a store error is a 503 page."""
        try:
            return await run_in_threadpool(partial(reader, self.store, *args))
        except PolicyEngineError as exc:
            return Response(
                f"the inventory cannot be read: {exc.one_line()}",
                503,
                SECURITY_HEADERS,
                media_type="text/plain",
            )


def _safe_next(target: str) -> str:
    """Where to go after logging in: a path below the page only (never another site)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _same_origin(request: Request) -> bool:
    """A POST from one of the page's own forms (browsers send ``Origin`` with every POST)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser (curl): nothing to forge
    own = f"{request.url.scheme}://{request.url.netloc}"
    return secrets.compare_digest(origin.encode(), own.encode())


async def _small_body(request: Request) -> bytes | None:
    """The login form's body, or ``None`` when it is larger than a token form can be."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return None
    return body
