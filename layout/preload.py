"""The load stage of a build: articles through the build cache, and the edition loaded in a
second process while this one gets ready.

`CachedArticles`: the load stage's memory — an article file whose bytes (and pictures')
did not change is not parsed again.

`EarlyLoad`: a fresh `banmian build` spends its first ~0.2 s importing what composes
and draws (reportlab, the layout and render modules) and then ~0.15 s loading
a 64-page edition: one after the other, on one core. When the build may use a second
process, the command line forks a child before those imports. The child loads the
edition, every article parsed afresh, and sends it back through a multiprocessing pipe
(as workers send back what they made: between two processes of one build, never through
a file anyone else could write); then the articles' cache records, which the build needs
only once it has composed. The build takes what the child sent if it finished, else
loads for itself: the edition, its problems and the cache come out the same either way.
(64 synthetic pages at -j2: the load stage 0.13 → 0.07 s. At 256 pages the child's load
outlasts the imports, and the build waits for most of it.)

This module imports the loader and the cache's light parts only (nothing that composes or
draws), so that the command line can fork before importing the rest of banmian.
"""
from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from . import codec
from .cache import key_of, register_article_types
from .edition.article import load_article, picture_digest
from .edition.model import Image
from .edition.source import MAX_TEXT_BYTES, display_path, read_limited
from .problems import Problems


class CachedArticles:
    """`load_article` with a memory: an article that loaded without errors is kept in the
    build cache under its file's bytes (and where it was read from, which messages
    name), and reused while the pictures it shows still have the same bytes. The
    edition's articles are kept together in one entry (one file to read and write,
    not one per article), a record per article: `save()` writes it when something
    changed, encoding only the articles loaded anew (`records`). With `cache` None (the
    early load's child) every article is loaded anew."""

    def __init__(self, cache, root: Path):
        register_article_types()   # the types an article may hold
        self.cache = cache
        self.key = key_of("articles", root)
        memory = cache.memory.articles if cache is not None and cache.memory is not None else {}
        # key -> (its record, or None until it is encoded; the record decoded)
        self.known: dict[str, tuple[bytes | None, tuple]] = \
            (memory.get(self.key) or self._read()) if cache is not None else {}
        self.kept: dict[str, tuple[bytes | None, tuple]] = {}   # the same, for the next build

    def _read(self) -> dict[str, tuple[bytes, tuple]]:
        known = {}
        for record in self.cache.get_records("articles", self.key) or ():
            key, _, data = record.partition(b" ")
            try:
                article, found, pictures = codec.decode(data)
            except (codec.CodecError, ValueError):  # signed by us yet unreadable: another banmian's
                self.cache.reject("articles")
                return {}
            known[key.decode("ascii", "replace")] = (record, (article, found, pictures))
        return known

    def __call__(self, file: Path, root: Path, problems):
        try:
            raw = read_limited(file, MAX_TEXT_BYTES)
        except OSError:   # too large, unreadable: load_article says so
            return load_article(file, root, problems)
        key = key_of("article", file, display_path(file), root, raw)
        hit = self.known.get(key)
        if hit is not None:
            article, found, pictures = hit[1]
            if all(picture_digest(path) == digest for path, digest in pictures):
                problems.extend(found)
                self.kept[key] = hit
                return article
        found = Problems()
        article = load_article(file, root, found)
        problems.extend(found)
        if article is not None and not found.has_errors():
            pictures = [(b.path, b.sha256) for b in article.body if isinstance(b, Image)]
            self.kept[key] = (None, (article, list(found), pictures))
        return article

    def records(self) -> list[bytes]:
        """The kept articles' records, in the order they were loaded."""
        for key, (record, entry) in self.kept.items():
            if record is None:
                self.kept[key] = (key.encode() + b" " + codec.encode(entry), entry)
        return [record for record, _ in self.kept.values()]

    def save(self) -> None:
        if self.kept.keys() != self.known.keys():
            self.cache.put_records("articles", self.key, self.records())
        if self.cache.memory is not None:
            self.cache.memory.articles = {self.key: self.kept}


def save_records(cache, root: Path, records: list[bytes]) -> None:
    """Keep the article records an early load made, unless the cache holds these already."""
    key = key_of("articles", root)
    if cache.get_records("articles", key) != records:
        cache.put_records("articles", key, records)


class EarlyLoad:
    """`folder` loaded in a forked child while this process goes on (see the module's
    docstring): `take` waits for the edition, `records` then for the articles' cache
    records; `close` ends the child, whatever it was doing. The two talk through a
    multiprocessing pipe, as the build's workers do (parallel.py)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._pid: int | None = None
        self._conn = None
        if not hasattr(os, "fork"):
            return
        from multiprocessing import Pipe
        r, w = Pipe(duplex=False)
        pid = os.fork()
        if pid == 0:               # the child: whatever happens, it ends here
            code = 1
            try:
                r.close()
                _load(self.folder, w)
                code = 0
            except BaseException:   # the build loads for itself, and says what failed
                pass
            finally:
                os._exit(code)
        w.close()
        self._pid, self._conn = pid, r

    def take(self, folder: Path):
        """(edition, problems) as `load_edition` gives them, or None: the child failed, or
        loaded another folder (then the child is ended)."""
        if self._conn is None or Path(folder) != self.folder:
            self.close()
            return None
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            self.close()
            return None

    def records(self) -> list[bytes] | None:
        """The cache records of the articles `take` gave (`CachedArticles.records`), or None."""
        try:
            data = self._conn.recv_bytes() if self._conn is not None else None
        except (EOFError, OSError):
            data = None
        self.close()
        return None if data is None else (data.split(b"\n") if data else [])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)   # it only reads the edition: nothing to tidy up
            os.waitpid(self._pid, 0)
            self._pid = None

    def __enter__(self) -> EarlyLoad:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _load(folder: Path, conn) -> None:
    import gc

    from .edition.load import load_edition
    gc.disable()     # many small objects and no cycles, as in a build (build.py)
    articles = CachedArticles(None, folder.resolve())
    edition, problems = load_edition(folder, load=articles)
    conn.send((edition, problems))
    conn.send_bytes(b"\n".join(articles.records()))
