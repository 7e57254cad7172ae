"""Build small real wheels, sdists and npm tarballs in memory, and serve them over HTTP.

Payload stand-ins are harmless (``os.getenv("X")``); nothing here is ever
executed by the code under test, which only reads the archives.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import threading
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from policyengine.model import Artifact, Hash

ELF_HEAD = b"\x7fELF\x02\x01\x01" + b"\x00" * 57
MACHO_HEAD = b"\xcf\xfa\xed\xfe" + b"\x00" * 60
FAT_HEAD = b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + b"\x00" * 56
JAVA_CLASS = b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\x00" * 56


def pe_head() -> bytes:
    head = bytearray(b"MZ" + b"\x00" * 0x7E)
    head[0x3C:0x40] = (0x40).to_bytes(4, "little")
    head[0x40:0x44] = b"PE\x00\x00"
    return bytes(head)


def wheel(
    name: str,
    version: str,
    files: Mapping[str, bytes],
    *,
    tag: str = "py3-none-any",
    entry_points: str | None = None,
) -> tuple[str, bytes]:
    """(filename, bytes) of a wheel with dist-info METADATA, WHEEL and RECORD."""
    dist = f"{name}-{version}.dist-info"
    members = dict(files)
    members[f"{dist}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    )
    members[f"{dist}/WHEEL"] = f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    if entry_points is not None:
        members[f"{dist}/entry_points.txt"] = entry_points.encode()
    record = []
    for member, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    members[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return f"{name}-{version}-{tag}.whl", buffer.getvalue()


def tar_gz(members: Mapping[str, bytes]) -> bytes:
    """A gzip-compressed tar of regular files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sdist(name: str, version: str, files: Mapping[str, bytes]) -> tuple[str, bytes]:
    """(filename, bytes) of an sdist: ``name-version/`` top directory with PKG-INFO."""
    top = f"{name}-{version}"
    members = {f"{top}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\n".encode()}
    members.update({f"{top}/{path}": data for path, data in files.items()})
    return f"{name}-{version}.tar.gz", tar_gz(members)


def npm_tarball(name: str, version: str, files: Mapping[str, bytes]) -> tuple[str, bytes]:
    """(filename, bytes) of an npm tarball with the ``package/`` prefix."""
    return f"{name}-{version}.tgz", tar_gz({f"package/{p}": d for p, d in files.items()})


@dataclass
class Registry:
    """A file server on 127.0.0.1 standing in for files.pythonhosted.org / the npm registry."""

    base: str = ""
    routes: dict[str, tuple[int, bytes, dict[str, str]]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        filename: str,
        data: bytes,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        registry_digest: str | None = None,
        alg: str = "sha256",
        size: int | None = None,
    ) -> Artifact:
        """Serve ``data`` at /files/<filename>; the Artifact carries the registry digest."""
        path = f"/files/{filename}"
        self.routes[path] = (status, data, headers or {})
        digest = registry_digest or hashlib.new(alg, data).hexdigest()
        return Artifact(
            filename=filename,
            url=self.base + path,
            size=len(data) if size is None else size,
            hashes=(Hash(alg, digest),),
        )


def _handler(registry: Registry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            registry.hits[self.path] = registry.hits.get(self.path, 0) + 1
            route = registry.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            status, body, headers = route
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if "Content-Length" not in headers and "X-No-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def serve() -> Iterator[Registry]:
    """Run a registry on an ephemeral port for the duration of a fixture."""
    registry = Registry()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(registry))
    registry.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield registry
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
