"""Where a locked package came from when that is not its registry: a repository or a path.

Lockfiles write git, path, ``link:``/``file:``/``workspace:``/``portal:`` and
plain-URL sources in many spellings; these functions turn them into an
:class:`~policyengine.model.Origin`, so that such a package is never taken for
the same-named registry package (dependency confusion), and give it a purl of its
own kind: ``pkg:github/<owner>/<repo>@<commit>`` for GitHub, else
``pkg:generic/<name>@<commit>?vcs_url=<vcs-url>@<commit>`` as the purl
specification's ``vcs_url`` qualifier describes it. A local path has no public
identity and no purl. Nothing here fetches anything.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit, urlunsplit

from packageurl import PackageURL

from policyengine.model import Origin

_PATH_PREFIXES = ("file:", "link:", "workspace:", "portal:", "./", "../", "/", "~/")
_GIT_PREFIXES = ("git+", "git://", "ssh://", "github:", "gitlab:", "bitbucket:", "gist:")
_HOSTED = {"github:": "github.com", "gitlab:": "gitlab.com", "bitbucket:": "bitbucket.org"}
_CODELOAD = re.compile(r"^https?://codeload\.github\.com/([^/]+)/([^/]+)/tar\.gz/([^/?#]+)")
_GITLAB_ARCHIVE = re.compile(r"^(https?://gitlab\.com/[^?#]+?)/repository/archive\.tar\.gz\?")
_SCP_LIKE = re.compile(r"^([\w.-]+@)?([\w.-]+):(?!//)(.+)$")
_SHORTHAND = re.compile(r"^[\w.-]+/[\w.-]+(#.*)?$")
_BERRY_REF = re.compile(r"^(?:commit|head|tag|semver)[=:](.+)$")


def path_origin(spec: str) -> Origin:
    """A local folder, archive, link or workspace, as the input wrote it."""
    return Origin("path", spec)


def is_path_spec(spec: str) -> bool:
    """True for an npm specifier that names a local path (``file:``, ``link:``, ``./x`` ...)."""
    return spec.startswith(_PATH_PREFIXES)


def npm_origin(spec: str) -> Origin | None:
    """The origin a ``resolved``/``resolution`` text of an npm-family lockfile names.

    ``None`` for a registry tarball or a version: the package came from a registry.
    """
    spec = spec.strip()
    if not spec or (spec.startswith("http") and "/-/" in spec):
        return None  # empty, or a registry tarball (<registry>/<name>/-/<file>.tgz)
    if is_path_spec(spec):
        return path_origin(spec)
    codeload = _CODELOAD.match(spec)
    if codeload:
        owner, repo, commit = codeload.groups()
        return Origin("vcs", f"https://github.com/{owner}/{repo}", commit)
    gitlab = _GITLAB_ARCHIVE.match(spec)
    if gitlab:
        ref = parse_qs(urlsplit(spec).query).get("ref", [None])[0]
        return Origin("vcs", gitlab.group(1), ref)
    if spec.startswith(_GIT_PREFIXES) or _is_git_url(spec) or _is_shorthand(spec):
        return vcs_origin(spec)
    return None


def vcs_origin(spec: str) -> Origin:
    """A repository URL with an optional ``#ref`` (npm/yarn) or ``@ref`` (pip/SPDX) revision."""
    url, _, fragment = spec.partition("#")
    revision = _fragment_revision(fragment)
    for short, host in _HOSTED.items():
        if url.startswith(short):
            url = f"https://{host}/{url[len(short) :]}"
    if _is_shorthand(spec):
        url = f"https://github.com/{url}"
    if url.startswith(("git+", "hg+", "svn+", "bzr+")):
        url = url.split("+", 1)[1]
    url = _scp_to_path(url)
    if "://" in url:
        parts = urlsplit(url)
        if revision is None and "@" in parts.path:
            path, _, ref = parts.path.rpartition("@")
            url, revision = urlunsplit(parts._replace(path=path)), ref or None
    return Origin("vcs", _without_credentials(url), revision)


def python_origin(url: str) -> Origin:
    """The origin of a PEP 508 / pip URL: VCS (``git+...@ref``), local path or plain URL."""
    if url.startswith(("git+", "hg+", "svn+", "bzr+")):
        return vcs_origin(url)
    if url.startswith("file:") or "://" not in url:
        return path_origin(url)
    return Origin("url", _without_credentials(url))


def origin_purl(name: str, origin: Origin) -> str | None:
    """The purl of a component of this origin; ``None`` for a local path or plain URL."""
    if origin.kind != "vcs":
        return None
    parts = urlsplit(origin.location)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    if host == "github.com" and len(segments) == 2:
        repo = segments[1].removesuffix(".git")
        return PackageURL(
            type="github",
            namespace=segments[0].lower(),
            name=repo.lower(),
            version=origin.revision,
        ).to_string()
    vcs_url = "git+" + origin.location + (f"@{origin.revision}" if origin.revision else "")
    short = name.rsplit("/", 1)[-1] or "unknown"
    namespace = name[: -len(short) - 1].lstrip("@") or None if "/" in name else None
    return PackageURL(
        type="generic",
        namespace=namespace,
        name=short,
        version=origin.revision,
        qualifiers={"vcs_url": vcs_url},
    ).to_string()


def _fragment_revision(fragment: str) -> str | None:
    """The revision of a ``#...`` fragment: ``<ref>`` or yarn Berry's ``commit=<sha>&...``."""
    for part in fragment.split("&"):
        match = _BERRY_REF.match(part)
        if match:
            return match.group(1)
    if fragment and "=" not in fragment:
        return fragment
    return None


def _scp_to_path(url: str) -> str:
    """``ssh://git@host:owner/repo`` (an scp-style path in a URL) -> ``ssh://git@host/owner/repo``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    user, at, hostport = netloc.rpartition("@")
    host, colon, tail = hostport.rpartition(":")
    if colon and host and tail and not tail.isdigit():
        return f"{scheme}://{user}{at}{host}/{tail}{slash}{path}"
    return url


def _is_git_url(spec: str) -> bool:
    parts = urlsplit(spec.split("#", 1)[0])
    if parts.scheme in ("http", "https"):
        # A repository page URL (github.com/owner/repo[.git]#ref), not a tarball.
        segments = [s for s in parts.path.split("/") if s]
        return (parts.hostname or "") in {"github.com", "gitlab.com", "bitbucket.org"} and (
            len(segments) == 2 or parts.path.endswith(".git")
        )
    return bool(_SCP_LIKE.match(spec)) and "://" not in spec and spec.endswith(".git")


def _is_shorthand(spec: str) -> bool:
    return not spec.startswith("@") and bool(_SHORTHAND.match(spec)) and "://" not in spec


def _without_credentials(url: str) -> str:
    """The URL without a user or token before the host (``ssh://git@host`` keeps ``git@``)."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.username is None or (parts.username == "git" and parts.password is None):
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
