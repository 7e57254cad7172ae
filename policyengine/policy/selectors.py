"""Which components a rule applies to: ``Selector`` matching."""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache

from packageurl import PackageURL

from policyengine.model import Component
from policyengine.model.policy import Selector

PurlKey = tuple[str, str, str, str | None]


@lru_cache(maxsize=4096)
def purl_key(purl: str) -> PurlKey | None:
    """(type, namespace, name, version) of a purl, lower-cased where purls are case-blind."""
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    kind = parsed.type.lower()
    name = parsed.name
    namespace = parsed.namespace or ""
    if kind in {"pypi", "npm", "github", "golang"}:
        name = name.lower()
        namespace = namespace.lower()
    if kind == "pypi":
        name = name.replace("_", "-").replace(".", "-")
    return kind, namespace, name, parsed.version


def purl_matches(pattern: str, purl: str | None) -> bool:
    """True when ``purl`` is ``pattern``'s package (and version, if the pattern has one)."""
    if not purl:
        return False
    want, have = purl_key(pattern), purl_key(purl)
    if want is None or have is None:
        return False
    if want[:3] != have[:3]:
        return False
    return want[3] is None or want[3] == have[3]


def selects(selector: Selector, component: Component) -> bool:
    """True when every part of ``selector`` given matches ``component``.

    A component without a scope counts as ``required`` (the CycloneDX default),
    one without a type as ``library``; one whose graph position is unknown
    (``direct`` is None) matches both ``direct: true`` and ``direct: false`` so
    that missing graph data never silently exempts a component.
    """
    if selector.ecosystems is not None and (component.ecosystem or "").lower() not in {
        e.lower() for e in selector.ecosystems
    }:
        return False
    if selector.names is not None and not any(
        fnmatchcase(component.name.lower(), pattern.lower()) for pattern in selector.names
    ):
        return False
    if selector.purls is not None and not any(
        purl_matches(pattern, component.purl) for pattern in selector.purls
    ):
        return False
    if selector.scopes is not None and (component.scope or "required") not in selector.scopes:
        return False
    if (
        selector.direct is not None
        and component.direct is not None
        and component.direct != selector.direct
    ):
        return False
    return selector.types is None or (component.type or "library") in selector.types
