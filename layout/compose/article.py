"""One article in one rectangle of grid cells.

An article block, top to bottom: the headline deck (引题 kicker in 楷体,
主题 headline in 黑体 or 标宋 sized by rank, 副题 subhead in 楷体, byline)
snapped to whole grid lines; the article's pictures, each with its caption,
one below the other in the first columns; then the body flowing column by
column through the block's column frames, the last columns balanced. A
continued part (after a jump) carries the short headline and `（上接第N版）`
instead of the deck.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from ..edition.model import Article, Image, Paragraph, PullQuote
from ..styles import HEADLINE_SIZES, PageTemplate
from ..tree import Block, Box, Rule, TextLine
from .body import TABLE_KINDS, BodyFlow, FlowLine, Frame, balanced, flow_into, specials
from .display import SetLine, Setter
from .vertical import VerticalDeck, vertical_deck

ASCENT = 0.88       # baseline below the em-box top (CJK ideographic em box)
CAPTION_SIZE = 8.0  # 小六-ish; above the 6 pt print minimum
CREDIT_SIZE = 7.0   # the credit line under a photo, flush right in 黑体
JUMP_SIZE = 8.0     # jump lines are set smaller than the body (newspaper.md)
MIN_PPI = 170       # newspaper.md: photos at 170–200 ppi at print size
REVERSE_BAR = (0.0, 0.0, 0.0, 1.0)   # a 反白 bar is solid K: white type knocks out of one plate
QUOTE_SIZE = 1.5    # a pull quote's type against the body size
QUOTE_LEADING = 1.35
QUOTE_RULE = 1.0    # pt: the rules above and below a pull quote (in the accent colour when there is one)
TEXT_ABOVE_INSET = 2   # an inset never sits higher than two lines of text below a column's top


class Rect(NamedTuple):
    """A block's place on the grid: first column, columns, first row, rows. (A NamedTuple:
    automatic placement makes one for every article of every layout it weighs.)"""
    column: int
    span: int
    row: int
    rows: int


@dataclass
class DeckLine:
    kind: str
    line: SetLine
    gap_before: float


@dataclass
class Deck:
    lines: list[DeckLine]
    rows: int

    @property
    def missing(self) -> list[str]:
        return [c for d in self.lines for c in d.line.missing]


def build_deck(article: Article, rank: str, width: float, tpl: PageTemplate, setter: Setter,
               continued_from: int = 0) -> Deck:
    sizes = HEADLINE_SIZES[rank]
    lines: list[DeckLine] = []
    if continued_from:
        short = article.short_headline or article.headline.replace("|", "")
        for ln in setter.headline(short, "hei", HEADLINE_SIZES["brief"].headline, width):
            lines.append(DeckLine("headline", ln, 0.0))
    else:
        if article.kicker:
            for ln in setter.wrapped(article.kicker, "kai", sizes.kicker, width):
                lines.append(DeckLine("kicker", ln, 0.15 * sizes.kicker))
        for i, ln in enumerate(setter.headline(article.headline, sizes.headline_role, sizes.headline, width)):
            lines.append(DeckLine("headline", ln, (0.35 if i == 0 else 0.12) * ln.size))
        if article.subhead:
            for ln in setter.wrapped(article.subhead, "kai", sizes.kicker, width):
                lines.append(DeckLine("subhead", ln, 0.3 * sizes.kicker))
        if article.byline:
            for ln in setter.wrapped(article.byline, "kai", tpl.body_size, width):
                lines.append(DeckLine("byline", ln, 0.5 * tpl.body_size))
    height = sum(d.gap_before + d.line.size for d in lines)
    # half a line of air above and below the deck, then whole grid lines
    rows = max(1, math.ceil((height + tpl.line_pitch) / tpl.line_pitch - 1e-6))
    return Deck(lines, rows)


@dataclass(frozen=True)
class Picture:
    """One picture of an article as placed: its photo rows, the part of the picture printed
    (crop fractions), its credit line, its caption lines, and a blank grid line below."""
    image: Image
    photo_rows: int
    crop: tuple[float, float, float, float]
    credit: SetLine | None
    caption: tuple[SetLine, ...]

    @property
    def rows(self) -> int:
        return self.photo_rows + (1 if self.credit else 0) + len(self.caption) + 1


def pictures_layout(images: tuple[Image, ...], span: int, tpl: PageTemplate,
                    setter: Setter, whole: bool = False) -> tuple[int, tuple[Picture, ...]]:
    """(picture columns, pictures) for an article's pictures, stacked in the first columns
    in the order the article gives them: as wide as the widest asks (`columns`; else half
    the block, at least two columns); as tall as the desk sets (`rows`) or as the crop's
    proportions ask, at least 3 rows. A picture item (`whole`: no text) takes the whole block."""
    if not images:
        return 0, ()
    asked = max((i.columns for i in images), default=0)
    if whole and not asked:
        asked = span
    cols = min(span, asked) if asked else (span if span <= 2 else max(2, (span + 1) // 2))
    width = tpl.span_width(cols)
    return cols, tuple(picture(image, width, tpl, setter) for image in images)


def picture(image: Image, width: float, tpl: PageTemplate, setter: Setter) -> Picture:
    """A picture `width` wide: its rows (the desk's, else from the crop's proportions),
    the part that fills them, its credit and its caption."""
    w, h = image_size(image)
    left, top, right, bottom = image.crop_box
    cw, ch = w * (right - left), h * (bottom - top)
    rows = image.rows or max(3, round(width * ch / cw / tpl.line_pitch))
    crop = fill_crop(image.crop_box, (w, h), width / (rows * tpl.line_pitch), image.focus)
    credit = setter.line(image.credit, "hei", CREDIT_SIZE) if image.credit else None
    caption = setter.wrapped(image.caption, "kai", CAPTION_SIZE, width) if image.caption else []
    return Picture(image, rows, crop, credit, tuple(caption))


@dataclass(frozen=True)
class Inset:
    """A picture (`wrap=`) or a pull quote set inside the body, whole columns of the block
    wide and whole grid rows deep, the text wrapping round it above and below (绕排 on the
    grid: the columns it covers are cut in two frames, the text keeps its measure).
    `rows` counts a blank grid line of air above it and one below."""
    column: int                 # first column, 0-based within the block
    span: int
    rows: int
    picture: Picture | None = None
    quote: tuple[SetLine, ...] = ()
    quote_rows: int = 0         # the rows between the quote's rules


def insets_layout(body, span: int, tpl: PageTemplate, setter: Setter) -> tuple[Inset, ...]:
    """The article's insets in its order. Each leaves at least one column of text beside
    it; in a one-column block nothing can wrap (a `wrap` picture is then stacked on top,
    see `block_shape`, and a pull quote is left out)."""
    out = []
    for item in body:
        if isinstance(item, Image) and item.wrap:
            cols = min(span - 1, item.columns or (1 if span <= 3 else 2))
            side = item.wrap
        elif isinstance(item, PullQuote):
            cols = min(span - 1, item.columns or (2 if span >= 5 else 1))
            side = item.wrap
        else:
            continue
        if cols < 1:
            continue
        column = 0 if side == "left" else span - cols if side == "right" else (span - cols) // 2
        width = tpl.span_width(cols)
        if isinstance(item, Image):
            pic = picture(item, width, tpl, setter)
            out.append(Inset(column, cols, pic.rows + 1, picture=pic))
        else:
            size = round(tpl.body_size * QUOTE_SIZE * 2) / 2
            lines = tuple(setter.wrapped(item.text, "kai", size, width))
            inner = math.ceil((len(lines) * size * QUOTE_LEADING + 0.6 * size) / tpl.line_pitch - 1e-6)
            out.append(Inset(column, cols, inner + 2, quote=lines, quote_rows=inner))
    return tuple(out)


def fill_crop(crop: tuple[float, ...], size: tuple[int, int], aspect: float,
              focus: tuple[float, ...]) -> tuple[float, float, float, float]:
    """The part of the picture that fills a frame of `aspect` (width / height) without
    distortion: the crop, trimmed on the long side around the focus point (the centre
    when none is given), never past the crop's edges."""
    left, top, right, bottom = crop
    w, h = size[0] * (right - left), size[1] * (bottom - top)
    fx, fy = focus if focus else ((left + right) / 2, (top + bottom) / 2)
    if w / h > aspect:      # too wide: keep the full height, trim the sides
        keep = (right - left) * aspect * h / w
        x = min(max(fx - keep / 2, left), right - keep)
        return (round(x, 6), top, round(x + keep, 6), bottom)
    keep = (bottom - top) * (w / aspect) / h
    y = min(max(fy - keep / 2, top), bottom - keep)
    return (left, round(y, 6), right, round(y + keep, 6))


