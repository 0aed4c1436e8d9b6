"""Incremental builds: results of earlier builds reused when their inputs did not change.

Two results are cached in OUT/<slug>/.cache/, each under the hash of
everything it depends on (and banmian's version):

- an article's set body (its lines of glyph runs): the article file's bytes,
  the column measure, the body size and the fonts;
- a print page's PDF: the page's part of the layout tree, the render options
  and the fonts.

A reused result is the very bytes a clean build would make, so the output
stays byte-identical. Entries not used by a build are removed after it. The
cache holds pickles that banmian itself wrote into the build's own output
folder; delete the folder (or build with --clean) to start afresh.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
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


def key_of(*parts) -> str:
    h = hashlib.sha256(f"banmian {__version__} cache {CACHE_FORMAT}".encode())
    for part in parts:
        h.update(b"\0")
        h.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
    return h.hexdigest()


class BuildCache:
    """One build's view of the cache folder: get, put, and forget what was not used."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.used: set[Path] = set()
        self.hits = 0
        self.misses = 0

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        return self.folder / kind / f"{key}{suffix}"

    def get_bytes(self, kind: str, key: str, suffix: str = ".bin") -> bytes | None:
        if self.folder is None:
            return None
        path = self._path(kind, key, suffix)
        self.used.add(path)
        try:
            data = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        self.hits += 1
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
            self.hits -= 1
            self.misses += 1
            return None

    def put_object(self, kind: str, key: str, obj) -> None:
        self.put_bytes(kind, key, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), ".pickle")

    def prune(self) -> None:
        """Remove entries this build did not use, so the cache never outgrows one edition."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.rglob("*"):
            if path.is_file() and path not in self.used:
                with contextlib.suppress(OSError):
                    path.unlink()

    def stats(self) -> dict:
        return {"hits": self.hits, "misses": self.misses}


def page_key(page_json: dict, options: dict, fonts: str) -> str:
    return key_of(json.dumps(page_json, sort_keys=True, ensure_ascii=False), json.dumps(options, sort_keys=True,
                                                                                       default=str), fonts)
