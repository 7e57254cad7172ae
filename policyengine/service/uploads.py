"""Policies a client sends with its input, when the server allows it (``--allow-policy-upload``).

``POST /v1/check`` as ``multipart/form-data``: an ``input`` file part (its file name is
the input's name) and one or more ``policy`` file parts, laid over the server policies
named in the query, in order. A sent policy may extend shipped policies by name only:
``extends`` naming a path would have the server read its own files for a client.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from policyengine.service.problems import Problem

MAX_POLICIES = 8
MAX_POLICY_BYTES = 1 << 20

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class Upload:
    """The parts of a multipart check: the input and the sent policies (name, bytes)."""

    name: str
    body: bytes
    policies: list[tuple[str, bytes]]


def is_multipart(request: Request) -> bool:
    """Whether the body is ``multipart/form-data``."""
    return request.headers.get("content-type", "").startswith("multipart/form-data")


async def parts(request: Request, body: bytes) -> Upload:
    """Split an already read (capped) multipart body into the input and the policies."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(
            max_files=MAX_POLICIES + 1, max_fields=MAX_POLICIES + 1
        )
    except Exception as exc:  # python-multipart's errors, or Starlette's limits
        raise Problem(400, f"the multipart body cannot be read: {exc}") from None
    given = form.get("input")
    if not isinstance(given, UploadFile):
        raise Problem(400, "a multipart check needs an `input` file part")
    policies: list[tuple[str, bytes]] = []
    for part in form.getlist("policy"):
        if not isinstance(part, UploadFile):
            raise Problem(400, "each `policy` part must be a file")
        data = await part.read()
        if len(data) > MAX_POLICY_BYTES:
            raise Problem(413, f"policy {part.filename}: over {MAX_POLICY_BYTES} bytes")
        policies.append((_file_name(part.filename, "policy.yaml"), data))
    return Upload(_file_name(given.filename, "input"), await given.read(), policies)


def _file_name(given: str | None, default: str) -> str:
    name = Path(given or default).name
    return _SAFE.sub("_", name) or default


def _refuse_paths(name: str, data: bytes) -> None:
    """422 for a sent policy whose ``extends`` names anything but a shipped policy."""
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError:
        return  # the loader reports it with line and column
    extends = document.get("extends") if isinstance(document, dict) else None
    for target in extends if isinstance(extends, list) else []:
        if isinstance(target, str) and (
            target.endswith((".yaml", ".yml")) or "/" in target or "\\" in target
        ):
            raise Problem(
                422,
                f"{name}: extends {target!r}: a sent policy may extend shipped policies by "
                "name only (lay it over a server policy with policy=NAME instead)",
            )


@contextmanager
def written(policies: list[tuple[str, bytes]]) -> Iterator[tuple[Path, list[str]]]:
    """The sent policies as files in a fresh folder (removed afterwards), checked first."""
    folder = Path(tempfile.mkdtemp(prefix="policyengine-upload-"))
    try:
        paths = []
        for index, (name, data) in enumerate(policies):
            _refuse_paths(name, data)
            sub = folder / str(index)
            sub.mkdir()
            path = sub / (name if name.endswith((".yaml", ".yml")) else name + ".yaml")
            path.write_bytes(data)
            paths.append(str(path))
        yield folder, paths
    finally:
        shutil.rmtree(folder, ignore_errors=True)
