"""Incremental builds: results of earlier builds reused when their inputs did not change.

Results are cached in OUT/<slug>/.cache/, each under the hash of
everything it depends on (and banmian's version):

- articles: the edition's article files as loaded (with their clean-up
  warnings), one entry for all, each under its bytes and where it was read
  from; reused while its pictures' bytes hold;
- pages: a composed page and its drawing, as records one per line (a build
  decodes only those it needs): its layout.json line as it is; the page
  without its blocks, its jump lines and ads, problems and the jumps it sends
  on; and its drawing (`render.drawing.EncodedDrawing`), under the hash of what
  composing it reads — the edition's fields and list of pages, the page's
  own slots in edition.yaml, the template, the fonts, its articles (their
  files' bytes) and pictures, the jumps arriving, and for page 1 what its
  masthead prints (`furniture.MastheadCopy`, 今日导读 included). The keys
  are made in `engine.py`. The blocks are not kept: the products are drawn
  from the operators, and a reused page's blocks, if asked for, are read
  back from its line (`tree.LineBlocks`);
- reader: the pages' compressed content streams in the reader edition, each
  under its layout.json line and the fonts, kept together in one entry
  (`put_pack`);
- fonts: the reader edition's embedded fonts: the face and the characters
  drawn with it;
- print: the print pages' digests (OUT holds their bytes), each under its
  layout.json line, the render options and the fonts, in one entry too;
- edition: the reader edition's digest.

A kind whose entries are one per page keeps them together where one process
writes them all: creating a file can cost far more than writing its bytes
(0.7-0.9 ms against ~0.02 ms at times on the machine the benchmarks ran on,
when the 128 files of these two kinds took 60-110 ms of a clean 64-page build).

Every key also holds banmian's version and its source files' sizes and dates.

A reused result is the very bytes a clean build would make, so the output
stays byte-identical. Entries not used by a build are removed after it.

Nothing read back is trusted: the cache lives in OUT, which anyone may copy,
share or edit. Each entry file starts with a header naming the format
version, its kind, its key, the payload's length and an HMAC-SHA256 of
all that and the payload under a key kept outside OUT (`secret()`: in the
user's cache folder). A damaged, truncated, renamed, foreign or forged entry
fails that check and is a miss: the result is made again, never read.
Objects are kept in `codec`'s JSON, which can build only banmian's own data
classes — never pickle, which can run code. Pruning never follows a
symbolic link and removes only files whose names banmian writes.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .edition.source import read_at_most
from .output import write_new

CACHE_FORMAT = 6   # 2: framed entries, codec JSON instead of pickle; 3: a page's drawing in its entry,
                  # its layout.json line kept raw before it; 4: a page entry is records, one per line;
                  # 5: a page entry names its line by digest (OUT's layout.json holds it), print pages
                  # and the reader edition are kept as digests; 6: the reader streams and the print
                  # digests in one pack each


def fonts_identity(registry) -> str:
    """The faces (name, size, date) and the chains that map roles to them."""
    parts = [registry.config.read_text(encoding="utf-8")]
    for face in registry.faces.values():
        st = face.path.stat()
        parts.append(f"{face.psname}|{st.st_size}|{st.st_mtime_ns}|{face.index}")
    return "\n".join(sorted(parts))


# the libraries whose output a cached result holds (page streams, font programs, decoded data)
LIBRARIES = ("reportlab", "fontTools", "pikepdf", "PIL", "yaml", "deflate")


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
        # (.c and the built core too: a rebuilt core must not reuse what the last one set)
        if path.suffix in (".py", ".yaml", ".c", ".so", ".pyd") and path.is_file():
            st = path.stat()
            parts.append(f"{path.relative_to(package)}|{st.st_size}|{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def key_of(*parts) -> str:
    h = hashlib.sha256(f"banmian {__version__} {code_identity()} cache {CACHE_FORMAT}".encode())
    for part in parts:
        h.update(b"\0")
        h.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
    return h.hexdigest()



@functools.lru_cache(maxsize=1)
def secret() -> bytes:
    """The key that signs this user's cache entries, kept outside every OUT folder (in
    the user's cache folder, readable by the user alone). Where it cannot be kept, a
    key for this process only: entries then never outlive it — slower, never unsafe."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "banmian"
    path = base / "cache-key"
    try:
        data = path.read_bytes()
        if len(data) == 32:
            return data
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        base.mkdir(parents=True, exist_ok=True)
        tmp = base / f".cache-key.{secrets.token_hex(8)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        try:
            os.link(tmp, path)          # first writer wins; a damaged key file is replaced
        except FileExistsError:
            data = path.read_bytes()
            if len(data) != 32:
                os.replace(tmp, path)
                return key
            key = data
        finally:
            if tmp.exists():
                tmp.unlink()
    except OSError:
        pass
    return key


