"""Obfuscation and credential-hunting markers in source files.

Two passes: a text pass over every code file (regular expressions, so that code
hidden inside strings, as in a ``python -c "exec(base64.b64decode(...))"``
payload, and JavaScript are covered) and, for Python files that mention
``exec``/``eval``/``__import__``, an ``ast`` pass that sees through aliases
and line breaks. Nothing is ever executed.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Iterator

from policyengine.enrich.artifacts.pyast import call_name, import_aliases, parse
from policyengine.model import ContentMark

CODE_SUFFIXES = (
    ".py",
    ".pyw",
    ".pth",
    ".js",
    ".cjs",
    ".mjs",
    ".sh",
    ".bash",
    ".bat",
    ".cmd",
    ".ps1",
)
"""Files whose text is scanned: code an installer or interpreter may run."""

CREDENTIAL_STRINGS = (
    ".ssh/id_rsa",
    ".ssh/id_ed25519",
    ".ssh/id_ecdsa",
    ".aws/credentials",
    ".aws/config",
    ".kube/config",
    ".docker/config.json",
    ".git-credentials",
    ".pypirc",
    ".netrc",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AWS_SECRET_ACCESS_KEY",
    "169.254.169.254",
    "fd00:ec2::254",
    "metadata.google.internal",
    "169.254.170.2",
    "/proc/self/environ",
    "application_default_credentials.json",
)
"""Strings that point at credential files, secrets or cloud instance metadata."""

DECODERS = (
    "b64decode",
    "b32decode",
    "b16decode",
    "b85decode",
    "a85decode",
    "decodebytes",
    "decodestring",
    "unhexlify",
    "a2b_base64",
    "a2b_hex",
    "fromhex",
    "decompress",
    "marshal.loads",
    "codecs.decode",
)
"""Names of functions that turn an encoded blob back into code."""

SUSPECT_MODULES = frozenset(
    {
        "base64",
        "binascii",
        "codecs",
        "zlib",
        "bz2",
        "lzma",
        "gzip",
        "marshal",
        "pickle",
        "subprocess",
        "socket",
        "ctypes",
        "urllib.request",
        "builtins",
    }
)
"""Modules whose import by a computed ``__import__`` call is a classic hiding trick."""

_EXEC_CALL = re.compile(r"\b(?:exec|eval|Function)\s*\(")
_DECODER_CALL = re.compile(
    r"b64decode|b32decode|b16decode|b85decode|a85decode|decodebytes|unhexlify"
    r"|decompress|marshal\.loads|codecs\.decode|fromhex|\batob\s*\(|Buffer\.from\("
)
_BUFFER_ENCODING = re.compile(r"""[^\n)]{0,200}?['"](?:base64|hex)['"]""")
EXEC_REACH = 300
"""How far after ``exec(`` on the same line a decoder still counts as its argument."""
_DYNAMIC_IMPORT_TEXT = re.compile(
    r"__import__\s*\(\s*['\"]("
    + "|".join(re.escape(m) for m in sorted(SUSPECT_MODULES))
    + r")['\"]"
)
_EXEC_WORDS = ("exec(", "eval(", "compile(", "marshal.loads(", "pickle.loads(")
_DECODER_WORDS = DECODERS  # full names: a bare "decode" or "loads" is everywhere
_MODULE_LITERALS = tuple(f"{q}{m}{q}" for m in sorted(SUSPECT_MODULES) for q in "'\"")
_DATA_URI = re.compile(r";base64,$")


def is_code_file(name: str) -> bool:
    """True for the files whose text is scanned."""
    return name.lower().endswith(CODE_SUFFIXES)


