"""What a version's distribution files contain (``FactKind.CONTENTS``).

Artifact inspection opens each wheel, sdist or npm tarball in memory (never
extracting it) and records what could run on an installing machine: startup
``.pth`` files, install-time hooks, native binaries, entry points, obfuscated
or credential-hunting code, and which files appeared or vanished since the
previous release. Paths are archive member names; ``line`` is 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ContentMark:
    """One located observation inside an artifact.

    ``kind`` names what was seen; the kinds in use are listed on the fields of
    ``ArtifactReport`` that hold marks. ``detail`` is a short human text, and
    ``excerpt`` the offending line (trimmed), when there is one. ``new_file``
    is true when the file did not exist in the previous release's artifact.
    """

    kind: str
    path: str
    line: int | None = None
    detail: str = ""
    excerpt: str | None = None
    new_file: bool = False


@dataclass(frozen=True, slots=True)
class PthFile:
    """A ``.pth`` path configuration file.

    ``site_root`` is true when installation puts it directly in site-packages
    (a wheel's root or its ``.data/purelib|platlib``), where ``site.py``
    processes it at every interpreter start. ``executable_lines`` are the
    1-based numbers of the lines ``site.addpackage`` would ``exec`` (lines
    starting with ``import`` followed by a space or tab). ``new_file``: the
    file is absent from the previous release's artifact.
    """

    path: str
    site_root: bool
    executable_lines: tuple[int, ...] = ()
    excerpt: str | None = None
    new_file: bool = False
    sha256: str | None = None
    """Hex SHA-256 of the file's bytes, so a known shim is recognised by its exact content
    (``None`` in evidence recorded before digests were kept: then nothing is recognised)."""

    @property
    def executes_code(self) -> bool:
        """True when at least one line would be executed."""
        return bool(self.executable_lines)


@dataclass(frozen=True, slots=True)
class BinaryFile:
    """A native executable or library found by its magic number.

    ``format`` is ``elf``, ``pe``, ``mach-o`` or ``mach-o-fat``; ``expected``
    is true for an extension module or shared library with a library suffix
    inside a platform-specific wheel, where compiled code is normal.
    ``new_file``: absent from the previous release's artifact.
    """

    path: str
    format: str
    size: int
    expected: bool = False
    new_file: bool = False


@dataclass(frozen=True, slots=True)
class ArchiveLink:
    """A symbolic or hard link in an archive: recorded, never followed on disk or extracted.

    ``kind`` is ``symlink`` or ``hardlink``; ``target`` is the target as the archive
    writes it. ``resolved`` is the archive path it ends at (links followed inside the
    archive only) when that stays inside the archive, ``None`` when it cannot be judged:
    an absolute target, one that climbs out of the archive, a chain too long, or a hard
    link to no regular member. When ``resolved`` names a regular member, the link's own
    path was inspected with that member's bytes (a link named ``setup.py`` or ``*.pth``
    is judged by what it would read).
    """

    path: str
    kind: str
    target: str
    resolved: str | None = None

    @property
    def judged(self) -> bool:
        """False when what the link brings in lies outside the archive."""
        return self.resolved is not None


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """A command or plug-in the artifact registers.

    ``group`` is the entry-point group (``console_scripts``, ``gui_scripts``
    ...), ``scripts`` for a wheel's ``.data/scripts`` file, or ``bin`` for npm.
    """

    group: str
    name: str
    target: str
    path: str


@dataclass(frozen=True, slots=True)
class ArtifactReport:
    """What one distribution file contains.

    ``install_hooks`` kinds: ``setup-module-call``, ``setup-dangerous-call``,
    ``setup-cmdclass``, ``build-backend-custom``, ``build-backend-in-tree``,
    ``npm-script``. ``suspicious`` kinds: ``decode-exec``, ``dynamic-import``,
    ``encoded-blob``, ``credential-path``. ``files`` are member names
    normalised for comparison across versions (no version, no top directory).
    ``skipped`` says which members were not scanned and why (e.g. too large).
    ``links`` are the archive's symbolic and hard links (see ``ArchiveLink``).
    """

    filename: str
    kind: str
    digest: str
    size: int
    file_count: int
    files: tuple[str, ...] = ()
    pth_files: tuple[PthFile, ...] = ()
    install_hooks: tuple[ContentMark, ...] = ()
    binaries: tuple[BinaryFile, ...] = ()
    entry_points: tuple[EntryPoint, ...] = ()
    suspicious: tuple[ContentMark, ...] = ()
    skipped: tuple[str, ...] = ()
    links: tuple[ArchiveLink, ...] = ()
    compared_with: str | None = None
    added_files: tuple[str, ...] = ()
    removed_files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ArtifactContents:
    """The inspection of a version's artifacts (``FactKind.CONTENTS``).

    ``previous_version`` is the release compared against (``None`` when there
    is none); ``previous_error`` says why the comparison could not be made
    when the previous release's files could not be inspected. ``added_files``
    and ``removed_files`` are the union over compared artifact pairs.
    ``not_inspected`` names files of the version left out by the settings.
    """

    version: str
    artifacts: tuple[ArtifactReport, ...] = ()
    previous_version: str | None = None
    added_files: tuple[str, ...] = ()
    removed_files: tuple[str, ...] = ()
    previous_error: str | None = None
    not_inspected: tuple[str, ...] = ()
