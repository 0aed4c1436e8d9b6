"""Writing a build's products into OUT/<slug>/ so that OUT always holds one complete set.

A build's files are first written beside their final names under temporary
names (`.<name>.<random>.banmian-tmp`); a write that fails — a full disk, a
folder that cannot be written — removes them all and leaves the previous set
exactly as it was. Only when every file is written does the build record a
journal (`.commit.json`, itself written atomically) naming each rename and
each product to remove, then carry it out and delete it. A build killed
before the journal exists leaves the old set plus temporary files; one
killed after it leaves a journal. Either way the next run in that folder
(`recover`) finishes or discards what was left — so after any build, failed
or killed, the next one starts from a complete set.

Products that no longer belong to the edition are removed in the same
commit: print pages of pages the edition no longer has, and the proofs and
the website made from an edition PDF that changed.

`lock(folder)` serialises builds, proofs and sites writing into one
OUT/<slug> (an advisory lock on `.lock`), so two runs never interleave.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

JOURNAL = ".commit.json"
TMP_SUFFIX = ".banmian-tmp"
_TMP_NAME = re.compile(r"\..+\.[0-9a-f]{16}" + re.escape(TMP_SUFFIX))
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def print_page_path(print_dir: Path, number: int) -> Path:
    """A print page's file: OUT/<slug>/print/NN.pdf."""
    return print_dir / f"{number:02d}.pdf"


def temp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.{secrets.token_hex(8)}{TMP_SUFFIX}"


def write_new(path: Path, *chunks: bytes) -> Path:
    """`chunks` written to a new temporary file beside `path`; returns its name. On failure
    the temporary file is removed and the error raised."""
    return write_chunks(path, chunks)


def write_chunks(path: Path, chunks: Iterable[bytes]) -> Path:
    """`write_new` of an iterable of chunks, written as they come."""
    def write(f: BinaryIO) -> None:
        for chunk in chunks:
            f.write(chunk)
    return write_with(path, write)