MAX_ENTRY_BYTES = 512 * 1024 * 1024     # no entry banmian writes comes near this
# an entry, or the temporary file of one (`output.write_new`) a killed build left
_ENTRY_NAME = re.compile(r"\.?[0-9a-f]{64}(\.[a-z]+)?(\.[0-9a-f]{16}\.banmian-tmp)?")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _signed_head(kind: str, key: str, payload: bytes) -> tuple[bytes, bytes]:
    """An entry's header line (format, kind, key, length) and its MAC over that and the payload."""
    head = f"banmian-cache {CACHE_FORMAT} {kind} {key} {len(payload)}".encode("ascii")
    mac = hmac.new(secret(), head + b"\n", hashlib.sha256)
    mac.update(payload)          # not head + payload: an entry may be megabytes
    return head, mac.hexdigest().encode("ascii")


def unframe(data: bytes, kind: str, key: str) -> bytes | None:
    """The payload of an entry file, or None when the file is not the entry banmian
    wrote for this kind and key with this user's secret."""
    end = data.find(b"\n", 0, 300)
    if end < 0:
        return None
    head, _, mac = data[:end].rpartition(b" ")
    payload = data[end + 1:]
    expected, good = _signed_head(kind, key, payload)
    return payload if head == expected and hmac.compare_digest(mac, good) else None


class CacheMemory:
    """What a process that builds one edition again and again (`banmian watch`) keeps
    between its builds, so that a build after one edit reads and decodes only what the
    edit changed: the page entries (decoded), the reader edition's page streams and
    fonts, the digests of the print pages and the reader edition it read and checked or
    wrote (their payloads), the articles as decoded
    (`preload.CachedArticles`), and the font registry. An entry's key
    is the hash of its inputs and banmian's code, so what is kept stays right whatever
    happens on disk; what a build did not use is forgotten after it (`keep_only`)."""

    KINDS = ("pages", "reader", "fonts", "print", "edition")

    def __init__(self) -> None:
        self.entries: dict[Path, bytes] = {}
        self.decoded: dict[Path, object] = {}       # entries read with `BuildCache.get_decoded`, as decoded
        self.articles: dict[str, dict] = {}        # articles entry key -> CachedArticles.known
        self.fonts: tuple[str, object] | None = None   # (fonts_identity, FontRegistry)

    def keep_only(self, used: set[Path]) -> None:
        self.entries = {p: data for p, data in self.entries.items() if p in used}
        self.decoded = {p: value for p, value in self.decoded.items() if p in used}

    def registry(self):
        """The font registry of the last build, if its fonts did not change since; else a
        new one."""
        from .fonts import FontRegistry
        if self.fonts is not None:
            identity, registry = self.fonts
            try:
                if fonts_identity(registry) == identity:
                    return registry
            except OSError:    # a font file gone: FontRegistry says what is wrong
                pass
        registry = FontRegistry()
        self.fonts = (fonts_identity(registry), registry)
        return registry


