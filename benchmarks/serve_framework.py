"""Starlette vs FastAPI: import time and per-request overhead of a trivial JSON route."""
import asyncio, statistics, subprocess, sys, time

def import_time(mod):
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {mod}"], check=True)
        runs.append(time.perf_counter() - t)
    base = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        base.append(time.perf_counter() - t)
    return statistics.median(runs) - statistics.median(base)

def starlette_app():
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    async def h(request):
        return JSONResponse({"ok": request.query_params.get("x")})
    return Starlette(routes=[Route("/v1/x", h)])

def fastapi_app():
    from fastapi import FastAPI
    app = FastAPI()
    @app.get("/v1/x")
    async def h(x: str | None = None):
        return {"ok": x}
    return app

async def drive(app, n):
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/v1/x", "raw_path": b"/v1/x", "query_string": b"x=1",
             "headers": [], "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "root_path": ""}
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(msg):
        pass
    for _ in range(200):
        await app(scope, receive, send)
    t = time.perf_counter()
    for _ in range(n):
        await app(scope, receive, send)
    return (time.perf_counter() - t) / n

for mod in ("starlette.applications", "fastapi"):
    print(mod, "import", round(import_time(mod) * 1000), "ms")
for name, make in (("starlette", starlette_app), ("fastapi", fastapi_app)):
    runs = [asyncio.run(drive(make(), 5000)) for _ in range(3)]
    print(name, "per request", round(min(runs) * 1e6, 1), "us")
