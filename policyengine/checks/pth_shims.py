"""Known ``.pth`` startup shims, recognised by package, file name and exact content digest.

The list is data (``policyengine/data/known-pth-shims.toml``): for each shim the
package that ships it, the glob its file name matches at the wheel's root, what it
does, and every SHA-256 seen in that package's wheels on PyPI with where it came
from. A file is recognised only when all three match; a name alone never is.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from packaging.utils import canonicalize_name
from pydantic import BaseModel, ConfigDict, Field

from policyengine.model import Component, PthFile

DATA = "known-pth-shims.toml"


class ShimDigest(BaseModel):
    """One known content of a shim and its provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    releases: str
    wheels: int = Field(ge=1)
    example: str


class Shim(BaseModel):
    """A reviewed startup shim of one package."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    package: str
    file: str
    what: str
    digests: tuple[ShimDigest, ...] = Field(min_length=1)


class _Shims(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    shim: tuple[Shim, ...]


@cache
def known_shims() -> tuple[Shim, ...]:
    """The shims of the data file, validated once."""
    text = resources.files("policyengine").joinpath("data", DATA).read_text(encoding="utf-8")
    return _Shims.model_validate(tomllib.loads(text)).shim


@dataclass(frozen=True, slots=True)
class Recognition:
    """How a ``.pth`` file compares with the known shims.

    ``shim`` is the recognised shim (package, name and digest match). ``lookalike``
    is a shim of the same package and name whose content differs: a reason to say
    so in the failure, never to pass.
    """

    shim: Shim | None = None
    lookalike: Shim | None = None


def recognise(component: Component, pth: PthFile) -> Recognition:
    """Whether ``pth`` of ``component`` is one of the known shims, byte for byte.

    Only PyPI components, only files at the wheel's root (where the shims are
    shipped), and only with a recorded digest: evidence recorded without one
    recognises nothing.
    """
    if component.ecosystem != "pypi" or "/" in pth.path:
        return Recognition()
    name = canonicalize_name(component.name)
    for shim in known_shims():
        if canonicalize_name(shim.package) != name or not fnmatch.fnmatchcase(pth.path, shim.file):
            continue
        if pth.sha256 is not None and any(d.sha256 == pth.sha256 for d in shim.digests):
            return Recognition(shim=shim)
        return Recognition(lookalike=shim)
    return Recognition()