def image_size(image: Image) -> tuple[int, int]:
    if image.width_px and image.height_px:
        return image.width_px, image.height_px
    from PIL import Image as PILImage
    with PILImage.open(image.path) as im:
        return im.size


def effective_ppi(image: Image, width_pt: float) -> float:
    """Pixels per inch of the image at its printed width."""
    return image_size(image)[0] / (width_pt / 72.0)


@dataclass(frozen=True)
class BodyArea:
    """What a block's body flows round: the rows above it (deck, 上接 line), the stacked
    pictures in its first columns, a vertical headline in its last, and the insets."""
    top_rows: int
    image_cols: int = 0
    image_rows: int = 0
    vrows: int = 0
    insets: tuple[Inset, ...] = ()


def _column_first(rect: Rect, area: BodyArea, c: int) -> int:
    """The first body row of block column `c` (a grid column): below the deck, below the
    stacked pictures in the first columns, below a vertical headline in the last."""
    first = rect.row + area.top_rows + (area.image_rows if c < rect.column + area.image_cols else 0)
    if c == rect.column + rect.span - 1 and area.vrows:
        first = max(first, rect.row + area.vrows)
    return first


def _frames(rect: Rect, area: BodyArea, tops: tuple[int, ...] = ()) -> list[Frame]:
    """Column frames, in reading order; a column an inset crosses (its top row in `tops`)
    is two frames, above the inset and below it."""
    frames = []
    end = rect.row + rect.rows
    for c in range(rect.column, rect.column + rect.span):
        first = start = _column_first(rect, area, c)
        cuts = sorted((top, top + inset.rows) for inset, top in zip(area.insets, tops)
                      if rect.column + inset.column <= c < rect.column + inset.column + inset.span)
        for r0, r1 in cuts:
            if r0 > start:
                frames.append(Frame(c, start, r0 - start, start - first))
            start = max(start, r1)
        if start == first or end > start:   # no empty frame below an inset at the block's foot
            frames.append(Frame(c, start, end - start, start - first))
    return frames


