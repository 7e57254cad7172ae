"""A small HTTP proxy on 127.0.0.1 for the proxy tests: it tunnels ``CONNECT`` and records it.

It answers ``CONNECT host:port`` with 200 and then copies bytes both ways, the way a
company proxy does when it does not re-sign TLS. ``answer`` makes it refuse every
tunnel with that status instead (407, 403, 502); ``credentials`` (``user:password``)
makes it ask for them (407) unless the request carries them. Anything but ``CONNECT``
is answered 501 and recorded too.
"""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class ConnectProxy:
    """The proxy's state: the tunnels asked for (``host:port``) and what it answers."""

    def __init__(self, answer: int = 200, credentials: str | None = None) -> None:
        self.answer = answer
        self.credentials = credentials
        self.targets: list[str] = []
        self.authorizations: list[str | None] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            authorization = {k.lower(): v for k, v in headers.items()}.get("proxy-authorization")
            with self._lock:
                self.targets.append(target if method == "CONNECT" else f"{method} {target}")
                self.authorizations.append(authorization)
            if method != "CONNECT":
                conn.sendall(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n")
                return
            if self.credentials is not None:
                expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
                if authorization != expected:
                    conn.sendall(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                        b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
                    )
                    return
            if self.answer != 200:
                conn.sendall(f"HTTP/1.1 {self.answer} No\r\nContent-Length: 0\r\n\r\n".encode())
                return
            host, _, port = target.rpartition(":")
            try:
                upstream = socket.create_connection((host, int(port)), timeout=10)
            except OSError:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                back = threading.Thread(target=_copy, args=(upstream, conn), daemon=True)
                back.start()
                _copy(conn, upstream)
                back.join(timeout=10)

    def close(self) -> None:
        # close() alone leaves a thread blocked in accept() holding the socket open (and
        # accepting); shutdown() wakes it, and the port then refuses connections.
        with suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(timeout=5)


def _copy(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@contextmanager
def connect_proxy(answer: int = 200, credentials: str | None = None) -> Iterator[ConnectProxy]:
    """A running :class:`ConnectProxy`, closed afterwards."""
    proxy = ConnectProxy(answer, credentials)
    try:
        yield proxy
    finally:
        proxy.close()
