"""Per-ecosystem normalisation shared by every reader: purls, names, hashes, licenses.

Readers call these so that a package looks the same whichever document named it:
PyPI names per PEP 503, npm names as ``@scope/name``, hash algorithms as
``sha256``-style keys with lower-case hex, licenses as SPDX expressions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from license_expression import ExpressionError, Licensing, get_spdx_licensing
from packageurl import PackageURL
from packaging.utils import canonicalize_name

from policyengine.ingest.trove import is_classifier, read_classifiers, restates

_HEX = re.compile(r"^[0-9a-fA-F]+$")
# PEP 508 names, and npm's (validate-npm-package-name, legacy upper case allowed).
_VALID_NAME = {
    "pypi": re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$"),
    "npm": re.compile(r"^(@[A-Za-z0-9~-][A-Za-z0-9._~-]*/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$"),
}
_ALG_ALIASES = {
    "sha": "sha1",
    "sha-1": "sha1",
    "sha-256": "sha256",
    "sha-384": "sha384",
    "sha-512": "sha512",
    "sha3-256": "sha3_256",
    "sha3-384": "sha3_384",
    "sha3-512": "sha3_512",
    "blake2b-256": "blake2b_256",
    "blake2b-384": "blake2b_384",
    "blake2b-512": "blake2b_512",
    "blake2b256": "blake2b_256",
    "blake2b384": "blake2b_384",
    "blake2b512": "blake2b_512",
    "blake3": "blake3",
    "md-5": "md5",
}


@dataclass(frozen=True, slots=True)
class Identity:
    """What a purl says about a package, normalised; ``error`` set when it is unusable."""

    ecosystem: str | None
    name: str | None
    version: str | None
    error: str | None = None


def normalize_name(ecosystem: str | None, name: str, namespace: str | None = None) -> str:
    """The canonical package name for an ecosystem (PEP 503 for PyPI, ``@scope/name`` for npm)."""
    if ecosystem == "pypi":
        return str(canonicalize_name(name))
    if ecosystem == "npm":
        if namespace:
            scope = namespace if namespace.startswith("@") else f"@{namespace}"
            return f"{scope}/{name}"
        return name
    if namespace:
        return f"{namespace}/{name}"
    return name


# The common shape of PyPI and npm purls: no namespace, qualifiers, subpath or
# percent-encoding. For these, parsing by hand gives what packageurl-python gives
# (a property test checks that) at a tenth of the cost; packageurl-python was half
# of the CycloneDX reader's time at 10,000 components (benchmarks/README.md).
_SIMPLE_PURL = re.compile(r"pkg:(pypi|npm)/([A-Za-z0-9._~-]+)@([A-Za-z0-9._~+!-]+)")


@lru_cache(maxsize=65536)
def identity_from_purl(purl: str) -> Identity:
    """Parse a purl with packageurl-python into a normalised identity (cached: purls repeat)."""
    simple = _SIMPLE_PURL.fullmatch(purl)
    if simple is not None:
        ecosystem, name, version = simple.groups()
        return Identity(ecosystem, normalize_name(ecosystem, name.lower()), version)
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError as exc:
        return Identity(None, None, None, error=f"invalid purl {purl!r}: {exc}")
    ecosystem = str(parsed.type).lower()
    name = normalize_name(ecosystem, str(parsed.name), parsed.namespace)
    version = str(parsed.version) if parsed.version else None
    return Identity(ecosystem, name, version)


def purl_for(ecosystem: str, name: str, version: str | None) -> str | None:
    """Build the purl of a package from its ecosystem, normalised name and version.

    ``None`` when the name cannot be a package name of the ecosystem (e.g. a
    local path such as ``/`` or ``./`` that a requirements file names instead of
    a package): such a purl would name a package that does not exist, and
    packageurl-python fails to render some of them.
    """
    if not valid_name(ecosystem, name):
        return None
    namespace = None
    short = name
    if ecosystem == "npm" and name.startswith("@") and "/" in name:
        namespace, short = name.split("/", 1)
    try:
        purl = PackageURL(type=ecosystem, namespace=namespace, name=short, version=version)
        return str(purl.to_string()) if purl.name else None
    except (TypeError, ValueError):
        return None


def valid_name(ecosystem: str, name: str) -> bool:
    """Whether ``name`` can be a package name in ``ecosystem`` (checked for PyPI and npm)."""
    pattern = _VALID_NAME.get(ecosystem)
    return bool(name) and (pattern is None or pattern.match(name) is not None)


@lru_cache(maxsize=256)
def normalize_hash_alg(alg: str) -> str:
    """Map ``SHA-256``, ``sha_256``, ``BLAKE2b-256`` ... to ``sha256``, ``blake2b_256`` ..."""
    key = alg.strip().lower().replace("_", "-")
    if key in _ALG_ALIASES:
        return _ALG_ALIASES[key]
    return key.replace("-", "")


def normalize_hash_value(value: str) -> str | None:
    """Lower-case hex digest, or ``None`` when the value is not hex at all."""
    value = value.strip()
    return value.lower() if value and _HEX.match(value) else None


@lru_cache(maxsize=16384)
def normalize_license(expression: str) -> str:
    """Render a license expression in SPDX's canonical form (ids cased, operators upper).

    Unknown license keys are kept as written (``LicenseRef-`` and free text are
    legitimate inputs); only the syntax is normalised. Text that is not an
    expression at all is returned stripped, for the license check to judge.
    """
    text = expression.strip()
    if not text:
        return text
    try:
        result = _spdx_licensing().validate(text)
    except (ExpressionError, AttributeError):
        # license-expression's validate() itself raises AttributeError on some
        # malformed input (an ExpressionError without token_string, e.g. "Apache 2.0").
        return text
    if _syntax_errors(result.errors):
        return text
    if result.normalized_expression:
        return str(result.normalized_expression)
    # Only unknown keys (LicenseRef-..., ids newer than the bundled list): the syntax is
    # fine, so still render it canonically, e.g. "(MIT AND LicenseRef-x)" -> "MIT AND LicenseRef-x".
    try:
        return str(_spdx_licensing().parse(text))
    except (ExpressionError, AttributeError):
        return text


@lru_cache(maxsize=1)
def _spdx_licensing() -> Licensing:
    # get_spdx_licensing() rebuilds the whole SPDX index (~40 ms) on every call.
    return get_spdx_licensing()


def _syntax_errors(errors: list[str]) -> bool:
    return any(not e.startswith("Unknown license key") for e in errors)


def combine_licenses(expressions: list[str]) -> str | None:
    """Join several declared licenses of one component with AND, as SPDX does for a list."""
    parts = [normalize_license(e) for e in expressions if e and e.strip()]
    parts = [p for p in parts if p]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return " AND ".join(f"({p})" if " " in p else p for p in parts)


def declared_licenses(
    spdx: list[str], names: list[str], *, expressions: Sequence[str] = ()
) -> tuple[str | None, tuple[str, ...]]:
    """A component's licence entries as one expression, and its unmapped trove classifiers.

    ``spdx`` are the SPDX ids and expressions in input order, ``expressions`` those of them
    that were given as expressions, ``names`` free-text licence names, trove classifiers
    (``License :: ...``) among them. An ``expression`` is the authority (PEP 639: it is what
    ``License-Expression`` carries, and cyclonedx-py writes the classifiers it restates
    beside it): classifiers are then dropped. Beside SPDX ids, a classifier counts as a
    licence of its own unless it only restates one of them (:func:`restates`: the ambiguous
    ``Apache Software License`` beside ``Apache-2.0``), so an unmapped ``Other/Proprietary
    License`` beside ``MIT`` keeps the component unknown. Several entries are joined with
    AND (:func:`combine_licenses`); PEP 639 says the relation of several classifiers is
    unknown, and AND is the reading under which a pass holds whichever the project meant. A
    classifier that names no single SPDX id is written as its ``LicenseRef-PyPI-Trove-...``
    and listed in the second value, never guessed.
    """
    classifiers = [n for n in names if is_classifier(n)]
    others = [n for n in names if not is_classifier(n)]
    if expressions:
        classifiers = []
    elif spdx:
        ids = [i for s in spdx for i in s.replace("(", " ").replace(")", " ").split()]
        classifiers = [c for c in classifiers if not restates(c, ids)]
    found = read_classifiers(classifiers)
    return combine_licenses([*spdx, *others, *found.keys]), found.unmapped