class BuildCache:
    """One build's view of the cache folder: get, put, and forget what was not used.

    The folder and its kind folders must be real folders: a symbolic link there (which
    would send reads, writes and deletions outside OUT) turns the cache off for the
    build (`refused` says why). Given a `CacheMemory`, entries it holds are not read
    from disk again."""

    def __init__(self, folder: Path | None, memory: CacheMemory | None = None):
        self.folder = folder
        self.memory = memory
        self.refused = ""
        self.used: set[Path] = set()
        self.kinds: dict[str, list[int]] = {}   # kind -> [hits, misses]
        self.rejected = 0                        # entries present but failing their check
        self._dirs: dict[str, Path | None] = {}
        if folder is not None and not self._real_dir(folder, create=False):
            self.refused = f"{folder} is not a plain folder (a symbolic link?): the build cache is not used"
            self.folder = None

    @staticmethod
    def _real_dir(path: Path, create: bool) -> bool:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            if not create:
                return True
            try:
                path.mkdir(parents=True, exist_ok=True)
                st = os.lstat(path)
            except OSError:
                return False
        except OSError:
            return False
        return stat.S_ISDIR(st.st_mode)

    def _dir(self, kind: str, create: bool) -> Path | None:
        if self.folder is None:
            return None
        if kind not in self._dirs or (create and self._dirs[kind] is None):
            d = self.folder / kind
            ok = self._real_dir(self.folder, create) and self._real_dir(d, create)
            self._dirs[kind] = d if ok and (create or d.is_dir()) else None
        return self._dirs[kind]

    def has(self, kind: str, key: str, suffix: str = ".bin") -> bool:
        """Whether an entry is there to be read (not whether it will pass its check): a
        guess at the work a build has, which counts as neither a hit nor a miss."""
        if self.folder is None:
            return False
        path = self.folder / kind / f"{key}{suffix}"
        return (self.memory is not None and (path in self.memory.entries or path in self.memory.decoded)) \
            or path.is_file()

    def get_bytes(self, kind: str, key: str, suffix: str = ".bin") -> bytes | None:
        if self.folder is None:
            return None
        count = self.kinds.setdefault(kind, [0, 0])
        path = self.folder / kind / f"{key}{suffix}"
        if self.memory is not None and path in self.memory.entries:
            count[0] += 1
            self.used.add(path)
            return self.memory.entries[path]
        d = self._dir(kind, create=False)
        data = None
        if d is not None:
            try:
                fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
                with os.fdopen(fd, "rb") as f:
                    st = os.fstat(f.fileno())
                    if stat.S_ISREG(st.st_mode) and st.st_size <= MAX_ENTRY_BYTES:
                        data = read_at_most(f, MAX_ENTRY_BYTES)
                    else:
                        data = b""      # present, but not an entry banmian wrote
            except OSError:
                data = None
        payload = unframe(data, kind, key) if data is not None and len(data) <= MAX_ENTRY_BYTES else None
        if payload is None:
            # a rejected entry not made again by this build (put) is pruned after it
            if data is not None:
                self.rejected += 1
            count[1] += 1
            return None
        count[0] += 1
        self.used.add(path)
        if self.memory is not None and kind in CacheMemory.KINDS:
            self.memory.entries[path] = payload
        return payload

    def get_decoded(self, kind: str, key: str, suffix: str, decode: Callable[[bytes], object]):
        """`decode(payload)` of an entry, or None. With a `CacheMemory` the value is decoded
        once and kept while builds use the entry: a watching process's build after an edit
        does not split, decode and check again what earlier builds read. `decode` raises
        codec.CodecError or ValueError for a payload it cannot read: the entry is rejected
        (a miss, made again), and returns None for one this build cannot use (a miss). What
        it returns is shared by the builds that read it: data nothing changes."""
        from .codec import CodecError
        if self.folder is None:
            return None
        path = self.folder / kind / f"{key}{suffix}"
        if self.memory is not None and path in self.memory.decoded:
            self.kinds.setdefault(kind, [0, 0])[0] += 1
            self.used.add(path)
            return self.memory.decoded[path]
        payload = self.get_bytes(kind, key, suffix)
        if payload is None:
            return None
        try:
            value = decode(payload)
        except (CodecError, ValueError):   # signed by us yet unreadable: written by another banmian
            self.reject(kind)
            return None
        if value is None:      # sound, but of no use to this build
            self.unusable(kind)
            return None
        if self.memory is not None and kind in CacheMemory.KINDS:
            self.memory.entries.pop(path, None)     # held decoded instead
            self.memory.decoded[path] = value
        return value

    def get_pack(self, kind: str, key: str) -> dict[str, bytes]:
        """The records kept together under `key` (`put_pack`): record key -> bytes; {} when
        there is no usable entry. Hits and misses are the caller's to count, record by
        record (`tally`), as for entries of their own."""
        count = self.kinds.setdefault(kind, [0, 0])
        before = list(count)
        records = self.get_decoded(kind, key, ".pack", unpack)
        count[:] = before
        return records or {}

    def put_pack(self, kind: str, key: str, records: dict[str, bytes]) -> None:
        self.put_bytes(kind, key, pack(records), ".pack")

    def tally(self, kind: str, hit: bool) -> None:
        """Count a record of a pack found (and usable) or not."""
        self.kinds.setdefault(kind, [0, 0])[0 if hit else 1] += 1

    def put_bytes(self, kind: str, key: str, data: bytes, suffix: str = ".bin") -> None:
        if self.folder is None:
            return
        path = self.folder / kind / f"{key}{suffix}"
        self.used.add(path)
        if self.memory is not None and kind in CacheMemory.KINDS:
            self.memory.decoded.pop(path, None)
            self.memory.entries[path] = data
        d = self._dir(kind, create=True)
        if d is None:
            return
        head, mac = _signed_head(kind, key, data)
        tmp = None
        try:
            tmp = write_new(path, head, b" ", mac, b"\n", data)
            os.replace(tmp, path)      # replaces a link itself, never what it points to
        except OSError:                # a cache that cannot be written only costs time
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def get_object(self, kind: str, key: str):
        """The object kept under `key` (`put_object`), or None."""
        from .codec import CodecError, decode
        register_types()
        data = self.get_bytes(kind, key, ".json")
        if data is None:
            return None
        try:
            return decode(data)
        except CodecError:   # signed by us yet unreadable: written by another banmian
            self.reject(kind)
            return None

    def put_object(self, kind: str, key: str, obj) -> None:
        """Keep `obj` in codec JSON."""
        from .codec import encode
        register_types()
        self.put_bytes(kind, key, encode(obj), ".json")

    def get_records(self, kind: str, key: str) -> list[bytes] | None:
        """The records kept under `key` (`put_records`), or None."""
        data = self.get_bytes(kind, key, ".json")
        if data is None:
            return None
        return data.split(b"\n") if data else []

    def put_records(self, kind: str, key: str, records: list[bytes]) -> None:
        """Keep `records` (bytes, each without a newline: a page's layout.json line, JSON)
        one per line, each as it is — a caller decodes only the records it needs."""
        if any(b"\n" in r for r in records):
            raise ValueError("a kept record may not hold a newline")
        self.put_bytes(kind, key, b"\n".join(records), ".json")

    def unusable(self, kind: str) -> None:
        """An entry just read (a hit) that this build cannot use after all — a digest of a
        file OUT no longer holds: count it a miss."""
        self.kinds[kind][0] -= 1
        self.kinds[kind][1] += 1

    def reject(self, kind: str) -> None:
        """An entry just read (a hit) turned out unreadable: count it a miss, and rejected —
        pruned after the build unless the build makes it again."""
        if self.memory is not None:
            self.memory.__init__()     # which entry it was is not known here: keep none
        self.kinds[kind][0] -= 1
        self.kinds[kind][1] += 1
        self.rejected += 1

    def keep(self, kind: str, key: str, suffix: str = ".json") -> None:
        """Count an entry as used by this build without reading it: `prune` leaves it."""
        if self.folder is not None:
            self.used.add(self.folder / kind / f"{key}{suffix}")

    def merge(self, used: set[Path], kinds: dict[str, list[int]], rejected: int = 0) -> None:
        """Take in what a worker process used of the same cache folder."""
        self.used |= used
        self.rejected += rejected
        for kind, (hits, misses) in kinds.items():
            count = self.kinds.setdefault(kind, [0, 0])
            count[0] += hits
            count[1] += misses

    def prune(self, keep: set[Path] | None = None) -> int:
        """Remove the entries this build did not use (all of them with `keep` empty), so the
        cache never outgrows one edition; returns how many. Only files named as banmian
        names entries, directly inside a kind folder that is a real folder, are removed:
        no link is followed, nothing else is touched."""
        keep = self.used if keep is None else keep
        if self.folder is None or not self.folder.is_dir() or self.folder.is_symlink():
            return 0
        removed = 0
        with os.scandir(self.folder) as kinds:
            for kind in kinds:
                if not kind.is_dir(follow_symlinks=False):
                    continue
                with os.scandir(kind.path) as entries:
                    for entry in entries:
                        path = Path(entry.path)
                        if (_ENTRY_NAME.fullmatch(entry.name) and path not in keep
                                and not entry.is_dir(follow_symlinks=False)):
                            with contextlib.suppress(OSError):
                                os.unlink(path)
                                removed += 1
        return removed

    def clear(self) -> int:
        """Empty the cache (--clean) the way `prune` removes entries."""
        if self.memory is not None:
            self.memory.__init__()
        return self.prune(keep=set())

    def stats(self) -> dict:
        """Hits and misses in all, and by kind (articles, pages, ops, print …), and entries rejected."""
        return {"hits": sum(h for h, _ in self.kinds.values()), "misses": sum(m for _, m in self.kinds.values()),
                "rejected": self.rejected,
                "kinds": {k: {"hits": h, "misses": m} for k, (h, m) in sorted(self.kinds.items())}}


