"""A synthetic PyPI on 127.0.0.1 serving generated JSON documents, with fault injection.

Used by benchmarks/check_bench.py (request counts of cold and warm enrichment) and by
tests/hardening (faults through ``policyengine check``). Every ``/pypi/<name>/json``
answers :func:`benchmarks.synth.pypi_document`; ``/pypi/<name>/<version>/json`` answers
the same document's release (PyPI's per-version endpoint). ``faults`` maps a project
name (or ``"*"``) to a behaviour applied to every request for it:

- ``timeout``: answer after ``sleep`` seconds; ``drip``: send the body one byte every
  ``drip_interval`` seconds (each read is fast, the whole is not);
- ``reset``: close the connection without an answer (TCP RST);
- ``429``: always ``429 Too Many Requests`` with ``Retry-After: 1``; ``500``, ``503``;
- ``truncate``: a Content-Length longer than the body, then close; ``badjson``: 200 with
  invalid JSON; ``notobject``: 200 with a JSON array; ``huge``: a body of ``huge_bytes``.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks.synth import pypi_document


class Registry:
    """The server's state: faults to inject and the requests it saw."""

    def __init__(self) -> None:
        self.faults: dict[str, str] = {}
        self.versions: dict[str, str] = {}
        """Project name -> the version the SBOM lists (the registry's latest)."""
        self.version_endpoint = True
        """False: answer 404 to every per-version document, as the mirrors reachable here do."""
        self.counts: Counter[str] = Counter()
        self.sleep = 2.0
        self.drip_interval = 0.05
        self.huge_bytes = 8 * 2**20
        self.root = ""
        self.lock = threading.Lock()

    @property
    def pypi_url(self) -> str:
        """The base URL to pass as ``--pypi-url``."""
        return self.root

    def total(self) -> int:
        """Requests received so far."""
        with self.lock:
            return sum(self.counts.values())


def _handler(state: Registry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            with state.lock:
                state.counts[self.path] += 1
            if len(parts) not in (3, 4) or parts[0] != "pypi" or parts[-1] != "json":
                self._send(404, b"{}")
                return
            name = parts[1]
            index = int(name.split("-")[1]) if name.count("-") >= 2 else 0
            fault = state.faults.get(name) or state.faults.get("*")
            doc = pypi_document(name, state.versions.get(name, "1.0.0"), index)
            if len(parts) == 4:
                version = parts[2]
                if version not in doc["releases"] or not state.version_endpoint:
                    self._send(404, b'{"message": "Not Found"}')
                    return
                doc = {**doc, "info": {**doc["info"], "version": version}}
                doc["urls"] = doc["releases"][version]
            body = json.dumps(doc).encode()
            if fault is None:
                self._send(200, body)
            else:
                self._fault(fault, body)

        def _fault(self, fault: str, body: bytes) -> None:
            if fault == "timeout":
                time.sleep(state.sleep)
                self._send(200, body)
            elif fault == "drip":
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(state.drip_interval)
                except OSError:
                    return
            elif fault == "reset":
                # SO_LINGER with a zero timeout turns close() into a TCP reset.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
            elif fault == "429":
                self._send(429, b"slow down", {"Retry-After": "1"})
            elif fault in ("500", "503"):
                self._send(int(fault), b"oops")
            elif fault == "truncate":
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + 1000))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
            elif fault == "badjson":
                self._send(200, body[: len(body) // 2])
            elif fault == "notobject":
                self._send(200, b"[1, 2, 3]")
            elif fault == "huge":
                self._send(200, b" " * state.huge_bytes + body)
            else:
                raise ValueError(f"unknown fault {fault!r}")

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up on faulty answers on purpose; socketserver would print a traceback.
        pass


@contextmanager
def serve() -> Iterator[Registry]:
    """Run the registry on a free port for the duration of the block."""
    state = Registry()
    server = _Server(("127.0.0.1", 0), _handler(state))
    state.root = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