def _inset_tops(rect: Rect, area: BodyArea, depth: int) -> tuple[int, ...] | None:
    """The top grid row of each inset, for a body `depth` rows deep: spread down the body
    (one in the middle, two at a third and two thirds …), never above two lines of text,
    never over an earlier inset. None when one does not fit in the block."""
    body_top = rect.row + area.top_rows
    end = rect.row + rect.rows
    n = len(area.insets)
    tops: list[int] = []
    for i, inset in enumerate(area.insets):
        cols = range(rect.column + inset.column, rect.column + inset.column + inset.span)
        floor = max(_column_first(rect, area, c) for c in cols) + TEXT_ABOVE_INSET
        top = max(floor, body_top + round((i + 1) * depth / (n + 1) - inset.rows / 2))
        for other, t in zip(area.insets, tops):
            if other.column < inset.column + inset.span and inset.column < other.column + other.span \
                    and top < t + other.rows and t < top + inset.rows:
                top = t + other.rows
        if top + inset.rows > end:
            return None
        tops.append(top)
    return tuple(tops)


def body_frames(rect: Rect, area: BodyArea, lines: list[FlowLine],
                marks: list[int]) -> tuple[list[Frame], tuple[int, ...]] | None:
    """The block's body frames and its insets' top rows; None when an inset does not fit.
    Insets are placed for the body as deep as the block, then again for the depth the
    balanced text takes, so that an inset sits in the middle of the text, not of the block."""
    if not area.insets:
        return _frames(rect, area), ()
    tops = _inset_tops(rect, area, rect.rows - area.top_rows)
    if tops is None:
        return None
    frames = _frames(rect, area, tops)
    _, rest, limit = balanced(frames, lines)
    if rest >= len(lines) and limit < rect.rows - area.top_rows:
        again = _inset_tops(rect, area, limit)
        if again is not None and again != tops:
            refit = _frames(rect, area, again)
            if flow_into(refit, lines, 0, marks)[1] >= len(lines):
                return refit, again
    return frames, tops


