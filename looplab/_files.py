"""Files looplab writes or reads as data: one writer, one reader, one limit per kind.

Writing (:func:`replacing`, :func:`write_atomic`): the new content goes to a temporary file
created exclusively (``O_CREAT | O_EXCL | O_NOFOLLOW``) under an unpredictable name in the
target's own folder, then ``os.replace`` swaps it in. A fixed temporary name
(``.timeline.png.tmp``) let a symlink planted there redirect the write to any file the user
can write; an exclusive create never opens an existing name, and ``os.replace`` replaces a
symlink at the target itself, never the file it points to. A reader always finds the old
file or the new one, complete; a failed write leaves the old one and no temporary file.

Reading (:func:`read_bytes`, :func:`read_text`, :func:`read_json`, :func:`sha256_file`):
regular files only (a FIFO would block, ``/dev/zero`` or a symlink to it never ends), at
most the limit of the file's :class:`Kind`, and JSON no deeper than :data:`JSON_DEPTH` (the
nesting is measured without recursion before parsing: a 1,000-deep document is a named
problem, not a ``RecursionError``). A file refused is a :class:`Refused` (an ``OSError``:
callers already treat unreadable files so); content that is not UTF-8 or not JSON, or nests
too deep, is a ``ValueError``.

Shown text (:func:`printable`, :func:`for_console`): text read from a file (a journal's
fields, a run folder's name, a DLQ body) can hold terminal escapes; they are removed before
it reaches a terminal, and rich markup is escaped. The lowest layer of looplab: this module
imports nothing of looplab, so every layer may use it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rich.markup import escape as _markup_escape

__all__ = [
    "CODE",
    "COLLECTED",
    "COLLECT_CACHE",
    "CONFIG",
    "IMAGE",
    "JOURNAL",
    "JSON_DEPTH",
    "MARKER",
    "SCENARIOS",
    "SERVICE_STATE",
    "STACK_RECORD",
    "TEMPLATE",
    "TERMINAL_ESCAPES",
    "Kind",
    "Refused",
    "TooDeep",
    "copy_file",
    "for_console",
    "json_depth",
    "loads_json",
    "printable",
    "read_bytes",
    "read_json",
    "read_text",
    "replacing",
    "sha256_file",
    "write_atomic",
]

MIB = 1 << 20


@dataclass(frozen=True)
class Kind:
    """A kind of file looplab reads, and the most of it looplab will read."""

    name: str  # as the message says it: "..., the most a journal may be"
    limit: int  # bytes


# Each limit is many times what looplab (or the tool that writes the file) writes, and
# still small enough to hold in memory: a larger file is damaged, or not what its name says.
#
# A journal's timeline is bounded under 1 MiB (looplab.journal.INVOCATION_LIMIT); its steps
# are bounded by the scenario file (1 MiB: ~30,000 one-line steps journal ~15 MB) and each
# step's output by Lambda's 6 MB payload limit. Parsing costs ~10x the file in memory.
JOURNAL = Kind("journal", 64 * MIB)
# One summary per run (~1 KB): 128 MiB is 100,000 runs and more. Too big is only ignored
# (every journal is read again), never fatal.
COLLECT_CACHE = Kind("collect cache", 128 * MIB)
# One GetMetricData answer (at most 500 series of a run's minutes) and its queries.
COLLECTED = Kind("collected.json", 16 * MIB)
# The plugin's record of a deployed stack: CloudFormation allows 500 resources per stack,
# ~300 bytes each.
STACK_RECORD = Kind("stack record", 4 * MIB)
# A compiled CloudFormation template: CloudFormation's quota for a template body from S3
# (as sls deploy uploads it) is 1 MB; a larger one could never deploy (looplab.stack).
TEMPLATE = Kind("CloudFormation template", 1_048_576)
# osls's serverless-state.json: the template twice over, and the service's configuration.
SERVICE_STATE = Kind("serverless-state.json", 8 * TEMPLATE.limit)
# An osls config (serverless.yml, stacks/<shape>.yml): the shipped ones are ~5 KB.
CONFIG = Kind("osls config", 4 * MIB)
# A scenario file: the shipped one is 8 KB; room for generated ones, loaded in well under a
# second (looplab.scenarios' MAX_FILE_BYTES).
SCENARIOS = Kind("scenario file", 1 * MIB)
# A timeline.png embedded in report.html: looplab draws ~100-200 KB.
IMAGE = Kind("timeline image", 16 * MIB)
# The compile cache's marker: one SHA-256, hex.
MARKER = Kind("compile marker", 4096)
# A project file hashed for the compile cache's key, or a handler's module for its
# CodeSha256 (read in chunks, never whole): Lambda's limit for unzipped code.
CODE = Kind("project file", 250 * MIB)

# How deep a JSON document may nest. looplab writes journals at most ~70 deep (the writer
# replaces a value nested deeper than 64 with a placeholder); CloudFormation templates and
# the stack record nest ~10 deep. Python's json would raise RecursionError near 1,000.
JSON_DEPTH = 100


class Refused(OSError):
    """A file looplab will not read (not a regular file, larger than its kind's limit).

    An ``OSError`` so every caller that handles an unreadable file handles this one;
    ``str()`` (and ``strerror``) is the problem alone, the caller names the file.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(problem)
        self.strerror = problem
        self.filename = str(path)
        self.problem = problem

    def __str__(self) -> str:
        return self.problem


class TooDeep(ValueError):
    """A JSON document nested deeper than looplab reads; ``line``: where it goes past."""

    def __init__(self, depth: int, line: int) -> None:
        super().__init__(f"nested deeper than {depth} levels (line {line})")
        self.depth = depth
        self.line = line


def _size(n: int) -> str:
    mib = f"{n / MIB:,.1f}".removesuffix(".0")
    return f"{n:,} bytes ({mib} MiB)" if n >= MIB else f"{n:,} bytes"


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO: reading it would wait for a writer"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _open_regular(path: Path | str) -> tuple[int, int]:
    """An open descriptor of ``path`` and its size, if it is a regular file (symlinks
    followed); opened non-blocking, so a FIFO returns at once and ``fstat`` says what it is."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        what = next((text for test, text in _NOT_REGULAR if test(st.st_mode)), "not a file")
        raise Refused(path, f"not a regular file ({what})")
    return fd, st.st_size


def read_bytes(path: Path | str, kind: Kind) -> bytes:
    """The file's bytes: a regular file (symlinks followed) of at most ``kind.limit``.

    The limit is checked on ``fstat``, before reading, and again while reading (a file
    that grows, or a size that lies).
    """
    fd, size = _open_regular(path)
    with os.fdopen(fd, "rb", buffering=0) as f:
        if size > kind.limit:
            raise Refused(path, _too_large(kind, size))
        data = f.read(size + 1) or b""
        while len(data) <= kind.limit:  # grew since fstat: read on, up to the limit
            more = f.read(min(kind.limit + 1 - len(data), MIB))
            if not more:
                break
            data += more
    if len(data) > kind.limit:
        raise Refused(path, _too_large(kind, len(data)))
    return data


def _too_large(kind: Kind, size: int) -> str:
    return f"{_size(size)}: larger than {_size(kind.limit)}, the most a {kind.name} may be"


def read_text(path: Path | str, kind: Kind) -> str:
    """:func:`read_bytes`, decoded as UTF-8 (``UnicodeDecodeError`` when it is not)."""
    return read_bytes(path, kind).decode("utf-8")


def read_json(path: Path | str, kind: Kind, *, depth: int = JSON_DEPTH) -> Any:
    """The JSON document in ``path``: bounded as :func:`read_bytes`, nested at most
    ``depth`` deep (:class:`TooDeep`), valid JSON (``json.JSONDecodeError``)."""
    return loads_json(read_text(path, kind), depth=depth)


def loads_json(text: str | bytes, *, depth: int = JSON_DEPTH, **options: Any) -> Any:
    """``json.loads`` of a document checked first to nest at most ``depth`` deep."""
    if json_depth(text, depth) > depth:
        raise TooDeep(depth, _line_past(text, depth))
    try:
        return json.loads(text, **options)
    except RecursionError:  # cannot happen below JSON_DEPTH; never a traceback if it does
        raise TooDeep(depth, 0) from None


# What is left of a JSON text for measuring its depth: quotes and brackets (bytes.translate
# deletes the rest in one table-driven pass), after escape pairs (a backslash and the byte it
# escapes, \" among them) are gone; then the strings, whose contents are now only brackets.
_STRUCTURE = b'[]{}"'
_DELETE = bytes(b for b in range(256) if b not in _STRUCTURE)
_PARENS = bytes.maketrans(b"[{]}", b"(())")
_ESCAPE_PAIR = re.compile(rb"\\.", re.S)
_BARE_STRING = re.compile(rb'"[^"]*"')


def json_depth(text: str | bytes, most: int | None = None) -> int:
    """How deep JSON ``text`` nests arrays and objects, brackets inside strings not counted.
    With ``most``: above ``most`` (counted to ``most + 1`` only) says "too deep"; at most
    ``most``, the answer may be 0 (a text with fewer brackets is not measured).

    Without recursion, and in C loops over bytes: the text is reduced to its brackets as
    parentheses, then each pass of ``bytes.replace(b"()", b"")`` removes every innermost
    pair, one level (~10 passes for a journal: ~1 ms for 200 KB). Unmatched brackets (not
    JSON: the parser says so) count as one level each."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= (most or 0):
        return 0
    if b"\\" in data:
        data = _ESCAPE_PAIR.sub(b"", data)
    data = data.translate(None, _DELETE).replace(b'""', b"")
    if b'"' in data:
        data = _BARE_STRING.sub(b"", data)
    data = data.translate(_PARENS)
    level = 0
    while data and (most is None or level <= most):
        inner = data.replace(b"()", b"")
        if len(inner) == len(data):  # unmatched: no pair left to remove
            return level + inner.count(b"(") + inner.count(b")")
        data, level = inner, level + 1
    return level


_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)


