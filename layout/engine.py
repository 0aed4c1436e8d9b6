"""The engine of a build's compose stage: which pages are composed, in which process, and
which are taken from the incremental cache — the only module that knows cache keys, worker
processes and typesetting time for composing. `compose.page.compose_page` composes one
page from explicit inputs and knows none of this.

Pages are composed in order (a jump carries an article's overflow to a later page), cut
into runs no jump crosses when several processes work (`_ranges`); a page's cache key is
the hash of what its composition reads (`_page_key`): the edition's fields and page list,
its slots and their articles' text and pictures, what arrives from earlier pages' jumps,
and for page 1 what its masthead prints (`furniture.masthead_copy`).
"""
from __future__ import annotations

import dataclasses
import itertools
import time
from dataclasses import dataclass, field, replace

from .compose.body import BodyFlow, body_flow
from .compose.display import Setter
from .compose.furniture import masthead_copy
from .compose.page import _Pending, _Piece, compose_page
from .edition.model import Article, Edition, Image, Page
from .fonts import FontRegistry, codepoint
from .problems import Problems
from .styles import PageTemplate
from .tree import EditionTree, PageTree, StoredBlocks, kept_blocks, pack_blocks, page_line


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
    line: bytes                   # its layout.json line, UTF-8: half the memory of the text held to
                                  # the end of the build (a str with any hanzi takes 2 bytes a character)
    problems: Problems
    blocks: bytes | None = None   # its blocks packed (`pack_blocks`), when a cache entry was made of them
    drawing: object = None        # job.draw(tree) for a page composed now


def _compose_range(job: _Job, pages: list[Page], cache, setter: Setter, progress=None) -> tuple[list[_Composed], float]:
    """Compose consecutive pages (no jump arrives from before them); returns them and the
    seconds spent setting article bodies."""
    edition, tpl = job.edition, job.tpl
    flows = _Flows(list(edition.articles), tpl, job.registry, setter)
    by_id = {a.id: a for a in edition.articles}
    pending = _Pending()
    out: list[_Composed] = []
    for page in pages:
        arriving = pending.pieces.pop(page.number, [])
        key = _page_key(job.base, edition, page, arriving, job.article_keys) if cache is not None else None
        hit = cache.get_object("pages", key) if key is not None else None
        # the blocks are kept apart, checked now and decoded only if something reads them
        blocks = cache.get_bytes("blocks", key) if hit is not None else None
        if hit is not None and blocks is not None:
            head, jumps, line, page_problems, outgoing = hit
            tree = replace(head, blocks=StoredBlocks(blocks, jumps))
            for target, piece in outgoing:
                pending.pieces.setdefault(target, []).append(replace(piece, article=by_id[piece.article]))
            out.append(_Composed(tree, line.encode(), page_problems, blocks))
        else:
            before = {n: len(v) for n, v in pending.pieces.items()}
            page_problems = _flow_problems(page, flows)
            pieces = [_Piece(s.article, s.rank, flows[s.article.id].lines, s.origin, s.place, s.continue_on)
                      for s in page.slots] + arriving
            tree = compose_page(edition, page, pieces, tpl, setter, pending, page_problems, job.allow_overset)
            flows.done(page)
            line = page_line(tree)
            blocks = None
            if key is not None:
                # what this page sends on: continuations of its jumps, with the article by id
                outgoing = [(n, replace(pc, article=pc.article.id)) for n, v in pending.pieces.items()
                            for pc in v[before.get(n, 0):]]
                blocks = pack_blocks(tree.blocks)
                cache.put_bytes("blocks", key, blocks)
                cache.put_object("pages", key, (replace(tree, blocks=()), kept_blocks(tree), line, page_problems,
                                                outgoing))
            drawing = job.draw(tree) if job.draw else None
            if drawing is not None and blocks is not None:
                # drawn and stored: what the build still needs of the page is its drawing, its
                # layout.json line and its jumps and ads; the blocks are held as their compact
                # encoding (decoded if read), not as a page's worth of objects until the end
                tree = replace(tree, blocks=StoredBlocks(blocks, kept_blocks(tree)))
            out.append(_Composed(tree, line.encode(), page_problems, blocks, drawing))
        if progress:
            progress(page.number)
    return out, flows.seconds


def compose_range_in_worker(state, span: tuple[int, int]):
    """A worker's run of pages, sent back with their blocks encoded (as the cache keeps
    them) and what the worker read and wrote of the cache."""
    from .cache import BuildCache
    job, folder = state
    cache = BuildCache(folder) if folder is not None else None
    composed, _ = _compose_range(job, list(job.edition.pages[span[0]:span[1]]), cache, Setter(job.registry))
    pages = []
    for c in composed:
        blocks = c.blocks if c.blocks is not None else pack_blocks(c.tree.blocks)
        pages.append((replace(c.tree, blocks=()), blocks, kept_blocks(c.tree), c.line, c.problems, c.drawing))
    return pages, (cache.used, cache.kinds, cache.rejected) if cache is not None else (set(), {}, 0)


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
    lines: dict[int, bytes]     # page number -> the page's layout.json line (compact JSON, UTF-8)
    typeset_seconds: float = 0.0   # of the whole, the time this process spent setting article bodies
    drawings: dict = field(default_factory=dict)   # page number -> draw(page), for pages composed now


def compose_edition(edition: Edition, tpl: PageTemplate, registry: FontRegistry,
                    allow_overset: bool = False, progress=None, pool=None, cache=None,
                    draw=None) -> ComposedEdition:
    """Compose every page. With a pool the pages are cut into runs no jump crosses: this
    process composes the first run while workers compose the others. `draw(page)`, when
    given, is applied to each page composed now, in the process that composed it (the
    renderer's page operators: a worker has the page's blocks at hand)."""
    base = _edition_key(edition, tpl, registry, allow_overset) if cache is not None else ""
    job = _Job(edition, tpl, registry, allow_overset, _article_keys(edition, tpl, registry, cache), base, draw)
    setter = Setter(registry)
    done = []

    def report(number: int) -> None:
        done.append(number)
        if progress:
            progress(len(done), len(edition.pages))

    ranges = _ranges(edition, pool.jobs if pool is not None and pool.parallel else 1)
    first = ranges[0]

    def here():
        return _compose_range(job, list(edition.pages[first[0]:first[1]]), cache, setter, report)

    state = (job, cache.folder if cache is not None else None)
    (composed, typeset_seconds), theirs = (pool.alongside(state, compose_range_in_worker, ranges[1:], here)
                                           if len(ranges) > 1 else (here(), []))
    for pages, (used, kinds, rejected) in theirs:
        for head, blocks, jumps, line, page_problems, drawing in pages:
            composed.append(_Composed(replace(head, blocks=StoredBlocks(blocks, jumps)), line, page_problems,
                                      drawing=drawing))
            report(head.number)
        if cache is not None:
            cache.merge(used, kinds, rejected)
    problems = Problems()
    for c in composed:
        problems.extend(c.problems)
    tree = EditionTree(edition.slug, edition.paper.name, edition.paper.publisher, edition.date.isoformat(),
                       edition.issue, tpl.name, tuple(c.tree for c in composed),
                       {f.psname: f.path.name for f in registry.faces.values()})
    return ComposedEdition(tree, problems, {c.tree.number: c.line for c in composed}, typeset_seconds,
                           {c.tree.number: c.drawing for c in composed if c.drawing is not None})


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
