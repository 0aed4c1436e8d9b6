"""Incremental builds: results of earlier builds reused when their inputs did not change.

Results are cached in OUT/<slug>/.cache/, each under the hash of
everything it depends on (and banmian's version):

- articles: the edition's article files as loaded (with their clean-up
  warnings), one entry for all, each under its bytes and where it was read
  from; reused while its pictures' bytes hold;
- pages: a composed page (its layout tree, layout.json line, problems and
  the jumps it sends on): the edition's fields and list of pages, the
  page's own slots in edition.yaml, the template, the fonts, its articles
  (their files' bytes) and pictures, the jumps arriving, and for page 1 (the
  masthead's 今日导读) every page's slots and every article's front matter;
- ops: a page's PDF operators: its layout.json line and the fonts;
- reader: a page's compressed content stream in the reader edition: the
  same as its operators;
- fonts: the reader edition's embedded fonts: the face and the characters
  drawn with it;
- print: a print page's PDF: its layout.json line, the render options and
  the fonts.

Every key also holds banmian's version and its source files' sizes and dates.

A reused result is the very bytes a clean build would make, so the output
stays byte-identical. Entries not used by a build are removed after it. The
cache holds pickles that banmian itself wrote into the build's own output
folder; delete the folder (or build with --clean) to start afresh.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
from pathlib import Path

from . import __version__

CACHE_FORMAT = 1


def fonts_identity(registry) -> str:
    """The faces (name, size, date) and the chains that map roles to them."""
    parts = [registry.config.read_text(encoding="utf-8")]
    for face in registry.faces.values():
        st = face.path.stat()
        parts.append(f"{face.psname}|{st.st_size}|{st.st_mtime_ns}|{face.index}")
    return "\n".join(sorted(parts))


# the libraries whose output a cached result holds (page streams, font programs, pickles)
LIBRARIES = ("reportlab", "fontTools", "pikepdf", "PIL", "yaml")


@functools.lru_cache(maxsize=1)
def code_identity() -> str:
    """banmian's own source files (name, size, date) and the versions of the libraries it
    draws with: results made by other code are never reused, even within one version
    number while banmian is being worked on."""
    from importlib.util import find_spec
    package = Path(__file__).resolve().parent
    parts = []
    for name in LIBRARIES:
        # where the library is and its __init__'s size and date: an upgrade rewrites it
        # (importlib.metadata would scan every installed distribution: ~40 ms)
        spec = find_spec(name)
        st = os.stat(spec.origin) if spec is not None and spec.origin else None
        parts.append(f"{name}|{spec.origin if spec else '-'}|{st.st_size if st else 0}|{st.st_mtime_ns if st else 0}")
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yaml") and path.is_file():
            st = path.stat()
            parts.append(f"{path.relative_to(package)}|{st.st_size}|{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def key_of(*parts) -> str:
    h = hashlib.sha256(f"banmian {__version__} {code_identity()} cache {CACHE_FORMAT}".encode())
    for part in parts:
        h.update(b"\0")
        h.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
    return h.hexdigest()


class BuildCache:
    """One build's view of the cache folder: get, put, and forget what was not used."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.used: set[Path] = set()
        self.kinds: dict[str, list[int]] = {}   # kind -> [hits, misses]

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        return self.folder / kind / f"{key}{suffix}"

    def get_bytes(self, kind: str, key: str, suffix: str = ".bin") -> bytes | None:
        if self.folder is None:
            return None
        path = self._path(kind, key, suffix)
        self.used.add(path)
        count = self.kinds.setdefault(kind, [0, 0])
        try:
            data = path.read_bytes()
        except OSError:
            count[1] += 1
            return None
        count[0] += 1
        return data

    def put_bytes(self, kind: str, key: str, data: bytes, suffix: str = ".bin") -> None:
        if self.folder is None:
            return
        path = self._path(kind, key, suffix)
        self.used.add(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def get_object(self, kind: str, key: str):
        data = self.get_bytes(kind, key, ".pickle")
        if data is None:
            return None
        try:
            return pickle.loads(data)
        except Exception:  # a damaged entry is a miss
            self.kinds[kind][0] -= 1
            self.kinds[kind][1] += 1
            return None

    def put_object(self, kind: str, key: str, obj) -> None:
        self.put_bytes(kind, key, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), ".pickle")

    def merge(self, used: set[Path], kinds: dict[str, list[int]]) -> None:
        """Take in what a worker process used of the same cache folder."""
        self.used |= used
        for kind, (hits, misses) in kinds.items():
            count = self.kinds.setdefault(kind, [0, 0])
            count[0] += hits
            count[1] += misses

    def prune(self) -> None:
        """Remove entries this build did not use, so the cache never outgrows one edition."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.rglob("*"):
            if path.is_file() and path not in self.used:
                with contextlib.suppress(OSError):
                    path.unlink()

    def stats(self) -> dict:
        """Hits and misses in all, and by kind (flows, pages, ops, print)."""
        return {"hits": sum(h for h, _ in self.kinds.values()), "misses": sum(m for _, m in self.kinds.values()),
                "kinds": {k: {"hits": h, "misses": m} for k, (h, m) in sorted(self.kinds.items())}}
