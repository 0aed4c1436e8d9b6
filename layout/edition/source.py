"""What both loaders share: reading a text file, and one YAML document with its line numbers.

_Source     a YAML document being read: its display name, its line map and the
            run's problems; typed field access that reports file, line and field
display_path, inside, read_limited, read_text
"""
from __future__ import annotations

import difflib
import functools
import os
from pathlib import Path
from typing import Any, BinaryIO

from ..problems import Problems
from .yamlsrc import field_name


def display_path(path: Path) -> str:
    """A path as the user should read it: relative to the working directory when inside it.
    (Asked twice for every article of every build — what a message names, and what the
    article's cache key holds — and relpath takes ~15 µs: remembered by path and working
    directory, a `watch` of 369 articles spends 0.5 ms on them instead of 10.)"""
    return _display_path(str(path), os.getcwd())


@functools.lru_cache(maxsize=4096)
def _display_path(path: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # pragma: no cover - other drive on Windows
        return path
    return path if rel.startswith("..") else rel


class _Source:
    """One YAML document being read: its name, its line map and the run's problems."""

    def __init__(self, file: Path, lines: dict, problems: Problems):
        self.file = display_path(file)
        self.lines = lines
        self.problems = problems
        self.dirs: dict[str, str] = {}   # folders resolved while reading it (`inside`)

    def line(self, path: tuple) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 0)

    def error(self, path: tuple, message: str, kind: str = "invalid") -> None:
        self.problems.error(kind, message, file=self.file, line=self.line(path),
                            field=field_name(path))

    def mapping(self, value: Any, path: tuple, allowed: set[str] | tuple) -> dict | None:
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping, got {_type_name(value)}", "wrong-type")
            return None
        for key in value:
            if key not in allowed:
                hint = _close_match(str(key), allowed)
                self.error(path + (key,), f"unknown key '{key}'" + (f" (did you mean '{hint}'?)" if hint else "")
                           + f"; allowed: {', '.join(sorted(allowed))}", "unknown-key")
        return value

    def get(self, data: dict, key: str, path: tuple, kind: type | tuple, required: bool = False,
            default: Any = None) -> Any:
        if key not in data or data[key] is None:
            if required:
                self.error(path + (key,), "required field is missing", "missing-field")
            return default
        value = data[key]
        # bool is an int in Python; a page number of `true` is still a mistake
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.error(path + (key,), f"expected {_friendly(want)}, got {_type_name(value)} {value!r}",
                       "wrong-type")
            return default
        return value

    def text(self, data: dict, key: str, path: tuple, required: bool = False) -> str:
        value = self.get(data, key, path, (str, int, float), required=required, default="")
        text = str(value).strip() if not isinstance(value, bool) else ""
        if required and key in data and data[key] is not None and not text:
            self.error(path + (key,), "must not be empty", "empty-field")
        return text


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number",
            bool: "true/false", type(None): "nothing"}.get(type(value), type(value).__name__)


def _friendly(name: str) -> str:
    return name.replace("str", "text").replace("int", "a whole number").replace("dict", "a mapping")


def _close_match(key: str, allowed) -> str:
    hits = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    return hits[0] if hits else ""


def inside(root: Path, relative: str, root_resolved: bool = False, dirs: dict | None = None) -> Path | None:
    """Resolve `relative` against `root`; None when it leaves the edition folder.
    (`root_resolved`: the caller resolved `root` already — the loader, which asks once
    per article.) `dirs`, given by a caller that asks for many files in one pass, keeps
    the folders it resolved: a file that is not itself a symbolic link is then its
    resolved folder and its name, found with one lstat instead of one per component
    (a 64-page edition's 369 articles: 16 → 5 ms). The memo lives for one load only —
    a folder swapped for a link between two builds of `watch` is resolved afresh."""
    if dirs is not None and root_resolved:
        head, name = os.path.split(relative)
        full = os.path.join(root, relative)
        if name not in ("", ".", "..") and not os.path.islink(full):
            folder = dirs.get(head)
            if folder is None:
                folder = dirs[head] = os.path.realpath(os.path.join(root, head))
            target = os.path.join(folder, name)
            base = str(root)
            return Path(target) if target == base or target.startswith(base.rstrip(os.sep) + os.sep) else None
    target = (root / relative).resolve()
    return target if target.is_relative_to(root if root_resolved else root.resolve()) else None


# An edition.yaml or an article is a few kilobytes; a file past this is a mistake (a
# video saved as .md, a 6 GB sparse file) and is refused before it is read.
MAX_TEXT_BYTES = 4 * 1024 * 1024


class FileTooLarge(OSError):
    pass


def read_at_most(f: BinaryIO, limit: int) -> bytes:
    """The open file's bytes, at most `limit` + 1 of them (one more says it is too large).
    Asks for the size fstat gives, reading on only if the file holds more (growing, a
    device): a read of `limit` + 1 bytes allocates that much first — 4 MB for each
    article, 512 MB for each cache entry, ~20 µs each time."""
    try:
        size = os.fstat(f.fileno()).st_size
    except OSError:
        size = 0
    want = min(size, limit) + 1
    data = f.read(want)
    if len(data) == want and want <= limit:
        data += f.read(limit + 1 - want)
    return data


def read_limited(file: Path, limit: int) -> bytes:
    """The file's bytes; FileTooLarge past `limit` — never more is read, whatever the file
    (sparse, growing, a device) claims to hold."""
    with open(file, "rb") as f:
        raw = read_at_most(f, limit)
    if len(raw) > limit:
        raise FileTooLarge(f"larger than {limit / (1024 * 1024):g} MB")
    return raw


def read_text(file: Path, problems: Problems, limit: int = MAX_TEXT_BYTES) -> str | None:
    """The file's text (UTF-8, BOM and CR/LF normalised), or None with an error."""
    where = display_path(file)
    try:
        raw = read_limited(file, limit)
    except FileTooLarge as exc:
        problems.error("file-too-large", f"the file is {exc}: not an edition or article text", file=where)
        return None
    except OSError as exc:
        problems.error("unreadable", f"cannot read the file: {exc.strerror or exc}", file=where)
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.error("encoding", f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                       "save the file as UTF-8", file=where, line=line)
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
