"""The engine of a build: which pages are composed and drawn, in which process, and which
results are taken from the incremental cache — the only module that knows cache keys,
worker processes and stage times. The stages it runs know none of this:
`compose.page.compose_page` composes one page from explicit inputs, `render.pdf.page_ops`
draws one, `render.edition` makes the products from the drawings.

(The load stage's memory, `CachedArticles`, is in `preload`: a process that only loads
imports it.)

`compose_edition`: pages are composed in order (a jump carries an article's overflow to a
later page), cut into runs no jump crosses when several processes work (`_ranges`), and
each page is drawn as soon as it is composed. A page's cache key is the hash of what its
composition reads (`_page_key`): the edition's fields and page list, its slots and their
articles' text and pictures, what arrives from earlier pages' jumps, and for page 1 what
its masthead prints (`furniture.masthead_copy`); its entry holds the page and its drawing.

`draw_products`: the reader edition and the print pages from the drawings, print pages
shared out to workers while this process makes the reader edition; a page's reader
stream and print PDF are cached under its layout.json line.

Memory: a composed page is held as its head, its line's place in a `tree.LineSpool` and
its drawing's in a `render.drawing.DrawingSpool` (temporary files), and a print page,
once made, as its file staged in OUT (`output.Staged`) — not as objects or bytes held to
the end of the build. A page taken from the cache decodes only its head: its line and
drawing go to the spools as the entry holds them — except in a watching process, which
keeps the entries it read decoded (`cache.BuildCache.get_decoded`) and hands their lines
and drawings on as they are held there.
"""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from . import codec
from .compose.body import BodyFlow, body_flow
from .compose.display import Setter
from .compose.furniture import masthead_copy
from .compose.page import _Pending, _Piece, compose_page
from .edition.model import Article, Edition, Image, Page
from .fonts import FontRegistry, codepoint
from .problems import Problems
from .render.drawing import DrawingSpool, encode_drawing
from .styles import PageTemplate
from .tree import EditionTree, LineBlocks, LineSpool, PageTree, SpooledLine, kept_blocks, page_line


class _Flows:
    """Article id -> its set body (BodyFlow), set the first time a page being composed
    needs it: a page reused from the cache needs none. (Bodies are not cached by
    themselves: pickling them cost a clean 64-page build 0.25 s, and setting again the
    few articles of the pages an edit composes again takes milliseconds.)"""

    def __init__(self, articles: list[Article], tpl: PageTemplate, registry: FontRegistry, setter: Setter):
        self._articles = {a.id: a for a in articles}
        self._tpl, self._registry, self._setter = tpl, registry, setter
        self._flows: dict[str, BodyFlow] = {}
        self.seconds = 0.0          # spent setting bodies

    def __getitem__(self, article_id: str) -> BodyFlow:
        flow = self._flows.get(article_id)
        if flow is None:
            t0 = time.perf_counter()
            flow = body_flow(self._articles[article_id], self._tpl.column_width, self._tpl.body_size,
                             self._registry, self._setter)
            self.seconds += time.perf_counter() - t0
            self._flows[article_id] = flow
        return flow

    def done(self, page: Page) -> None:
        """The page's articles are placed (what did not fit travels on with its jump): their
        bodies are not needed again, and are not held to the end of a long edition."""
        for s in page.slots:
            self._flows.pop(s.article.id, None)


@dataclass
class _Job:
    """What composing a run of pages reads — in this process or in a forked worker."""
    edition: Edition
    tpl: PageTemplate
    registry: FontRegistry
    allow_overset: bool
    article_keys: dict[str, str]  # article id -> hash of what its body depends on (with a cache)
    base: str                     # the key part every page shares (with a cache)
    draw: object = None           # page -> its drawing, made as soon as a page is composed
    lines: PreviousLines | None = None   # OUT's layout.json, where a page entry's line is found
    # display lines set once for every run of pages this process (or one forked from it)
    # composes: bylines and kickers recur from article to article
    setter: Setter | None = None

    def __getstate__(self) -> dict:
        # a worker started afresh (no fork) makes its own: the setter's tables hold the
        # compiled core's, which do not pickle
        return {**self.__dict__, "setter": None}


