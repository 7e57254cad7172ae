"""Starlette or FastAPI for ``policyengine serve``: import time and per-request overhead.

Import time: a fresh interpreter importing the framework, minus one importing nothing
(medians of 5). Overhead: a trivial JSON route reading one query parameter, called
directly through ASGI (no network, no server) 5,000 times after 200 warm-up calls; the
best of 3 runs.

    python benchmarks/serve_framework.py
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from typing import Any


def import_time(module: str) -> float:
    def median_run(code: str) -> float:
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    return median_run(f"import {module}") - median_run("pass")


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def handler(request: Request) -> JSONResponse:
        return JSONResponse({"ok": request.query_params.get("x")})

    return Starlette(routes=[Route("/v1/x", handler)])


def fastapi_app() -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/v1/x")
    async def handler(x: str | None = None) -> dict[str, str | None]:
        return {"ok": x}

    return app


async def per_request(app: Any, count: int) -> float:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/x",
        "raw_path": b"/v1/x",
        "query_string": b"x=1",
        "headers": [],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Any) -> None:
        pass

    for _ in range(200):
        await app(scope, receive, send)
    start = time.perf_counter()
    for _ in range(count):
        await app(scope, receive, send)
    return (time.perf_counter() - start) / count


def main() -> None:
    for module in ("starlette.applications", "fastapi"):
        print(f"{module:24} import {import_time(module) * 1000:5.0f} ms")
    for name, make in (("starlette", starlette_app), ("fastapi", fastapi_app)):
        best = min(asyncio.run(per_request(make(), 5000)) for _ in range(3))
        print(f"{name:24} per request {best * 1e6:6.1f} us")


if __name__ == "__main__":
    main()
