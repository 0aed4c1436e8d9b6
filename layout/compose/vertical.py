"""Vertical headlines (竖题): the deck set top to bottom beside the body.

cjk-typesetting.md §5: characters run top to bottom, lines right to left
(引题 kicker rightmost, then 主题, 副题, byline); punctuation takes its
vertical form — the presentation forms of UnicodeData's `<vertical>`
decompositions (FE10–FE19, FE30–FE48), which the shipped faces carry, since
reportlab applies no OpenType `vert` feature. The headline's characters are
spread evenly down the deck (均排). Each glyph is one `TextLine` marked
`vertical`, so the renderer draws it like any other line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..edition.model import Article
from ..styles import HEADLINE_SIZES, PageTemplate
from ..text.paragraph import Run
from ..tree import Block, Box, TextLine

# GB/T 15834 §5.2 via UnicodeData.txt <vertical> decompositions
VERTICAL_FORMS = {
    "，": "︐", "、": "︑", "。": "︒", "：": "︓", "；": "︔", "！": "︕", "？": "︖",
    "〖": "︗", "〗": "︘", "…": "︙", "—": "︱", "–": "︲", "（": "︵", "）": "︶", "｛": "︷", "｝": "︸",
    "〔": "︹", "〕": "︺", "【": "︻", "】": "︼", "《": "︽", "》": "︾", "〈": "︿", "〉": "﹀",
    "「": "﹁", "」": "﹂", "『": "﹃", "』": "﹄", "［": "﹇", "］": "﹈",
    # GB 5.2.3: double quotes become 『』 forms, single quotes 「」 forms
    "“": "﹃", "”": "﹄", "‘": "﹁", "’": "﹂",
}
ASCENT = 0.88
# drawn turned 90° clockwise rather than upright (no vertical presentation form exists)
ROTATED = frozenset("～·–/／") | frozenset(chr(c) for c in range(0x21, 0x7F))
LANE_GAP = 0.35       # em of the larger neighbour between two vertical lines
STEP = 1.05           # em from one character to the next when set solid


@dataclass
class VerticalDeck:
    blocks: list[Block]
    rows: int
    missing: list[str]


def vertical_form(ch: str, registry, role: str) -> str:
    """The vertical presentation form when the face has it, else the character itself."""
    form = VERTICAL_FORMS.get(ch)
    if form and registry.resolve(form, role) is not None:
        return form
    return ch


def vertical_deck(article: Article, rank: str, column: int, top_row: int, max_rows: int,
                  tpl: PageTemplate, registry) -> VerticalDeck:
    sizes = HEADLINE_SIZES[rank]
    headline = article.headline.replace("|", "")
    lanes = []  # (kind, text, role, size) right to left
    if article.kicker:
        lanes.append(("kicker", article.kicker, "kai", sizes.kicker))
    lanes.append(("headline", headline, sizes.headline_role, sizes.headline))
    if article.subhead:
        lanes.append(("subhead", article.subhead, "kai", sizes.kicker))
    if article.byline:
        # a size step above the body, so a vertical byline never reads as a body line
        lanes.append(("byline", article.byline, "kai", max(10.5, tpl.body_size + 1.5)))
    width = tpl.column_width
    limit = max_rows * tpl.line_pitch - tpl.line_pitch
    # the largest headline size whose lane fits the column's width and the block's height
    h_size = sizes.headline
    while True:
        lane_sizes = [s if k != "headline" else h_size for k, _, _, s in lanes]
        total_w = sum(lane_sizes) + LANE_GAP * sum(max(a, b) for a, b in zip(lane_sizes, lane_sizes[1:]))
        tallest = max(len(t) * (s if k != "headline" else h_size) * STEP for k, t, _, s in lanes)
        if (total_w <= width and tallest <= limit) or h_size <= tpl.body_size * 1.5:
            break
        h_size = round(h_size * 0.92, 2)
    rows = max(3, math.ceil((tallest + tpl.line_pitch) / tpl.line_pitch - 1e-6))
    deck_h = rows * tpl.line_pitch
    top = tpl.row_top(top_row) + (deck_h - tallest) / 2
    x_right = tpl.column_x(column) + (width + total_w) / 2
    blocks: list[Block] = []
    missing: list[str] = []
    x = x_right
    prev = None
    for (kind, text, role, _), lane in zip(lanes, lane_sizes):
        if prev is not None:
            x -= LANE_GAP * max(prev, lane)
        x -= lane
        step = lane * STEP
        if kind == "headline" and len(text) > 1:
            step = max(step, (tallest - lane) / (len(text) - 1))   # 均排: spread down the deck
        lines = []
        for i, ch in enumerate(text):
            glyph = vertical_form(ch, registry, role)
            face = registry.resolve(glyph, role)
            if face is None:
                missing.append(ch)
                continue
            adv = face.widths[glyph] * lane
            if glyph in ROTATED:
                # GB/T 15834 §5.2.2 and clreq: Latin, digits, ～ / · – turn 90° clockwise,
                # centred in the cell: the baseline runs down the lane, 0.12 em from its left
                gx = x + (1 - ASCENT) * lane
                start = top + i * step + (lane - adv) / 2
                lines.append(TextLine(ch, gx, start, (Run(face.psname, lane, 0.0, glyph, 0.0),), adv, True, True,
                                      True))
                continue
            gx = x + (lane - adv) / 2
            baseline = top + i * step + ASCENT * lane
            lines.append(TextLine(ch, gx, baseline, (Run(face.psname, lane, 0.0, glyph, 0.0),), adv, True, True))
        if lines:
            height = (len(text) - 1) * step + lane
            blocks.append(Block(kind, Box(x, top, lane, height), article.id, tuple(lines)))
        prev = lane
    return VerticalDeck(blocks, rows, missing)