def _line_past(text: str | bytes, depth: int) -> int:
    """The line of the first bracket past ``depth`` (the slow walk, only once the fast
    measure says there is one)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    level = 0
    for match in _JSON_TOKEN.finditer(text):
        char = match.group()
        if char in "[{":
            level += 1
            if level > depth:
                return text.count("\n", 0, match.start()) + 1
        elif char in "]}":
            level -= 1
    return 0


def sha256_file(path: Path | str, kind: Kind) -> str:
    """The SHA-256 of a regular file of at most ``kind.limit``, read in chunks (never whole)."""
    fd, _ = _open_regular(path)
    digest, total = hashlib.sha256(), 0
    with os.fdopen(fd, "rb") as f:
        while chunk := f.read(MIB):
            total += len(chunk)
            if total > kind.limit:
                raise Refused(path, _too_large(kind, total))
            digest.update(chunk)
    return digest.hexdigest()


# -- writing -------------------------------------------------------------------------------

_CREATE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _temporary(path: Path) -> tuple[int, Path]:
    """A new, empty file beside ``path`` under an unpredictable name, opened for writing.

    O_EXCL: the name did not exist, so no planted file or symlink is ever opened. Mode
    0o666 less the umask, as ``open()`` would create it (mkstemp's 0o600 would make a
    report others cannot read).
    """
    stem = path.name[:200]  # the name stays under NAME_MAX (255) with the suffix
    for _ in range(100):
        tmp = path.with_name(f".{stem}.{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, _CREATE, 0o666), tmp
        except FileExistsError:  # 2**64 names: only someone guessing lands here
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


@contextlib.contextmanager
def replacing(
    path: Path | str, *, text: bool = False, encoding: str = "utf-8"
) -> Iterator[IO[Any]]:
    """A file to write ``path``'s new content to; when the block ends without an error it
    replaces ``path`` (atomically), otherwise it is removed and ``path`` is as it was.

    ``text``: a text file (``encoding``), else binary (``savefig``, images)."""
    path = Path(path)
    fd, tmp = _temporary(path)
    try:
        with os.fdopen(fd, "w" if text else "wb", **({"encoding": encoding} if text else {})) as f:
            fd = -1
            yield f
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path | str, data: str | bytes, *, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` through :func:`replacing`."""
    with replacing(path, text=isinstance(data, str), encoding=encoding) as f:
        f.write(data)