def _article_keys(edition: Edition, tpl: PageTemplate, registry: FontRegistry, cache) -> dict[str, str]:
    """Article id -> the hash of what its set body depends on (text, measure, size, fonts)."""
    from .cache import fonts_identity, key_of
    if cache is None:
        return {}
    fonts = fonts_identity(registry)
    return {a.id: key_of("article", a.id, a.digest, tpl.column_width, tpl.body_size, fonts)
            for a in edition.articles}


@dataclass
class _Composed:
    tree: PageTree
    line: bytes | SpooledLine     # its layout.json line, UTF-8 (in this process: on disk, in the spool)
    problems: Problems
    drawing: object = None        # job.draw(tree): made when the page was composed, or kept by the cache


def _compose_range(job: _Job, pages: list[Page], cache, setter: Setter, progress=None,
                   spool: LineSpool | None = None,
                   drawings: DrawingSpool | None = None) -> tuple[list[_Composed], float]:
    """Compose consecutive pages (no jump arrives from before them); returns them and the
    seconds spent setting article bodies. Their layout.json lines go to `spool` and their
    drawings to `drawings` if given (else they are returned: a worker's pages).

    A page reused from the cache is its entry: its layout.json line (kept as it is), then
    the page without its blocks, its jump lines and ads, its problems, the jumps it sends
    on and its drawing. A page composed now is drawn at once (`job.draw`) and then held as its line
    (`LineBlocks`): its blocks are not kept, in memory or in the cache — the drawing is
    what the products are made from."""
    edition, tpl = job.edition, job.tpl
    if cache is not None:
        from .cache import register_types
        register_types()    # the types a page entry may hold
    flows = _Flows(list(edition.articles), tpl, job.registry, setter)
    by_id = {a.id: a for a in edition.articles}
    pending = _Pending()
    out: list[_Composed] = []
    for page in pages:
        arriving = pending.pieces.pop(page.number, [])
        key = _page_key(job.base, edition, page, arriving, job.article_keys) if cache is not None else None
        hit = _cached_page(cache, key, job.draw is not None, job.lines) if key is not None else None
        if hit is not None:
            # an entry a watching process keeps in memory is not spooled: it is held there
            held = cache.memory is not None
            line, drawing = hit.line, hit.drawing
            if spool is not None:
                line = (spool.add_held if held else spool.add)(page.number, line, hit.digest)
            if drawing is not None and not held:   # spooled here, or sent back encoded from a worker
                drawing = drawings.add(page.number, drawing.encoded) if drawings is not None else drawing.encoded
            tree = replace(hit.head, blocks=LineBlocks(line, hit.kept))
            for target, piece in hit.outgoing:
                pending.pieces.setdefault(target, []).append(replace(piece, article=by_id[piece.article]))
            out.append(_Composed(tree, line, Problems(list(hit.problems)), drawing))
        else:
            before = {n: len(v) for n, v in pending.pieces.items()}
            page_problems = _flow_problems(page, flows)
            pieces = [_Piece(s.article, s.rank, flows[s.article.id].lines, s.origin, s.place, s.continue_on)
                      for s in page.slots] + arriving
            tree = compose_page(edition, page, pieces, tpl, setter, pending, page_problems, job.allow_overset)
            flows.done(page)
            line = page_line(tree).encode()
            digest = hashlib.sha256(line).hexdigest()
            drawing = encode_drawing(job.draw(tree)) if job.draw else None
            if key is not None:
                # what this page sends on: continuations of its jumps, with the article by id
                outgoing = [(n, replace(pc, article=pc.article.id)) for n, v in pending.pieces.items()
                            for pc in v[before.get(n, 0):]]
                entry = codec.encode((replace(tree, blocks=()), kept_blocks(tree), page_problems, outgoing))
                # the line by its digest: layout.json in OUT will hold it (`PreviousLines`)
                cache.put_records("pages", key, [digest.encode("ascii"), entry, *(drawing or ())])
            if spool is not None:
                line = spool.add(page.number, line, digest)
            if drawing is not None:
                if drawings is not None:
                    drawing = drawings.add(page.number, drawing)
                tree = replace(tree, blocks=LineBlocks(line, kept_blocks(tree)))
            out.append(_Composed(tree, line, page_problems, drawing))
        if progress:
            progress(page.number)
    return out, flows.seconds