def write_with(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """`write(f)` into a new temporary file beside `path`; returns its name. On failure the
    temporary file is removed and the error raised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            write(f)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


@dataclass(frozen=True)
class Staged:
    """A product already written under a temporary name beside its final one (`write_new`),
    as soon as it was made: a long edition's pages are not all held in memory until the
    commit. `commit` renames it into place, or removes it if the file already holds the
    same bytes or the commit fails."""
    tmp: Path


@dataclass(frozen=True)
class Unchanged:
    """A product whose file in OUT already holds exactly its bytes: nothing to write (the
    build holds OUT's lock, so nothing else writes there before the commit)."""


def stage(path: Path, data: bytes) -> Staged | Unchanged:
    return Unchanged() if same_bytes(path, data) else Staged(write_new(path, data))


def stage_chunks(path: Path, chunks: Iterable[bytes]) -> Staged:
    """`chunks` (an iterator: never all in memory at once) staged beside `path`."""
    return Staged(write_chunks(path, chunks))


def discard(files) -> None:
    """Remove the temporary files of staged products a failed build will not commit."""
    for data in files:
        if isinstance(data, Staged):
            with contextlib.suppress(OSError):
                os.unlink(data.tmp)


def _plain_size(path: Path) -> int | None:
    """The size of the plain file at `path`; None for a link (a product in OUT is never
    one: left in place, it would print whatever it points to once that changes), a
    folder or nothing."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def same_file(a: Path, b: Path) -> bool:
    """Whether the file `a` and the plain file `b` hold the same bytes, read a block at a time."""
    try:
        if a.stat().st_size != _plain_size(b):
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return False


@dataclass(frozen=True)
class Digest:
    """What a product's bytes were, without the bytes: their length and SHA-256. The build
    cache keeps print pages and the reader edition so — they are in OUT already — and a
    later build takes OUT's file only if it `holds` them still."""
    size: int
    sha256: str

    @classmethod
    def of(cls, data: bytes) -> Digest:
        return cls(len(data), hashlib.sha256(data).hexdigest())

    @classmethod
    def of_file(cls, path: Path) -> Digest:
        with open(path, "rb") as f:
            return cls(os.fstat(f.fileno()).st_size, hashlib.file_digest(f, "sha256").hexdigest())

    def record(self) -> bytes:
        return f"{self.size} {self.sha256}".encode("ascii")

    @classmethod
    def from_record(cls, record: bytes) -> Digest | None:
        size, _, sha256 = record.decode("ascii", "replace").partition(" ")
        return cls(int(size), sha256) if size.isdigit() and re.fullmatch(r"[0-9a-f]{64}", sha256) else None


def holds(path: Path, digest: Digest) -> bool:
    """Whether `path` is a plain file (not a link) of the digest's length and SHA-256."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size != digest.size:
            return False
        return hashlib.file_digest(f, "sha256").hexdigest() == digest.sha256


def holds_record(path: Path, record: bytes | None) -> bool:
    """`holds` for a digest as the cache keeps it (`Digest.record`); False for none, or
    for a record that is not one."""
    digest = Digest.from_record(record) if record is not None else None
    return digest is not None and holds(path, digest)


def same_bytes(path: Path, data: bytes) -> bool:
    """Whether `path` is a plain file holding `data`."""
    try:
        return _plain_size(path) == len(data) and path.read_bytes() == data
    except OSError:
        return False


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename over it — unless the file
    already holds exactly these bytes (an incremental build rewrites few pages)."""
    if same_bytes(path, data):
        return
    os.replace(write_new(path, data), path)


def _remove(path: Path) -> None:
    """Remove a product: a file, a link (never what it points to) or a folder banmian wrote."""
    with contextlib.suppress(FileNotFoundError):
        if path.is_symlink() or not path.is_dir():
            os.unlink(path)
        else:
            # renamed first, so a half-removed folder never stands under the product's name
            doomed = temp_name(path)
            os.rename(path, doomed)
            shutil.rmtree(doomed, ignore_errors=True)


def commit(folder: Path, files: dict[Path, bytes | Staged | Unchanged], remove: list[Path] = (),
           derived: dict[Path, list[Path]] | None = None) -> list[Path]:
    """Replace the products in `folder` by `files` (path -> bytes, a file `Staged` beside it,
    or `Unchanged`) and remove `remove`, and the products `derived[p]` made from a file p that changes
    now — all or nothing as far as a failure while writing goes (see the module
    docstring). Returns the paths whose bytes changed."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            if isinstance(data, Unchanged):
                continue
            if isinstance(data, Staged):
                if same_file(data.tmp, path):
                    os.unlink(data.tmp)
                else:
                    staged.append((data.tmp, path))
            elif not same_bytes(path, data):
                staged.append((write_new(path, data), path))
        remove = list(remove) + [d for _, p in staged for d in (derived or {}).get(p, ())]
        remove = [p for p in remove if p.exists() or p.is_symlink()]
        if not staged and not remove:
            return []
        journal = {"rename": [[str(t.relative_to(folder)), str(p.relative_to(folder))] for t, p in staged],
                   "remove": [str(p.relative_to(folder)) for p in remove]}
        tmp = write_new(folder / JOURNAL, json.dumps(journal, ensure_ascii=False).encode("utf-8"))
        os.replace(tmp, folder / JOURNAL)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        discard(files.values())
        raise
    _carry_out(folder, journal)
    return [p for _, p in staged]


def _carry_out(folder: Path, journal: dict) -> None:
    for tmp, final in journal["rename"]:
        with contextlib.suppress(FileNotFoundError):   # done already by an interrupted run
            os.replace(folder / tmp, folder / final)
    for rel in journal["remove"]:
        _remove(folder / rel)
    os.unlink(folder / JOURNAL)


def _inside(folder: Path, rel: str) -> bool:
    p = Path(rel)
    return not p.is_absolute() and ".." not in p.parts


def recover(folder: Path) -> list[str]:
    """Finish a commit a killed run left (its journal), then remove the temporary files and
    folders a killed run left behind. Returns what was done, for the report."""
    done = []
    journal_path = folder / JOURNAL
    if journal_path.is_file() and not journal_path.is_symlink():
        try:
            journal = json.loads(journal_path.read_text(encoding="utf-8"))
            pairs = [(str(t), str(f)) for t, f in journal["rename"]]
            removes = [str(r) for r in journal["remove"]]
            ok = all(_inside(folder, a) and _inside(folder, b) for a, b in pairs) and \
                all(_inside(folder, r) and r not in ("", ".") for r in removes)
        except (OSError, ValueError, TypeError, KeyError):
            ok = False
        if ok:
            _carry_out(folder, {"rename": pairs, "remove": removes})
            done.append("finished the commit of an interrupted build")
        else:
            os.unlink(journal_path)
            done.append("discarded an unreadable commit journal")
    leftovers = 0
    for where in (folder, folder / "print", folder / "proofs"):
        if not where.is_dir() or where.is_symlink():
            continue
        with os.scandir(where) as it:
            for entry in it:
                if _TMP_NAME.fullmatch(entry.name):
                    _remove(Path(entry.path))
                    leftovers += 1
    if leftovers:
        done.append(f"removed {leftovers} temporary file{'s' if leftovers > 1 else ''} of an interrupted run")
    return done


@contextlib.contextmanager
def lock(folder: Path):
    """Hold the advisory lock of one OUT/<slug>: another build, proof or site run into the
    same folder waits until this one has finished."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:   # pragma: no cover - not on POSIX: no lock, as before
        yield
        return
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