def copy_file(source: Path | str, target: Path | str, kind: Kind) -> None:
    """``source``'s bytes (read bounded, as ``kind``) written to ``target`` through
    :func:`replacing`: unlike ``shutil.copy``, never through a symlink planted at ``target``."""
    write_atomic(target, read_bytes(source, kind))


# -- shown text ----------------------------------------------------------------------------

TERMINAL_ESCAPES = re.compile(
    r"""
      \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?     # OSC ... BEL or ST: window title, hyperlinks
    | \x1b[P^_X][^\x1b]*(?:\x1b\\)?          # DCS, PM, APC, SOS strings
    | \x1b\[[0-?]*[ -/]*[@-~]                # CSI: colours, cursor, clear screen
    | \x9b[0-?]*[ -/]*[@-~]                  # the same as 8-bit CSI
    | \x9d[^\x07\x9c]*[\x07\x9c]?             # 8-bit OSC
    | \x1b[@-_]?                              # any other escape, or a lone ESC
    | [\x00-\x08\x0b-\x1f\x7f-\x9f]           # other C0 / C1 controls (tab, newline stay)
    """,
    re.VERBOSE,
)


def printable(value: object) -> str:
    """``value`` as text with terminal escapes and control characters removed (tab and
    newline stay): what a file says may be shown, never act on the terminal."""
    return TERMINAL_ESCAPES.sub("", value if isinstance(value, str) else str(value))


def for_console(value: object) -> str:
    """:func:`printable`, with rich markup escaped: for ``Console.print`` (a ``[/bad]`` in
    a journal is text, not a tag)."""
    return _markup_escape(printable(value))