class _PageEntry(NamedTuple):
    """A page's cache entry, decoded as far as a build needs."""
    line: bytes               # its layout.json line
    digest: str               # the line's SHA-256
    head: PageTree            # the page without its blocks
    kept: tuple               # its jump lines and ads
    problems: tuple
    outgoing: tuple           # the jumps it sends on: (page number, _Piece with the article's id)
    drawing: object           # render.drawing.HeldDrawing, or None: composed by a build that drew nothing


def _decode_page(payload: bytes, lines: PreviousLines | None) -> _PageEntry | None:
    """A page entry: its line's digest, the page without blocks, and its drawing's records
    (`BuildCache.put_records`); None when OUT's layout.json no longer holds the line."""
    from .render.drawing import EncodedDrawing, HeldDrawing
    records = payload.split(b"\n")
    if len(records) not in (2, 2 + len(EncodedDrawing._fields)):
        raise codec.CodecError(f"a page entry of {len(records)} records")
    digest, entry, *drawing = records
    digest = digest.decode("ascii", "replace")
    line = lines.get(digest) if lines is not None else None
    if line is None:
        return None
    head, kept, page_problems, outgoing = codec.decode(entry)
    if not (isinstance(kept, (list, tuple)) and isinstance(page_problems, Problems)
            and isinstance(outgoing, (list, tuple))):
        raise codec.CodecError("not a page entry's blocks, problems and jumps")
    return _PageEntry(line, digest, head, tuple(kept), tuple(page_problems), tuple(outgoing),
                      HeldDrawing(EncodedDrawing(*drawing)) if drawing else None)


def _cached_page(cache, key: str, drawn: bool, lines: PreviousLines | None) -> _PageEntry | None:
    """A page's cache entry; None if there is none, it is unreadable, its line is not in
    OUT's layout.json, or it lacks the drawing a build needs."""
    hit = cache.get_decoded("pages", key, ".json", lambda payload: _decode_page(payload, lines))
    if hit is None or (drawn and hit.drawing is None):   # composed by a build that drew nothing (check)
        return None
    return hit


# layout.json of the largest edition (999 pages, ~140 KB a page) is far below this, and a
# page's line below the second: a file or line above them in OUT is not one a build wrote
MAX_LAYOUT_BYTES = 1 << 30
MAX_LINE_BYTES = 64 << 20


