"""Compose one page (`compose_page`): its furniture, article blocks, rules and jumps — from
explicit inputs; which pages are composed, cached or sent to workers is `engine.py`'s job.

A page: masthead (page 1) or folio; then the articles — placed where
edition.yaml says, or automatically (`place.auto_place`) when no article of
the page carries a placement — each composed into its rectangle
(`article.compose_article`); column rules between articles; an article that
does not fit either jumps (`continue_on`) to a later page, where its
continuation is placed, or is overset (an error, or a red mark with
`allow_overset`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..edition.model import AD_SIZES, EAR_AD, Ad, Article, Edition, Image, Origin, Page, Placement, Slot
from ..fonts import codepoint
from ..problems import Problems
from ..styles import PageTemplate
from ..tree import (
    ArticleEntry,
    Block,
    Box,
    Grid,
    PageTree,
    Rule,
    TextLine,
)
from .article import Rect, compose_article, rows_needed
from .body import BodyFlow, FlowLine
from .display import Setter
from .furniture import EarError, fit_line, folio, masthead, masthead_copy, page_label
from .place import Item, auto_place

RULE_WIDTH = 0.5


@dataclass
class _Piece:
    """An article, or the continued part of one, to set on a page."""
    article: Article
    rank: str
    flow: list[FlowLine]
    origin: Origin
    place: Placement | None
    jump_to: int = 0
    continued_from: int = 0


@dataclass
class _Pending:
    pieces: dict[int, list[_Piece]] = field(default_factory=dict)


def content_top_row(tpl: PageTemplate, number: int) -> int:
    return (tpl.masthead_lines if number == 1 else tpl.folio_lines) + 1


def _need_fn(pieces: list[_Piece], tpl: PageTemplate, setter: Setter):
    cache: dict[tuple[int, int], int] = {}

    def need(key: int, span: int) -> int:
        if (key, span) not in cache:
            pc = pieces[key]
            cache[(key, span)] = rows_needed(pc.article, pc.rank, span, BodyFlow(pc.flow), tpl, setter,
                                             pc.continued_from)
        return cache[(key, span)]

    return need


def compose_page(edition: Edition, page: Page, pieces: list[_Piece], tpl: PageTemplate, setter: Setter,
                  pending: _Pending, problems: Problems, allow_overset: bool) -> PageTree:
    blocks: list[Block] = []
    if page.number == 1:
        copy = masthead_copy(edition, page)
        try:
            furniture, missing = masthead(copy, tpl, setter)
        except EarError as exc:
            ear = copy.ear_ad
            problems.error("ad-size", str(exc), file=page.origin.file, line=ear.line, field=ear.field,
                           page=page.number)
            furniture, missing = masthead(copy, tpl, setter, with_ear_ad=False)
    else:
        furniture, missing = folio(edition, page, tpl, setter)
    for ch in dict.fromkeys(missing):
        problems.error("missing-glyph", f"no font has {ch!r} ({codepoint(ch)}) in the page furniture",
                       page=page.number)
    blocks.extend(furniture)
    top = content_top_row(tpl, page.number)
    bottom = tpl.lines
    if page is edition.pages[-1] and _imprint_text(edition):
        # 版本记录 (报纸出版管理规定 Art. 31): the imprint closes the last page
        imprint, missing = _imprint(edition, tpl, setter)
        blocks.append(imprint)
        bottom -= IMPRINT_ROWS
        for ch in dict.fromkeys(missing):
            problems.error("missing-glyph", f"no font has {ch!r} ({codepoint(ch)}) in the imprint",
                           page=page.number)
    if any(a.size != EAR_AD and a.place is None for a in page.ads):
        ad_blocks, ad_rows = _ads(page, tpl, top, bottom, edition.root, problems)
        blocks.extend(ad_blocks)
        bottom -= ad_rows
    rows = bottom - top + 1
    rects = _placements(page, pieces, tpl, setter, top, rows, problems) if rows > 0 else {}
    auto = all(pc.place is None for pc in pieces) and bool(pieces)
    entries: list[ArticleEntry] = []
    taken: list[tuple[Rect, _Piece | Ad]] = []
    for ad, rect, block in _grid_ads(page, tpl, top, bottom, auto, edition.root, problems):
        blocks.append(block)
        taken.append((rect, ad))
    for i, pc in enumerate(pieces):
        rect = rects.get(i)
        if rect is None:
            continue
        where = dict(file=pc.origin.file, line=pc.origin.line, page=page.number, article=pc.article.id)
        clash = next((o for r, o in taken if _rect_overlap(r, rect)), None)
        if clash is not None:
            what = f"the ad {clash.file.name}" if isinstance(clash, Ad) else f"article {clash.article.id}"
            problems.error("overlap", f"placement overlaps {what}", field=pc.origin.field + ".place", **where)
            continue
        taken.append((rect, pc))
        composed = compose_article(pc.article, pc.rank, rect, tpl, setter, pc.flow,
                                   continued_from=pc.continued_from, jump_to=pc.jump_to,
                                   edition_root=edition.root, accent=bool(edition.accent and page.accent))
        for ch in dict.fromkeys(composed.missing):
            problems.error("missing-glyph", f"no font has {ch!r} ({codepoint(ch)}) in the headline deck",
                           **where)
        box = Box(tpl.column_x(rect.column), tpl.row_top(rect.row), tpl.span_width(rect.span),
                  rect.rows * tpl.line_pitch)
        for message in lines_outside(composed.blocks, box.x, box.right, f"its {rect.span}-column block"):
            problems.error("too-wide", message + ": shorten it or give the article more columns",
                           field=pc.origin.field, **where)
        if pc.article.tint:
            # 底纹: the background first, under the deck and body (and within the frame)
            pad = tpl.gutter / 3
            blocks.append(Block("tint", Box(box.x - pad, box.y, box.w + 2 * pad, box.h), pc.article.id,
                                fill=pc.article.tint))
        blocks.extend(composed.blocks)
        for severity, kind, message in composed.notes:
            add = problems.error if severity == "error" else problems.warning
            add(kind, message, field=pc.origin.field, **where)
        if pc.article.frame:
            pad = tpl.gutter / 3
            fb = Box(box.x - pad, box.y, box.w + 2 * pad, box.h)
            blocks.append(Block("frame", fb, pc.article.id, rules=frame_rules(fb, pc.article.frame)))
        jumped = 0
        if composed.rest:
            if pc.jump_to and not pc.continued_from:
                jumped = pc.jump_to
                pending.pieces.setdefault(pc.jump_to, []).append(
                    _Piece(pc.article, "normal", composed.rest, pc.origin,
                           _slot_of(edition, pc.article).continue_place, 0, page.number))
            else:
                over_chars = sum(len(fl.text) for fl in composed.rest)
                over_lines = len(composed.rest)
                problems.error("overset", f"overset: {over_chars} characters, {over_lines} lines do not fit "
                               f"in {rect.span} × {rect.rows} grid cells", field=pc.origin.field, **where)
                if allow_overset:
                    blocks.append(_overset_mark(box, over_lines, setter, pc.article.id))
        elif composed.empty_rows > 2:
            problems.warning("underset", f"underset: {composed.empty_rows} empty lines at the foot of each "
                             "column", field=pc.origin.field, **where)
        entries.append(ArticleEntry(pc.article.id, pc.article.headline.replace("|", ""), pc.article.kicker,
                                    pc.article.subhead, pc.article.byline, box,
                                    2 if pc.continued_from else 1, pc.continued_from, jumped,
                                    composed.characters))
    for message in lines_outside([b for b in blocks if not b.article], tpl.left, tpl.left + tpl.type_width,
                                 "the type area"):
        problems.error("too-wide", message, page=page.number, file=page.origin.file, line=page.origin.line,
                       field=page.origin.field)
    blocks.extend(_column_rules([r for r, _ in taken], tpl, top))
    grid = Grid(tpl.columns, tpl.column_width, tpl.gutter, tpl.lines, tpl.line_pitch, tpl.left, tpl.top,
                tpl.baseline(1))
    return PageTree(page.number, page_label(tpl, page.number), page.section, page.editor, tpl.width,
                    tpl.height, _bleed(tpl), tpl.crop_marks, grid, tuple(blocks), tuple(entries), auto)


IMPRINT_ROWS = 2
IMPRINT_SIZE = 8.0


def _imprint_text(edition: Edition) -> str:
    paper = edition.paper
    bits = [f"{paper.publisher or paper.name}出版"]
    if paper.address:
        bits.append(f"地址：{paper.address}")
    if paper.serial:
        bits.append(f"国内统一连续出版物号：{paper.serial}")
    if paper.postal_code:
        bits.append(f"邮发代号：{paper.postal_code}")
    if paper.price:
        bits.append(f"零售价：{paper.price}")
    if paper.printer:
        bits.append(f"印刷：{paper.printer}")
    return "　".join(bits) if len(bits) > 1 else ""


def _imprint(edition: Edition, tpl: PageTemplate, setter: Setter) -> tuple[Block, list[str]]:
    """The imprint line under a rule across the type area, in the last grid rows."""
    row = tpl.lines - IMPRINT_ROWS + 1
    y_rule = tpl.row_top(row) + 4
    sl = fit_line(setter, _imprint_text(edition), "kai", IMPRINT_SIZE, tpl.type_width)
    x = tpl.left + max(0.0, (tpl.type_width - sl.width) / 2)
    line = TextLine(sl.text, x, tpl.baseline(row + 1), sl.runs, sl.width)
    rule = Rule(tpl.left, y_rule, tpl.left + tpl.type_width, y_rule, 0.5)
    box = Box(tpl.left, tpl.row_top(row), tpl.type_width, IMPRINT_ROWS * tpl.line_pitch)
    return Block("imprint", box, "", (line,), (rule,)), list(sl.missing)


def _bleed(tpl: PageTemplate) -> float:
    from ..units import mm
    return mm(tpl.bleed_mm)


def _slot_of(edition: Edition, article: Article) -> Slot:
    return next(s for p in edition.pages for s in p.slots if s.article is article)


def _ads(page: Page, tpl: PageTemplate, top: int, bottom: int, root, problems: Problems) -> tuple[list[Block], int]:
    """The page's booked ads, across the type area at its foot in the order booked, each its
    module's share of the rows between `top` and `bottom` (整版 all of them) or its `rows`;
    a blank grid line parts them from the stories above. Returns the blocks and the rows taken."""
    available = bottom - top + 1
    foot = [ad for ad in page.ads if ad.size != EAR_AD and ad.place is None]
    heights = [ad.rows or max(1, round(available * AD_SIZES[ad.size])) for ad in foot]
    gap = 1 if page.slots else 0
    if sum(heights) + gap > available:
        first = foot[0]
        problems.error("ad-size", f"the page's ads need {sum(heights)} rows and it has {available - gap}",
                       file=page.origin.file, line=first.line, field=first.field, page=page.number)
        return [], 0
    out, row = [], bottom - sum(heights) + 1
    for ad, rows in zip(foot, heights):
        rel = ad.file.relative_to(root) if root else ad.file
        out.append(Block("ad", Box(tpl.left, tpl.row_top(row), tpl.type_width, rows * tpl.line_pitch),
                         image=str(rel), image_sha256=ad.sha256, label=ad.advertiser))
        row += rows
    return out, sum(heights) + gap


def _grid_ads(page: Page, tpl: PageTemplate, top: int, bottom: int, auto: bool, root,
              problems: Problems) -> list[tuple[Ad, Rect, Block]]:
    """The ads booked in grid cells (`place`), each with its rectangle and block. Only a page
    laid out by hand takes them: automatic layout fills strips of whole columns to the foot."""
    out = []
    for ad in page.ads:
        if ad.place is None:
            continue
        p = ad.place
        where = dict(file=page.origin.file, line=ad.line, field=ad.field + ".place", page=page.number)
        if auto:
            problems.error("ad-size", "an ad in grid cells needs a page laid out by hand: give every article "
                           "a place (or book the ad by size at the foot)", **where)
            continue
        if p.column + p.span - 1 > tpl.columns or p.row < top or p.row + p.rows - 1 > bottom:
            problems.error("placement", f"the ad runs off the page's type area (columns 1–{tpl.columns}, "
                           f"rows {top}–{bottom})", **where)
            continue
        rect = Rect(p.column, p.span, p.row, p.rows)
        if any(_rect_overlap(rect, r) for _, r, _ in out):
            problems.error("overlap", "the ad overlaps another ad", **where)
            continue
        rel = ad.file.relative_to(root) if root else ad.file
        box = Box(tpl.column_x(p.column), tpl.row_top(p.row), tpl.span_width(p.span), p.rows * tpl.line_pitch)
        out.append((ad, rect, Block("ad", box, image=str(rel), image_sha256=ad.sha256, label=ad.advertiser)))
    return out


def _placements(page: Page, pieces: list[_Piece], tpl: PageTemplate, setter: Setter, top: int, rows: int,
                problems: Problems) -> dict[int, Rect]:
    placed = [pc.place is not None for pc in pieces]
    if not pieces:
        return {}
    if all(placed):
        rects = {}
        for i, pc in enumerate(pieces):
            p = pc.place
            rect = Rect(p.column, p.span, p.row, p.rows)
            field = pc.origin.field + (".continue_place" if pc.continued_from else ".place")
            where = dict(file=pc.origin.file, line=pc.origin.line, page=page.number, article=pc.article.id,
                         field=field)
            if p.span > tpl.columns:
                problems.error("placement", f"span {p.span} is wider than the page's {tpl.columns} columns",
                               **where)
            elif p.column + p.span - 1 > tpl.columns or p.row + p.rows - 1 > top + rows - 1:
                last = top + rows - 1
                what = f"rows 1–{last}" + ("; the imprint takes the rows below" if last < tpl.lines else "")
                problems.error("placement", f"placement runs off the page (columns 1–{tpl.columns}, {what})",
                               **where)
            elif p.row < top:
                problems.error("placement", f"placement covers the {'masthead' if page.number == 1 else 'folio'}"
                               f" (content starts at row {top})", **where)
            else:
                rects[i] = rect
        return rects
    if any(placed):
        for pc in pieces:
            if pc.place is None:
                what = "continue_place" if pc.continued_from else "place"
                problems.error("placement", f"page {page.number} places some articles by hand: give this one a "
                               f"'{what}' too (or remove every placement for automatic layout)",
                               file=pc.origin.file, line=pc.origin.line, field=pc.origin.field,
                               page=page.number, article=pc.article.id)
        return {}
    items = [Item(i, pc.rank) for i, pc in enumerate(pieces)]
    rects = auto_place(items, tpl.columns, top, rows, _need_fn(pieces, tpl, setter))
    if rects is None:
        total = sum(len(pc.flow) for pc in pieces)
        pictures = sum(isinstance(b, Image) for pc in pieces if not pc.continued_from for b in pc.article.body)
        also = f" and {pictures} picture{'s' if pictures > 1 else ''}" if pictures else ""
        problems.error("overset", f"automatic layout cannot fit the page's {len(pieces)} articles "
                       f"({total} body lines{also}) without overset; move an article, add a jump"
                       f"{' or drop a picture' if pictures else ''}", page=page.number)
        return {}
    return rects


TOLERANCE = 0.5   # pt: rounding, and a closing mark's half-em hanging at a line end


def lines_outside(blocks, left: float, right: float, space: str) -> list[str]:
    """What is drawn beyond [left, right] (a block's columns, the type area), and display
    lines of one block that run into each other on one baseline: a long headline at its
    smallest size, an imprint or a section name too long for the page. Vertical
    headlines are checked where they are set."""
    out = []
    for b in blocks:
        spans: dict[float, list[tuple[float, float, str]]] = {}
        for ln in b.lines:
            if ln.vertical or not ln.runs:
                continue
            x0, x1 = ln.x, ln.x + ln.measure
            if x0 < left - TOLERANCE or x1 > right + TOLERANCE:
                over = max(left - x0, x1 - right)
                out.append(f"the {b.kind} line '{_short(ln.text)}' runs {over:.0f} pt past {space}")
            spans.setdefault(round(ln.baseline, 1), []).append((x0, x1, ln.text))
        for row in spans.values():
            row.sort()
            for (_, a1, at), (b0, _, bt) in zip(row, row[1:]):
                if b0 < a1 - TOLERANCE:
                    out.append(f"in the {b.kind}, '{_short(at)}' runs into '{_short(bt)}'")
    return out


def _short(text: str, n: int = 16) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _rect_overlap(a: Rect, b: Rect) -> bool:
    return (a.column < b.column + b.span and b.column < a.column + a.span
            and a.row < b.row + b.rows and b.row < a.row + a.rows)


def _rect_rules(b: Box, width: float = RULE_WIDTH) -> tuple[Rule, ...]:
    return (Rule(b.x, b.y, b.right, b.y, width), Rule(b.right, b.y, b.right, b.bottom, width),
            Rule(b.x, b.bottom, b.right, b.bottom, width), Rule(b.x, b.y, b.x, b.bottom, width))


# the rules of a box's border, outside in: (inset from the box's edge, width) in points
FRAME_RULES = {"single": ((0.0, RULE_WIDTH),),
               "double": ((0.0, 0.5), (2.0, 0.5)),          # 双线: two hairlines
               "wenwu": ((0.0, 1.5), (2.75, 0.4))}          # 文武线: a heavy rule and a hairline inside it


def frame_rules(b: Box, style: str) -> tuple[Rule, ...]:
    """The border of a boxed story (框) in `style`; each rule centred on its line, so a
    rule `inset` in from the edge draws half its width either side of it."""
    out: list[Rule] = []
    for inset, width in FRAME_RULES[style]:
        out.extend(_rect_rules(Box(b.x + inset, b.y + inset, b.w - 2 * inset, b.h - 2 * inset), width))
    return tuple(out)


def _column_rules(rects: list[Rect], tpl: PageTemplate, top: int) -> list[Block]:
    """A thin rule in the gutter left of every block that does not start at column 1, and
    one across the top of every block below another (newspaper.md: block layout with rules)."""
    out = []
    for r in rects:
        y0 = tpl.row_top(r.row)
        y1 = tpl.row_top(r.row + r.rows)
        if r.column > 1:
            x = tpl.column_x(r.column) - tpl.gutter / 2
            out.append(Block("rule", Box(x, y0, 0, y1 - y0), rules=(Rule(x, y0 + 3, x, y1 - 3, RULE_WIDTH),)))
        if r.row > top:
            x0 = tpl.column_x(r.column)
            x1 = x0 + tpl.span_width(r.span)
            y = y0 + 1.0
            out.append(Block("rule", Box(x0, y, x1 - x0, 0), rules=(Rule(x0, y, x1, y, RULE_WIDTH),)))
    return out


def _overset_mark(box: Box, lines: int, setter: Setter, article: str) -> Block:
    sl = setter.line(f"超版 OVERSET +{lines}行", "hei", 9.0)
    x = box.right - sl.width - 2
    y = box.bottom - 4
    mark = Box(x - 2, y - 11, sl.width + 4, 14)
    return Block("overset", mark, article, (TextLine(sl.text, x, y, sl.runs, sl.width),),
                 _rect_rules(mark), colour="red")
