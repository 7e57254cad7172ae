"""A registry on 127.0.0.1 that answers every path with a document the test chose.

The wrong-shape tests (tests/hardening/test_wrong_shapes.py) need answers no recording
holds: valid JSON whose fields have the wrong type. ``answers[path]`` is the body for
a GET of ``path``; a POST to ``/osv/v1/querybatch`` gets ``answers["querybatch"]``.
Anything else is a 404.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Answers(dict[str, bytes]):
    """The bodies served, by path; ``root`` is the server's base URL once it runs."""

    root: str = ""

    def __repr__(self) -> str:
        """Short: hypothesis prints the fixture with every failing example."""
        return f"Answers({self.root}, {sorted(self)})"


def _handler(answers: Answers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, key: str) -> None:
            body = answers.get(key)
            status = 404 if body is None else 200
            body = body or b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._send(self.path)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._send("querybatch" if self.path.endswith("/v1/querybatch") else self.path)

    return Handler


@contextmanager
def serving() -> Iterator[Answers]:
    """Serve an empty :class:`Answers` (fill it in the test) on an ephemeral port."""
    answers = Answers()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(answers))
    server.daemon_threads = True
    answers.root = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield answers
    finally:
        server.shutdown()
        server.server_close()