class PreviousLines:
    """The page lines of the layout.json a build finds in OUT, by their SHA-256. A page's
    cache entry names its line by digest instead of holding a copy: OUT has it (8.8 of a
    64-page edition's 14.7 MB of entries were those copies). Nothing in OUT is trusted
    without a check: a line is taken only if its bytes have the digest the signed entry
    names — an altered or missing layout.json leaves the page to be composed again. The
    file is read once, when the first entry asks, and only an index of where each line
    is kept (a 1,000-page edition's lines are ~140 MB)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._at: dict[str, tuple[int, int]] | None = None

    def get(self, digest: str) -> bytes | None:
        if self._at is None:
            self._at = self._index()
        where = self._at.get(digest)
        if where is None or self.path is None:
            return None
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as f:
                f.seek(where[0])
                line = f.read(where[1])
        except OSError:
            return None
        # read again, the line is checked again: the file may have changed since its index
        return line if hashlib.sha256(line).hexdigest() == digest else None

    def _index(self) -> dict[str, tuple[int, int]]:
        """Digest -> (offset, length) of every line between layout.json's head and foot
        (`build.layout_json_chunks`: a page per line, a comma after all but the last)."""
        at: dict[str, tuple[int, int]] = {}
        if self.path is None:
            return at
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as f:
                if os.fstat(f.fileno()).st_size > MAX_LAYOUT_BYTES:   # not one a build wrote
                    return at
                offset = 0
                while raw := f.readline(MAX_LINE_BYTES):
                    line = raw.rstrip(b"\n")
                    if line.endswith(b","):
                        line = line[:-1]
                    if raw.endswith(b"\n") or len(raw) < MAX_LINE_BYTES:
                        at[hashlib.sha256(line).hexdigest()] = (offset, len(line))
                    offset += len(raw)   # (a longer line is passed over piece by piece)
        except OSError:
            return {}
        return at


def compose_range_in_worker(state, span: tuple[int, int]):
    """A worker's run of pages, sent back without the blocks of pages it drew (see
    `_compose_range`), and what the worker read and wrote of the cache."""
    from .cache import BuildCache
    job, folder = state
    cache = BuildCache(folder) if folder is not None else None
    composed, _ = _compose_range(job, list(job.edition.pages[span[0]:span[1]]), cache,
                                 job.setter or Setter(job.registry))
    pages = []
    for c in composed:
        drawn = isinstance(c.tree.blocks, LineBlocks)
        pages.append((replace(c.tree, blocks=()), None if drawn else tuple(c.tree.blocks), kept_blocks(c.tree),
                      c.line, c.problems, c.drawing))
    return pages, (cache.used, cache.kinds, cache.rejected) if cache is not None else (set(), {}, 0)


# Fewer pages to compose (or print pages to draw) than this, and a build does the work in
# this process: forking a worker costs more than it saves — a compose worker would mostly
# read pages from the cache and send them back, and this process, forked, runs slower
# while the worker lives (64 synthetic pages, one article edited, -j2: compose 0.12 s and
# the reader edition 0.30 s, against 0.05 s and 0.22 s at -j1).
MIN_PAGES_FOR_WORKERS = 8
# Print pages a worker takes at a time: small shares keep both processes busy to the end
# (`parallel.Pool.alongside`), yet each costs a round trip. (Composing in short runs shared
# out the same way was tried: balanced, but the pages each run sent back were unpickled by
# this process while it composed — 64 pages, fresh processes: more CPU and no faster.)
PRINT_CHUNK = 2


def _to_compose(job: _Job, cache) -> int:
    """The pages a build will compose at most: those without a cache entry under the key
    they have when no jump arrives on them, and every page a jump arrives on."""
    edition = job.edition
    arrivals = {s.continue_on for p in edition.pages for s in p.slots if s.continue_on}
    return sum(1 for page in edition.pages if page.number in arrivals
               or not cache.has("pages", _page_key(job.base, edition, page, [], job.article_keys), ".json"))


def _ranges(edition: Edition, parts: int) -> list[tuple[int, int]]:
    """The pages cut into at most `parts` runs of about equal work, only where no jump
    crosses the cut (a continuation is composed after the page it comes from)."""
    pages = edition.pages
    n = len(pages)
    if parts < 2 or n < 2:
        return [(0, n)]
    reach = 0
    allowed = []
    for b in range(1, n):
        reach = max([reach] + [s.continue_on for s in pages[b - 1].slots])
        if reach <= pages[b - 1].number:
            allowed.append(b)
    weight = [500 + sum(s.article.characters for s in p.slots) for p in pages]
    total = sum(weight)
    cumulative = list(itertools.accumulate(weight))
    cuts = sorted({min(allowed, key=lambda b: abs(cumulative[b - 1] - total * i / parts))
                   for i in range(1, parts)} if allowed else set())
    bounds = [0, *cuts, n]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if a < b]


@dataclass
class ComposedEdition:
    tree: EditionTree
    problems: Problems
    lines: LineSpool            # page number -> the page's layout.json line (compact JSON, UTF-8)
    typeset_seconds: float = 0.0   # of the whole, the time this process spent setting article bodies
    drawings: dict = field(default_factory=dict)   # page number -> its drawing, made now or kept by the cache
                                                   # (`render.drawing.SpooledDrawing`: on disk)


def compose_edition(edition: Edition, tpl: PageTemplate, registry: FontRegistry,
                    allow_overset: bool = False, progress=None, pool=None, cache=None,
                    draw=None, spool_dir: Path | None = None, layout_file: Path | None = None) -> ComposedEdition:
    """Compose every page. With a pool the pages are cut into runs no jump crosses: this
    process composes the first run while workers compose the others. `draw(page)`, when
    given, is applied to each page composed now, in the process that composed it (the
    renderer's page operators: a worker has the page's blocks at hand). Lines and drawings
    are spooled in `spool_dir` (else the system's temporary folder). `layout_file`: the
    layout.json in OUT, which holds the lines of the pages the cache keeps."""
    base = _edition_key(edition, tpl, registry, allow_overset) if cache is not None else ""
    setter = Setter(registry)
    job = _Job(edition, tpl, registry, allow_overset, _article_keys(edition, tpl, registry, cache), base, draw,
               PreviousLines(layout_file) if cache is not None else None, setter)
    done = []

    def report(number: int) -> None:
        done.append(number)
        if progress:
            progress(len(done), len(edition.pages))

    parallel = pool is not None and pool.parallel
    if parallel and cache is not None and _to_compose(job, cache) < MIN_PAGES_FOR_WORKERS:
        parallel = False   # an edit's rebuild: workers would mostly send back what the cache holds
    ranges = _ranges(edition, pool.jobs if parallel else 1)
    first = ranges[0]

    spool = LineSpool(spool_dir)
    drawings = DrawingSpool(spool_dir)

    def here():
        return _compose_range(job, list(edition.pages[first[0]:first[1]]), cache, setter, report, spool, drawings)

    state = (job, cache.folder if cache is not None else None)
    (composed, typeset_seconds), theirs = (pool.alongside(state, compose_range_in_worker, ranges[1:], here)
                                           if len(ranges) > 1 else (here(), []))
    for pages, (used, kinds, rejected) in theirs:
        for head, blocks, kept, line, page_problems, drawing in pages:
            line = spool.add(head.number, line)
            if drawing is not None:
                drawing = drawings.add(head.number, drawing)
            tree = replace(head, blocks=LineBlocks(line, kept) if blocks is None else blocks)
            composed.append(_Composed(tree, line, page_problems, drawing))
            report(head.number)
        if cache is not None:
            cache.merge(used, kinds, rejected)
    problems = Problems()
    for c in composed:
        problems.extend(c.problems)
    tree = EditionTree(edition.slug, edition.paper.name, edition.paper.publisher, edition.date.isoformat(),
                       edition.issue, tpl.name, tuple(c.tree for c in composed),
                       {f.psname: f.path.name for f in registry.faces.values()})
    return ComposedEdition(tree, problems, spool, typeset_seconds,
                           {c.tree.number: c.drawing for c in composed if c.drawing is not None})


@dataclass
class KeptFonts:
    """The reader edition's embedded fonts in the build cache, by face and characters."""
    cache: object
    fonts: str                  # fonts_identity

    def _key(self, face, chars) -> str:
        from .cache import key_of
        return key_of("font", face.psname, self.fonts, "".join(sorted(chars)))

    def get(self, face, chars):
        return self.cache.get_object("fonts", self._key(face, chars))

    def keep(self, face, chars) -> None:
        """The entry stays for a later build, though this one did not read it."""
        self.cache.keep("fonts", self._key(face, chars))

    def put(self, face, chars, embedded) -> None:
        self.cache.put_object("fonts", self._key(face, chars), embedded)


@dataclass
class KeptPictures:
    """Pictures' image data (`render.pdf.Picture`: decoded, cropped, converted for the
    product and compressed) in the build cache, by `render.pdf.picture_key`: a build that
    draws the reader edition again after an edit, or a print page with pictures, does not
    decode and compress every picture again."""
    cache: object

    def _key(self, pkey: tuple) -> str:
        from .cache import key_of
        return key_of("picture", repr(pkey))

    def get(self, pkey: tuple):
        from .render.pdf import Picture
        record = self.cache.get_bytes("pictures", self._key(pkey))
        picture = Picture.from_record(record) if record is not None else None
        if record is not None and picture is None:   # signed by us yet unreadable: another banmian's
            self.cache.reject("pictures")
        return picture

    def keep(self, drawing, opts, print_mode: bool) -> None:
        """The entries of the pictures a page's drawing (`render.pdf.PageOps`) draws stay for
        a later build, though this one did not draw the page (a product it kept whole)."""
        from .render.pdf import picture_key
        if "picture" in drawing.uses:     # (a drawing's parts are decoded only then)
            for part in drawing.parts:
                if not isinstance(part, str):   # a picture's block: what render.pdf._draw_image draws
                    self.cache.keep("pictures", self._key(picture_key(part, opts, print_mode)), ".bin")

    def put(self, pkey: tuple, picture) -> None:
        self.cache.put_bytes("pictures", self._key(pkey), picture.record())


def print_pages(state, numbers: list[int]):
    """Print PDFs of the pages `numbers` (a worker's chunk), each — given OUT's print folder
    — staged beside its final name as soon as it is made (not held to the end of the
    build); returns them by page number, and their digests (`output.Digest`) for the cache.
    state: (tree, registry, render options, page keys, page drawings, print folder, the
    cache's pictures — `KeptPictures`, or None in a worker, which writes no cache)."""
    from .output import Digest, discard, print_page_path, stage
    from .render.edition import print_pdf
    tree, registry, opts, page_keys, drawings, print_dir, pictures = state
    by_number = {p.number: p for p in tree.pages}
    made: dict = {}
    digests: dict[int, bytes] = {}
    try:
        for n in numbers:
            data = print_pdf(tree, by_number[n], registry, opts, page_keys[n], drawings.get(n), pictures)
            digests[n] = Digest.of(data).record()
            made[n] = stage(print_page_path(print_dir, n), data) if print_dir is not None else data
    except BaseException:
        discard(made.values())
        raise
    return made, digests


@dataclass
class Products:
    reader: object                 # the reader edition: bytes, or `output.Staged`/`Unchanged` in OUT
    prints: dict                   # page number -> its print PDF: bytes, or `output.Staged`/`Unchanged` in OUT
    render_seconds: float          # the reader edition (and, with workers, this process's print pages)
    print_seconds: float


def draw_products(tree: EditionTree, registry: FontRegistry, opts, content_hash: str, lines: LineSpool,
                  drawings: dict, pool=None, cache=None, print_dir: Path | None = None,
                  reader_path: Path | None = None) -> Products:
    """The reader edition and every print page, from the pages' drawings (`render.pdf.PageOps`),
    reusing what the cache holds: a page's compressed content stream in the reader edition
    (its layout.json line and the fonts), the reader's embedded fonts (face and characters),
    and print pages (the line, the render options and the fonts). A print page's /ID is a
    plain hash of its line and the options — not a cache key, which also holds banmian's
    source files' dates, different in two installations of one version. With `print_dir`
    (OUT's print folder) each print page is staged there as soon as it is made
    (`output.Staged`), for `output.commit` to rename; with `reader_path`, the reader
    edition is written beside it the same way, not held as bytes.

    The cache keeps of a print page and of the reader edition only their digest
    (`output.Digest`): OUT has their bytes. A build takes OUT's file as it is
    (`output.Unchanged`) when the digest its inputs lead to matches it, and makes the
    product again when it does not (a file removed or altered since)."""
    import json

    from .cache import BuildCache, fonts_identity, key_of
    from .output import Digest, Staged, Unchanged, discard, holds_record, print_page_path, write_with
    from .parallel import Pool
    from .render.edition import reader_pdf, write_reader_pdf
    pool = pool or Pool(1)
    cache = cache or BuildCache(None)
    t0 = time.perf_counter()
    fonts = fonts_identity(registry)
    options = {k: v for k, v in dataclasses.asdict(opts).items() if k != "edition_root"}
    if opts.icc:   # the profile by its hash: it may be megabytes, hashed once per page below
        options["icc"] = hashlib.sha256(opts.icc).hexdigest()
    options = json.dumps(options, sort_keys=True, default=str)
    digests = {n: lines.digest(n) for n in lines}      # taken as the lines were spooled
    page_keys = {n: hashlib.sha256(f"print\0{d}\0{options}".encode()).hexdigest() for n, d in digests.items()}
    stream_keys = {n: key_of("reader", d, fonts) for n, d in digests.items()}
    print_keys = {n: key_of("print", page_keys[n], fonts) for n in digests}
    ops = dict(drawings)
    pictures = KeptPictures(cache)
    streams, prints = {}, {}
    staged: list = []     # the reader edition, once staged: removed should a later step fail

    def out_holds(kind: str, key: str, path: Path) -> bool:
        """Whether OUT's file at `path` is still what the cache's digest under `key` says."""
        record = cache.get_bytes(kind, key, ".digest")
        if record is None:
            return False
        if holds_record(path, record):
            return True
        cache.unusable(kind)
        return False

    # the pages' reader streams and print digests, each kind in one entry (cache.put_pack)
    reader_pack, print_pack = key_of("reader streams"), key_of("print digests")
    old_streams, old_digests = cache.get_pack("reader", reader_pack), cache.get_pack("print", print_pack)
    print_digests: dict[int, bytes] = {}
    try:
        for number in digests:
            stream = old_streams.get(stream_keys[number])
            cache.tally("reader", stream is not None)
            if stream is not None:
                streams[number] = stream
            record = old_digests.get(print_keys[number])
            if print_dir is not None and holds_record(print_page_path(print_dir, number), record):
                prints[number] = Unchanged()
                print_digests[number] = record
                pictures.keep(ops[number], opts, print_mode=True)
            if print_dir is not None:
                cache.tally("print", number in prints)
        todo = [p.number for p in tree.pages if p.number not in prints]
        # the reader edition depends on layout.json (its hash), the options and the fonts: a
        # build that changed none of them (a rebuild to check, a print page's fix) takes it whole
        edition_key = key_of("edition", content_hash, options, fonts)
        kept_reader = reader_path is not None and out_holds("edition", edition_key, reader_path)

        def make_reader():
            if kept_reader:
                # its embedded fonts stay in the cache for the next build that changes a page
                kept, drawn = KeptFonts(cache, fonts), {}
                for drawing in ops.values():
                    for psname, text in drawing.chars.items():
                        drawn.setdefault(psname, set()).update(text)
                for face in registry.faces.values():
                    if drawn.get(face.psname):
                        kept.keep(face, frozenset(drawn[face.psname]))
                for drawing in ops.values():   # and so do its pictures
                    pictures.keep(drawing, opts, print_mode=False)
                return Unchanged()
            # fills `streams`
            if reader_path is None:
                return reader_pdf(tree, registry, opts, content_hash, ops, streams, KeptFonts(cache, fonts), pictures)
            made = Staged(write_with(reader_path, lambda f: write_reader_pdf(
                f, tree, registry, opts, content_hash, ops, streams, KeptFonts(cache, fonts), pictures)))
            staged.append(made)
            return made

        parallel = pool.parallel and len(todo) >= MIN_PAGES_FOR_WORKERS
        # (print pages' pictures come from the cache when this process draws them all)
        state = (tree, registry, opts, page_keys, ops, print_dir, None if parallel else pictures)
        if parallel:
            # The workers draw print pages, two at a time, while this process draws the
            # reader edition and then takes the pages no worker has started
            # (`Pool.alongside`): the reader edition costs about what three quarters as
            # many print pages do, but how much varies with the pages and the machine.
            chunks = [todo[i:i + PRINT_CHUNK] for i in range(0, len(todo), PRINT_CHUNK)]
            # the faces' programs (their tables; glyphs are read as they are used) read once,
            # here, before the workers are forked: they inherit them
            from .render.fontembed import font_program
            for face in registry.faces.values():
                font_program(str(face.path), face.index)
            # (pages staged before a worker failed are left for the next build's
            # `output.recover` to remove)
            reader, parts = pool.alongside(state, print_pages, chunks, make_reader)
            render_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()
        else:
            reader = make_reader()
            render_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()
            parts = [print_pages(state, todo)]
        for made, made_digests in parts:
            prints.update(made)
            print_digests.update(made_digests)
        kept_digests = {print_keys[n]: print_digests[n] for n in digests if n in print_digests}
        if kept_digests != old_digests:
            cache.put_pack("print", print_pack, kept_digests)
        if not kept_reader:   # (else no stream was needed: the pack stays as it was)
            kept_streams = {stream_keys[n]: streams[n] for n in digests if n in streams}
            if kept_streams != old_streams:
                cache.put_pack("reader", reader_pack, kept_streams)
        if not kept_reader and cache.folder is not None:
            digest = Digest.of_file(reader.tmp) if isinstance(reader, Staged) else Digest.of(reader)
            cache.put_bytes("edition", edition_key, digest.record(), ".digest")
    except BaseException:
        discard([*prints.values(), *staged])
        raise
    return Products(reader, prints, render_seconds, time.perf_counter() - t0)


def _flow_problems(page: Page, flows: _Flows) -> Problems:
    """Problems of setting the bodies of the articles that start on `page`."""
    problems = Problems()
    for s in page.slots:
        flow = flows[s.article.id]
        for ch in flow.missing:
            problems.error("missing-glyph", f"no font has {ch!r} ({codepoint(ch)})", file=str(s.article.source),
                           page=page.number, article=s.article.id)
        for unit in flow.long_units:
            problems.warning("long-unit", f"'{unit}' is longer than a column line and was broken by force",
                             page=page.number, article=s.article.id)
        for message in flow.too_wide:
            problems.error("table-too-wide", message, file=str(s.article.source), page=page.number,
                           article=s.article.id)
    return problems


def _edition_key(edition: Edition, tpl: PageTemplate, registry: FontRegistry, allow_overset: bool) -> str:
    """What every page depends on: the edition's fields (paper, date, issue, template)
    and its list of pages — not other pages' articles or placements, so that moving an
    article on one page of edition.yaml composes that page again, not all of them —
    the template, the fonts and whether overset is allowed."""
    from .cache import fonts_identity, key_of
    fields = {f.name: getattr(edition, f.name) for f in dataclasses.fields(edition) if f.name != "pages"}
    pages = [(p.number, p.section, p.editor, len(p.slots), p.accent) for p in edition.pages]
    return key_of("page", repr(sorted(fields.items(), key=lambda kv: kv[0])), repr(pages), repr(tpl),
                  fonts_identity(registry), allow_overset)


def _slots_key(page: Page) -> str:
    """A page's slots as edition.yaml gives them: article, rank, placement, jump and where
    each was written (problems name the line)."""
    return repr([(s.article.id, s.rank, s.place, s.continue_on, s.continue_place, s.origin) for s in page.slots])


def _page_key(base: str, edition: Edition, page: Page, arriving: list[_Piece], article_keys: dict[str, str]) -> str:
    """A page's inputs beyond the edition's: its slots and articles (and their pictures),
    what arrives from earlier pages' jumps, and — for page 1, whose masthead lists the
    edition's headlines — every page's slots and every article's front matter."""
    from .cache import key_of
    parts: list = [base, page.number, page.origin, _slots_key(page), repr(page.ads)]
    for s in page.slots:
        parts += [s.article.id, article_keys[s.article.id]]
    for pc in arriving:
        parts += ["arriving", pc.article.id, article_keys[pc.article.id], len(pc.flow), pc.continued_from,
                  pc.place, pc.origin]
    for article in {s.article.id: s.article for s in page.slots}.values():
        parts += [b.sha256 for b in article.body if isinstance(b, Image)]
    if page.number == 1:
        # the masthead prints other pages' headlines (今日导读): page 1 depends on what it
        # prints, taken from the edition by the one function the masthead is drawn from
        parts.append(repr(masthead_copy(edition, page)))
    return key_of(*parts)