class _Lines:
    """Offsets -> 1-based line numbers and line texts, computed on the first marker only."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
        return self._starts

    def number(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def excerpt(self, number: int) -> str:
        starts = self.starts
        start = starts[number - 1]
        end = starts[number] - 1 if number < len(starts) else len(self.text)
        return self.text[start:end].strip()[:200]


MAX_MARKS_PER_KIND = 100
"""Markers of one kind listed per file; a hostile file could otherwise have millions."""


def scan_code(path: str, data: bytes, *, blob_min: int = 1000) -> list[ContentMark]:
    """Every marker in one code file, deduplicated by (kind, line), capped per kind."""
    text = data.decode("utf-8", errors="replace")
    lines = _Lines(text)
    marks: dict[tuple[str, int | None], ContentMark] = {}
    per_kind: dict[str, int] = {}

    def add(kind: str, line: int | None, detail: str) -> None:
        key = (kind, line)
        if key not in marks and per_kind.get(kind, 0) < MAX_MARKS_PER_KIND:
            per_kind[kind] = per_kind.get(kind, 0) + 1
            excerpt = lines.excerpt(line) if line is not None else None
            marks[key] = ContentMark(kind, path, line, detail, excerpt)

    for needle in CREDENTIAL_STRINGS:
        at = text.find(needle)
        while at != -1:
            add("credential-path", lines.number(at), f"mentions {needle!r}")
            at = text.find(needle, at + len(needle))
    # Plain substring tests first: str.find is far faster than a regex scan,
    # and most files contain none of these words.
    if "exec" in text or "eval" in text or "Function" in text:
        for start in _decode_exec_offsets(text):
            add("decode-exec", lines.number(start), "executes decoded data")
    if "__import__" in text:
        for match in _DYNAMIC_IMPORT_TEXT.finditer(text):
            add("dynamic-import", lines.number(match.start()), f"__import__({match.group(1)!r})")
    for start, length in _blobs(text, blob_min):
        add("encoded-blob", lines.number(start), f"{length}-character encoded run")
    if path.lower().endswith((".py", ".pyw")) and _needs_ast(text):
        for kind, line, detail in _ast_marks(text):
            add(kind, line, detail)
    return sorted(marks.values(), key=lambda m: (m.line or 0, m.kind))


def _decode_exec_offsets(text: str) -> Iterator[int]:
    """Offsets of ``exec(``/``eval(``/``Function(`` followed on the same line by a decoder.

    Two linear scans and a bisect per call instead of one regex with a lazy gap:
    the regex form backtracks quadratically on a line of repeated ``exec(``.
    """
    calls = [(m.start(), m.end()) for m in _EXEC_CALL.finditer(text)]
    if not calls:
        return
    decoders: list[int] = []
    for match in _DECODER_CALL.finditer(text):
        if match.group(0) == "Buffer.from(" and not _BUFFER_ENCODING.match(
            text, match.end(), match.end() + 220
        ):
            continue
        decoders.append(match.start())
    for start, end in calls:
        index = bisect.bisect_left(decoders, end)
        if index == len(decoders):
            break
        first = decoders[index]
        if first - end <= EXEC_REACH and "\n" not in text[end:first]:
            yield start


def _needs_ast(text: str) -> bool:
    """Whether the ``ast`` pass could find anything the text pass missed.

    Parsing is the expensive part of a scan; it only pays where a call that
    executes or loads code meets a decoder, or where an import is computed.
    """
    if ("__import__(" in text or "import_module(" in text) and any(
        literal in text for literal in _MODULE_LITERALS
    ):
        return True
    runs_code = any(word in text for word in _EXEC_WORDS)
    return runs_code and any(word in text for word in _DECODER_WORDS)


_RUN = re.compile(r"[A-Za-z0-9+/_-]{64,}={0,2}")


def _blobs(text: str, minimum: int) -> Iterator[tuple[int, int]]:
    """(offset, length) of base64-alphabet runs of at least ``minimum`` characters.

    A run must mix upper case, lower case and digits (so long separator lines
    or hex-free identifiers do not count), and ``data:...;base64,`` URIs, which
    are inert data in web assets, are left out.
    """
    for match in _RUN.finditer(text):
        run = match.group(0)
        if len(run) < minimum:
            continue
        if _DATA_URI.search(text, max(0, match.start() - 40), match.start()):
            continue
        if re.search(r"[a-z]", run) and re.search(r"[A-Z]", run) and re.search(r"\d", run):
            yield match.start(), len(run)


def _contains_decoder(node: ast.AST, aliases: dict[str, str]) -> str | None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            name = call_name(sub, aliases) or ""
            for decoder in DECODERS:
                if name == decoder or name.endswith("." + decoder):
                    return name
    return None


def _ast_marks(text: str) -> Iterable[tuple[str, int, str]]:
    try:
        tree = parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # Not Python 3, or nested too deeply for the parser (a deliberate
        # stack-exhaustion input): the text pass already covered it.
        return
    aliases = import_aliases(tree)
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    for node in calls:
        name = call_name(node, aliases) or ""
        short = name.removeprefix("builtins.")
        if short in {"exec", "eval", "compile", "marshal.loads", "pickle.loads"}:
            decoder = next(
                (d for d in (_contains_decoder(a, aliases) for a in node.args) if d), None
            )
            if decoder is not None:
                yield "decode-exec", node.lineno, f"{short}() of {decoder}() output"
        elif short in {"__import__", "importlib.import_module"} and node.args:
            first = node.args[0]
            if (
                isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and first.value in SUSPECT_MODULES
            ):
                yield "dynamic-import", node.lineno, f"{short}({first.value!r})"