def needed_rows(flow: BodyFlow, area: BodyArea, span: int) -> int:
    """The fewest block rows at this span that hold the whole article.

    Starts from the area estimate (the lines shared over the columns, plus what
    the deck, image, vertical headline and insets take) and walks to the exact
    answer: the flow's rules (no blank at a column's top, no subhead at its foot)
    move it by a row or two, so this takes a few pours instead of a bisection."""
    n = len(flow.lines)
    deck_rows, image_cols, image_rows, vrows = area.top_rows, area.image_cols, area.image_rows, area.vrows
    lo = max(deck_rows + image_rows, vrows) + 1
    if area.insets:
        lo = max(lo, deck_rows + image_rows + TEXT_ABOVE_INSET + max(i.rows for i in area.insets))
    marks = specials(flow.lines)

    def fits(rows: int) -> bool:
        made = body_frames(Rect(1, span, 1, rows), area, flow.lines, marks)
        if made is None:
            return False
        frames = made[0]
        return all(f.rows > 0 for f in frames) and flow_into(frames, flow.lines, 0, marks)[1] >= n

    taken = deck_rows * span + image_rows * image_cols + (vrows - deck_rows if vrows > deck_rows else 0) \
        + sum(i.rows * i.span for i in area.insets)
    rows = max(lo, -(-(n + taken) // span))
    if fits(rows):
        while rows > lo and fits(rows - 1):
            rows -= 1
        return rows
    while not fits(rows):
        rows += 1
    return rows


@dataclass
class Composed:
    blocks: list[Block]
    rest: list[FlowLine]                     # lines that did not fit
    empty_rows: int = 0                      # white rows at the block's foot (underset)
    characters: int = 0
    missing: list[str] = field(default_factory=list)
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (severity, kind, message)


def _display_block(kind: str, lines: list[tuple[SetLine, float, float]], article: str, box: Box) -> Block:
    return Block(kind, box, article,
                 tuple(TextLine(sl.text, x, y, sl.runs, sl.width) for sl, x, y in lines))


@dataclass
class Shape:
    """What an article puts above its body in a block: deck (or vertical headline) and pictures."""
    deck: Deck
    vertical: VerticalDeck | None
    pictures: tuple[Picture, ...]
    image_cols: int
    insets: tuple[Inset, ...] = ()

    @property
    def image_rows(self) -> int:
        return sum(p.rows for p in self.pictures)

    @property
    def vrows(self) -> int:
        return self.vertical.rows if self.vertical else 0

    def area(self, top_rows: int) -> BodyArea:
        return BodyArea(top_rows, self.image_cols, self.image_rows, self.vrows, self.insets)


def block_shape(article: Article, rank: str, rect: Rect, tpl: PageTemplate, setter: Setter,
                continued_from: int = 0) -> Shape:
    """The one place that decides a block's deck and image: composing and automatic
    placement (which asks how many rows an article needs) must agree."""
    vertical = None
    if article.vertical_headline and not continued_from and rect.span >= 2:
        # 竖题 in the block's last column; the body takes the other columns and the rest of that one
        vertical = vertical_deck(article, rank, rect.column + rect.span - 1, rect.row, rect.rows, tpl,
                                 setter.registry)
        deck = Deck([], 1)   # a blank grid line between the rule above and the body
    else:
        deck = build_deck(article, rank, tpl.span_width(rect.span), tpl, setter, continued_from)
    span = rect.span - (1 if vertical else 0)
    # insets wrap in the columns the vertical headline leaves; a story's continuation has none
    insets = insets_layout(article.body, span, tpl, setter) if not continued_from else ()
    wrapped = {id(i.picture.image) for i in insets if i.picture}
    images = tuple(b for b in article.body if isinstance(b, Image) and id(b) not in wrapped) \
        if not continued_from else ()
    whole = not any(isinstance(b, Paragraph) for b in article.body)
    image_cols, pictures = pictures_layout(images, span, tpl, setter, whole)
    return Shape(deck, vertical, pictures, image_cols, insets)


def rows_needed(article: Article, rank: str, span: int, flow: BodyFlow, tpl: PageTemplate, setter: Setter,
                continued_from: int = 0) -> int:
    """The fewest grid rows a block `span` columns wide needs to hold the article."""
    shape = block_shape(article, rank, Rect(1, span, 1, tpl.lines), tpl, setter, continued_from)
    extra = 1 if continued_from else 0   # the （上接第N版） row
    return needed_rows(flow, shape.area(shape.deck.rows + extra), span)


def _white_rows(fit) -> int:
    """Rows left white at the foot of the shortest column (each column as deep as its
    frames reach, an inset's rows included) below the balanced text."""
    depth: dict[int, int] = {}
    for f in fit.frames:
        depth[f.column] = max(depth.get(f.column, 0), f.skip + f.rows)
    return max(0, min(depth.values(), default=0) - fit.limit)


def _reading_order(frames: list[Frame], cols: list[list[FlowLine]],
                   flow: list[FlowLine]) -> list[tuple[Frame, list[FlowLine], int, int]]:
    """The body as (frame, its lines, a, b): lines a..b-1 of a column, in the order of the
    copy. A column is one part, unless a table floated to the next column's head and the
    text after it came up into this one (`body.flow_into`): that text is read after the
    table — in the reader edition's text and its structure, as in the copy — though it
    stands above it on the page."""
    at = {id(fl): k for k, fl in enumerate(flow)}
    if len(at) < len(flow):   # one line object twice (made by hand): no order to go by but the columns'
        return [(frame, col, 0, len(col)) for frame, col in zip(frames, cols) if col]
    parts = []
    for frame, col in zip(frames, cols):
        a = 0
        for i in range(1, len(col) + 1):
            if i == len(col) or at[id(col[i])] != at[id(col[i - 1])] + 1:
                parts.append((at[id(col[a])], frame, col, a, i))
                a = i
    parts.sort(key=lambda part: part[0])
    return [(frame, col, a, b) for _, frame, col, a, b in parts]


# the flow's own rules (no subhead at a column's foot, a blank at the foot starting the next
# column) leave at most two lines white above what follows; more is a hole in the page
HOLE_LINES = 3


def _holes(fit) -> list[tuple[int, int]]:
    """(grid column, white lines) of the columns whose text ends short of the balanced
    depth, more text following in the next columns."""
    filled = [i for i, col in enumerate(fit.cols) if col]
    out = []
    for frame, col in zip(fit.frames[:filled[-1]] if filled else [], fit.cols):
        white = min(frame.rows, fit.limit - frame.skip) - len(col)
        if white >= HOLE_LINES:
            out.append((frame.column, white))
    return out


@dataclass
class _Fit:
    deck_rows: int
    frames: list[Frame]
    cols: list[list[FlowLine]]
    rest: list[FlowLine]
    limit: int
    jump_to: int
    tops: tuple[int, ...] = ()    # each inset's top row; () when none, or when they did not fit


def _fit(rect: Rect, shape: Shape, deck_rows: int, flow: list[FlowLine], continued_from: int,
         jump_to: int) -> _Fit:
    """Pour the body into the block's column frames below a deck of `deck_rows`."""
    area = shape.area(deck_rows)
    made = body_frames(rect, area, flow, specials(flow))
    if made is None:        # an inset too deep for the block: the text flows without insets
        area = replace(area, insets=())
        made = body_frames(rect, area, flow, specials(flow))
    base, tops = made
    for jump in ((jump_to, 0) if jump_to else (0,)):
        frames = list(base)
        if jump and frames:
            last = frames[-1]
            frames[-1] = last._replace(rows=last.rows - 1)  # the （下转） row
        if continued_from and frames:
            first = frames[0]
            frames[0] = first._replace(row=first.row + 1, rows=first.rows - 1)  # the （上接） row
        frames = [f for f in frames if f.rows > 0]
        cols, rest_at, limit = balanced(frames, flow)
        if jump and rest_at >= len(flow):
            continue  # the text fits after all: no jump needed, give the row back
        return _Fit(deck_rows, frames, cols, flow[rest_at:], limit, jump, tops)
    return _Fit(deck_rows, frames, cols, flow[rest_at:], limit, 0, tops)


def compose_article(article: Article, rank: str, rect: Rect, tpl: PageTemplate, setter: Setter,
                    flow: list[FlowLine], *, continued_from: int = 0, jump_to: int = 0,
                    edition_root=None, accent: bool = False) -> Composed:
    """The article's blocks in `rect`. `accent`: the page prints the edition's second colour
    (a pull quote's rules take it)."""
    x0 = tpl.column_x(rect.column)
    width = tpl.span_width(rect.span)
    top = tpl.row_top(rect.row)
    shape = block_shape(article, rank, rect, tpl, setter, continued_from)
    deck, vertical, pictures = shape.deck, shape.vertical, shape.pictures
    image_cols, image_rows = shape.image_cols, shape.image_rows
    fit = _fit(rect, shape, deck.rows, flow, continued_from, jump_to)
    empty = _white_rows(fit) if not fit.rest else 0
    if empty and not continued_from and not vertical:
        # rows the body leaves free go first to the deck (more air round the headline)
        # rather than white at the foot of every column — but only so far: a deck
        # swimming in white reads as a hole too; what is left is reported as underset
        grow = min(empty, max(2, deck.rows // 2))
        fit = _fit(rect, shape, deck.rows + grow, flow, continued_from, jump_to)
        empty -= grow
    deck_rows, jump_to = fit.deck_rows, fit.jump_to
    blocks: list[Block] = list(vertical.blocks) if vertical else []
    missing = list(deck.missing) + (vertical.missing if vertical else [])

    # the deck, centred in its whole grid lines
    height = sum(d.gap_before + d.line.size for d in deck.lines)
    y = top + (deck_rows * tpl.line_pitch - height) / 2
    by_kind: dict[str, list] = {}
    for d in deck.lines:
        y += d.gap_before
        by_kind.setdefault(d.kind, []).append((d.line, x0 + (width - d.line.width) / 2, y + ASCENT * d.line.size))
        y += d.line.size
    for kind in ("kicker", "headline", "subhead", "byline"):
        if kind in by_kind:
            items = by_kind[kind]
            ys = [b for _, _, b in items]
            size = items[0][0].size
            box = Box(min(x for _, x, _ in items), min(ys) - ASCENT * size,
                      max(sl.width for sl, _, _ in items), max(ys) - min(ys) + size)
            block = _display_block(kind, items, article.id, box)
            if kind == "headline" and article.reverse and not continued_from:
                # 反白: a solid bar across the block, the headline knocked out of it in white
                pad = 0.25 * size
                blocks.append(Block("bar", Box(x0, box.y - pad, width, box.h + 2 * pad), article.id,
                                    fill=REVERSE_BAR))
                block = replace(block, colour="white")
            blocks.append(block)

    notes: list[tuple[str, str, str]] = []
    if pictures and deck_rows + image_rows > rect.rows:
        what = "the image needs" if len(pictures) == 1 else f"its {len(pictures)} pictures need"
        notes.append(("error", "image-too-big", f"{what} {deck_rows + image_rows} rows with the deck "
                      f"but the block has {rect.rows}: give the article more rows"))
        pictures = ()
    # the pictures and their captions, one below the other at the top of the first columns
    iw = tpl.span_width(image_cols) if pictures else 0.0
    row = rect.row + deck_rows
    for pic in pictures:
        blocks.extend(_picture_blocks(pic, x0, iw, row, article.id, tpl, edition_root, missing, notes))
        row += pic.rows
    # the insets, the text wrapping round them
    quotes = sum(isinstance(b, PullQuote) for b in article.body) if not continued_from else 0
    if quotes > sum(1 for i in shape.insets if i.quote):
        notes.append(("warning", "pull-quote", "a pull quote needs a block of two columns or more, one beside "
                      "it for the text: left out in this one-column block"))
    for column, white in _holes(fit):
        notes.append(("warning", "hole", f"the text in grid column {column} ends {white} lines short of the "
                      "others: what follows it (a table, a subhead's section) does not fit under it — change "
                      "the block's depth or the copy"))
    if shape.insets and not fit.tops:
        notes.append(("error", "inset-too-big", f"a picture or pull quote to wrap the text round needs "
                      f"{max(i.rows for i in shape.insets)} rows below {TEXT_ABOVE_INSET} lines of text "
                      f"but the block has {rect.rows - deck_rows} below the deck: give the article more rows"))
    for inset, top in zip(shape.insets, fit.tops):
        ix, iw = tpl.column_x(rect.column + inset.column), tpl.span_width(inset.span)
        if inset.picture is not None:
            blocks.extend(_picture_blocks(inset.picture, ix, iw, top + 1, article.id, tpl, edition_root,
                                          missing, notes))
        else:
            blocks.extend(_quote_blocks(inset, ix, iw, top + 1, article.id, tpl, accent, missing))

    if continued_from and fit.frames:
        first = fit.frames[0]
        blocks.append(_jump_line(f"（上接第{continued_from}版）", first.column, first.row - 1, False,
                                 continued_from, article.id, tpl, setter, missing))
    chars = 0
    for frame, col, a, b in _reading_order(fit.frames, fit.cols, flow):
        fx = tpl.column_x(frame.column)
        lines = []
        rules: list[Rule] = []
        for i in range(a, b):
            fl = col[i]
            if fl.kind == "blank" or fl.line is None:
                continue
            chars += len(fl.text)
            baseline = tpl.baseline(frame.row + i)
            if fl.kind in TABLE_KINDS:
                lines.append(TextLine(fl.text, fx, baseline, fl.line.runs, fl.line.width, True,
                                      table="head" if fl.kind == "tablehead" else "row", cells=fl.line.cells))
                rules.extend(_table_rules(col, i, fx, tpl.column_width, tpl.row_top(frame.row + i), tpl.line_pitch))
            elif fl.kind == "subhead":
                lines.append(TextLine(fl.text, fx + (tpl.column_width - fl.line.width) / 2, baseline,
                                      fl.line.runs, fl.line.width, True, heading=True))
            else:
                tl = fl.line
                lines.append(TextLine(tl.text, fx, baseline, tl.runs, tl.indent + tl.measure, tl.last))
        if lines:
            if (a, b) == (0, len(col)):
                box = Box(fx, tpl.row_top(frame.row), tpl.column_width, frame.rows * tpl.line_pitch)
            else:   # part of a column (a table floated above the text after it): its own rows
                box = Box(fx, tpl.row_top(frame.row + a), tpl.column_width, (b - a) * tpl.line_pitch)
            blocks.append(Block("body", box, article.id, tuple(lines), tuple(rules), column=frame.column))
    if jump_to and fit.frames:
        last = fit.frames[-1]
        blocks.append(_jump_line(f"（下转第{jump_to}版）", last.column, last.row + last.rows, True,
                                 jump_to, article.id, tpl, setter, missing))
    return Composed(blocks, fit.rest, empty, chars, missing, notes)


def _picture_blocks(pic: Picture, x0: float, width: float, row: int, article: str, tpl: PageTemplate,
                    edition_root, missing: list[str], notes: list) -> list[Block]:
    """A picture from grid row `row`: the photo, its credit flush right under it, its caption."""
    img = pic.image
    ppi = effective_ppi(img, width) * (pic.crop[2] - pic.crop[0])   # the pixels of the part printed
    if ppi < MIN_PPI:
        notes.append(("warning", "low-resolution", f"image {img.path.name} prints at {ppi:.0f} ppi "
                      f"(below {MIN_PPI}; newspapers want 170–200 ppi)"))
    rel = img.path.relative_to(edition_root) if edition_root else img.path
    crop = pic.crop if pic.crop != (0.0, 0.0, 1.0, 1.0) else ()
    out = [Block("image", Box(x0, tpl.row_top(row), width, pic.photo_rows * tpl.line_pitch), article,
                 image=str(rel), image_sha256=img.sha256, crop=crop)]
    first_row = row + pic.photo_rows
    if pic.credit is not None:
        sl = pic.credit
        missing.extend(sl.missing)
        out.append(_display_block("credit", [(sl, x0 + width - sl.width, tpl.baseline(first_row))], article,
                                  Box(x0 + width - sl.width, tpl.row_top(first_row), sl.width, tpl.line_pitch)))
        first_row += 1
    cap_lines = [(sl, x0, tpl.baseline(first_row + i)) for i, sl in enumerate(pic.caption)]
    missing.extend(c for sl in pic.caption for c in sl.missing)
    if cap_lines:
        out.append(_display_block("caption", cap_lines, article,
                                  Box(x0, tpl.row_top(first_row), width, len(pic.caption) * tpl.line_pitch)))
    return out


def _quote_blocks(inset: Inset, x0: float, width: float, row: int, article: str, tpl: PageTemplate,
                  accent: bool, missing: list[str]) -> list[Block]:
    """A pull quote from grid row `row`: a rule on the row's top edge and one on the foot of
    its last row (in the accent colour when the page has one), its lines in 楷体 centred
    between them. The quote repeats the copy: the reader edition draws it as an artifact."""
    top, bottom = tpl.row_top(row), tpl.row_top(row + inset.quote_rows)
    rules = (Rule(x0, top, x0 + width, top, QUOTE_RULE), Rule(x0, bottom, x0 + width, bottom, QUOTE_RULE))
    out = [Block("rule", Box(x0, top, width, bottom - top), article, rules=rules,
                 colour="accent" if accent else "K")]
    lines = inset.quote
    size = lines[0].size
    lead = size * QUOTE_LEADING
    y = top + (bottom - top - len(lines) * lead) / 2 + (lead - size) / 2 + ASCENT * size
    items = []
    for sl in lines:
        missing.extend(sl.missing)
        items.append((sl, x0, y))
        y += lead
    box = Box(x0, items[0][2] - ASCENT * size, max(sl.width for sl in lines), items[-1][2] - items[0][2] + size)
    out.append(_display_block("quote", items, article, box))
    return out


TABLE_RULE, HEAD_RULE = 0.75, 0.3   # pt: the rules that open and close a table, and the one under its head


def _table_rules(col: list[FlowLine], i: int, x: float, width: float, top: float, pitch: float) -> list[Rule]:
    """A table's rules in one column: a heavier rule above its first row there and below
    its last (a table broken over columns is closed and opened again), a hairline
    under the head."""
    out = []
    if i == 0 or col[i - 1].kind not in TABLE_KINDS:
        out.append(Rule(x, top, x + width, top, TABLE_RULE))
    if col[i].kind == "tablehead":
        out.append(Rule(x, top + pitch, x + width, top + pitch, HEAD_RULE))
    elif i + 1 == len(col) or col[i + 1].kind not in TABLE_KINDS:
        out.append(Rule(x, top + pitch, x + width, top + pitch, TABLE_RULE))
    return out


def _jump_line(text: str, column: int, row: int, flush_right: bool, link: int, article: str,
               tpl: PageTemplate, setter: Setter, missing: list[str]) -> Block:
    """A jump line (下转/上接) in 楷体 on its own grid row, linked to the other part."""
    sl = setter.line(text, "kai", JUMP_SIZE)
    missing.extend(sl.missing)
    fx = tpl.column_x(column)
    x = fx + tpl.column_width - sl.width if flush_right else fx
    return Block("jump", Box(x, tpl.row_top(row), sl.width, tpl.line_pitch), article,
                 (TextLine(sl.text, x, tpl.baseline(row), sl.runs, sl.width),), link=link)
