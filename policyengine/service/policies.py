"""The server's policy set: the shipped policies by name, and NAME.yaml of ``--policy-dir``."""

from __future__ import annotations

import re
from pathlib import Path

from policyengine.policy.loader import shipped_policies
from policyengine.service.problems import Problem

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class PolicySet:
    """Names a client may ask for, resolved to files on the server.

    A name is a file name without ``.yaml``, never a path, so that no client can name a
    file of the server. ``--policy-dir`` wins over a shipped policy of the same name: an
    organisation's ``baseline`` replaces the shipped one.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def names(self) -> list[str]:
        """Every policy name the server knows, sorted."""
        found = set(shipped_policies())
        if self.folder is not None and self.folder.is_dir():
            found |= {p.stem for p in self.folder.glob("*.yaml")}
        return sorted(found)

    def path(self, name: str) -> str:
        """The file of policy ``name``; 404 for a name the server does not know."""
        if _NAME.fullmatch(name) and not name.endswith(".yaml"):
            if self.folder is not None:
                own = self.folder / f"{name}.yaml"
                if own.is_file():
                    return str(own.resolve())
            shipped = shipped_policies().get(name)
            if shipped is not None:
                return str(shipped)
        known = ", ".join(self.names())
        raise Problem(404, f"no policy {name!r} on this server (known: {known})")