def pack(records: dict[str, bytes]) -> bytes:
    """Records as one payload: a first line listing their keys and lengths (JSON), then
    their bytes one after another."""
    index = json.dumps([[k, len(v)] for k, v in records.items()], separators=(",", ":")).encode("ascii")
    return b"".join([index, b"\n", *records.values()])


def unpack(payload: bytes) -> dict[str, bytes]:
    """`pack`'s records; ValueError for a payload `pack` did not make."""
    end = payload.find(b"\n")
    index = json.loads(payload[:end]) if end >= 0 else None
    if not isinstance(index, list):
        raise ValueError("not a pack: no index")
    records, at = {}, end + 1
    for item in index:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                and type(item[1]) is int and 0 <= item[1] <= len(payload) - at):
            raise ValueError("not a pack: a bad index entry")
        records[item[0]] = payload[at:at + item[1]]
        at += item[1]
    if at != len(payload):
        raise ValueError("not a pack: the lengths do not add up")
    return records


@functools.lru_cache(maxsize=1)
def register_article_types() -> None:
    """The data classes an article's entry may hold: the edition's model and problems (a
    process that only loads, `preload.EarlyLoad`, imports nothing that composes or draws)."""
    from . import codec
    from .edition.model import Article, Image, Origin, Paragraph, Placement, PullQuote, Span, Subhead, Table
    from .problems import Problem, Problems, Severity
    codec.register(Article, Image, Origin, Paragraph, Placement, PullQuote, Span, Subhead, Table, Problem, Problems,
                   Severity)


@functools.lru_cache(maxsize=1)
def register_types() -> None:
    """The data classes a cache entry may hold (codec builds no others)."""
    from . import codec
    from .compose.body import FlowLine
    from .compose.display import SetLine
    from .compose.page import _Piece
    from .render.fontembed import EmbeddedFont
    from .render.pdf import Mark, PageOps
    from .text.paragraph import Run, TypesetLine
    from .tree import ArticleEntry, Block, Box, Grid, PageTree, Rule, TextLine
    register_article_types()
    codec.register(EmbeddedFont, Mark, PageOps, Run, TypesetLine, SetLine, FlowLine, _Piece, ArticleEntry, Block,
                   Box, Grid, PageTree, Rule, TextLine)


