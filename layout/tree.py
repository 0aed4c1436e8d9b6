"""The layout tree: pages of positioned blocks, pure data, saved as layout.json.

Coordinates are PostScript points with the origin at the top-left corner of
the trim box and y growing downwards (as a layout sheet is read); the
renderer converts to PDF's bottom-up space. Everything the renderer, the QA
diff and the e-paper site need is here; nobody reaches back into the engine.

TextLine   a line of glyph runs: its text, baseline, left x and runs
Block      one kind of thing on the page (masthead, folio, kicker, headline,
           subhead, byline, body, image, caption, jump, rule, frame, imprint, overset)
           with its box
PageTree   a page: size, grid, blocks, and its articles in reading order
EditionTree the edition: paper, date, pages
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import operator
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .spool import Spool
from .text.paragraph import Run

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def to_json(self) -> list[float]:
        return [round(self.x, 3), round(self.y, 3), round(self.w, 3), round(self.h, 3)]


class TextLine(NamedTuple):
    """A set line as the page has it. (A NamedTuple, as `Run` is: immutable, and made for every
    line of an edition — a frozen dataclass's __init__ took 2 µs a line, this 0.4.)"""
    text: str
    x: float                 # left edge of the line's measure
    baseline: float
    runs: tuple[Run, ...]    # run x is relative to the line's x
    measure: float = 0.0
    last: bool = True        # a paragraph's last line (set solid), or a display line
    vertical: bool = False   # 竖排: runs hold one glyph each, x/baseline absolute per glyph
    rotated: bool = False    # 竖排: the glyph is turned 90° clockwise; `baseline` is the y where it starts
    heading: bool = False    # a body line that is a subhead (小标题), not part of a paragraph
    table: str = ""          # a table's row: "head" or "row" (cells are the runs, at their columns)
    cells: tuple[int, ...] = ()   # a table's row: how many runs each cell has, left to right

    def to_json(self) -> dict:
        return {"text": self.text, "x": round(self.x, 3), "baseline": round(self.baseline, 3),
                "measure": round(self.measure, 3), "last": self.last,
                **({"vertical": True} if self.vertical else {}),
                **({"rotated": True} if self.rotated else {}),
                **({"heading": True} if self.heading else {}),
                **({"table": self.table, "cells": list(self.cells)} if self.table else {}),
                "runs": [r.to_json() for r in self.runs]}

    def json_text(self) -> str:
        """`to_json()` as compact JSON, written directly: a page has ~400 lines and ~800 runs,
        and building their dicts for the encoder took longer than encoding them. Same text
        as json.dumps(to_json(), ensure_ascii=False, separators=(",", ":")) — floats by repr,
        strings by the encoder's own escaping (tested)."""
        out = (f'{{"text":{_string(self.text)},"x":{round(self.x, 3)!r},"baseline":{round(self.baseline, 3)!r},'
               f'"measure":{round(self.measure, 3)!r},"last":{"true" if self.last else "false"}')
        if self.vertical:
            out += ',"vertical":true'
        if self.rotated:
            out += ',"rotated":true'
        if self.heading:
            out += ',"heading":true'
        if self.table:
            out += f',"table":{_string(self.table)},"cells":{_dumps(list(self.cells))}'
        runs = ",".join([f'{{"font":{_string(r.font)},"size":{r.size!r},"x":{round(r.x, 4)!r},'
                         f'"text":{_string(r.text)},"tracking":{round(r.tracking, 5)!r}}}' for r in self.runs])
        return f'{out},"runs":[{runs}]}}'


@dataclass(frozen=True)
class Rule:
    x0: float
    y0: float
    x1: float
    y1: float
    width: float = 0.5

    def to_json(self) -> list[float]:
        return [round(v, 3) for v in (self.x0, self.y0, self.x1, self.y1, self.width)]


@dataclass(frozen=True)
class Block:
    kind: str
    box: Box
    article: str = ""                      # article id, "" for page furniture
    lines: tuple[TextLine, ...] = ()
    rules: tuple[Rule, ...] = ()
    image: str = ""                        # path relative to the edition folder
    image_sha256: str = ""
    colour: str = "K"                      # "K" = 100 % black; "red" for proof marks
    link: int = 0                          # jump blocks: the page they link to
    column: int = 0                        # body blocks: 1-based grid column
    crop: tuple[float, ...] = ()           # image blocks: (left, top, right, bottom) fractions printed
    label: str = ""                        # ad blocks: the advertiser
    fill: tuple[float, ...] = ()           # tint blocks: the background's CMYK fractions

    def to_json(self, lines: bool = True) -> dict:
        """The block as layout.json has it (without its lines: `json_text` writes those)."""
        out: dict = {"kind": self.kind, "box": self.box.to_json()}
        if self.article:
            out["article"] = self.article
        if self.column:
            out["column"] = self.column
        if self.lines and lines:
            out["lines"] = [ln.to_json() for ln in self.lines]
        if self.rules:
            out["rules"] = [r.to_json() for r in self.rules]
        if self.image:
            out["image"] = self.image
            out["image_sha256"] = self.image_sha256
            if self.crop:
                out["crop"] = [round(v, 6) for v in self.crop]
        if self.label:
            out["label"] = self.label
        if self.fill:
            out["fill"] = [round(v, 4) for v in self.fill]
        if self.colour != "K":
            out["colour"] = self.colour
        if self.link:
            out["link"] = self.link
        return out

    def json_text(self) -> str:
        """`to_json()` as compact JSON (see `TextLine.json_text`); "lines" keeps its place
        after "column"."""
        if not self.lines:
            return _dumps(self.to_json())
        head = self.to_json(lines=False)
        before = {k: head.pop(k) for k in ("kind", "box", "article", "column") if k in head}
        lines = _lines_json(self.lines, _json_text)
        rest = f",{_dumps(head)[1:]}" if head else "}"
        return f'{_dumps(before)[:-1]},"lines":[{lines}]{rest}'


@dataclass(frozen=True)
class ArticleEntry:
    """An article (or the continued part of one) on a page, in reading order."""
    id: str
    headline: str
    kicker: str = ""
    subhead: str = ""
    byline: str = ""
    box: Box = Box(0, 0, 0, 0)
    part: int = 1              # 2 for the continuation of a jump
    continued_from: int = 0    # page number
    continued_on: int = 0      # page number
    characters: int = 0        # body characters set in this part

    def to_json(self) -> dict:
        return {"id": self.id, "headline": self.headline, "kicker": self.kicker,
                "subhead": self.subhead, "byline": self.byline, "box": self.box.to_json(),
                "part": self.part, "continued_from": self.continued_from,
                "continued_on": self.continued_on, "characters": self.characters}


@dataclass(frozen=True)
class Grid:
    columns: int
    column_width: float
    gutter: float
    lines: int
    line_pitch: float
    left: float
    top: float
    first_baseline: float     # baseline of grid row 1

    def to_json(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class PageTree:
    number: int
    label: str                # page label, e.g. "01" or "A01"
    section: str
    editor: str
    width: float
    height: float
    bleed: float
    crop_marks: bool
    grid: Grid
    blocks: tuple[Block, ...]
    articles: tuple[ArticleEntry, ...]
    auto_placed: bool = False

    def to_json(self, blocks: bool = True) -> dict:
        out = {"number": self.number, "label": self.label, "section": self.section,
               "editor": self.editor, "width": round(self.width, 3), "height": round(self.height, 3),
               "bleed": round(self.bleed, 3), "crop_marks": self.crop_marks,
               "auto_placed": self.auto_placed, "grid": self.grid.to_json(),
               "articles": [a.to_json() for a in self.articles]}
        if blocks:
            out["blocks"] = [b.to_json() for b in self.blocks]
        return out


@dataclass(frozen=True)
class EditionTree:
    slug: str
    paper: str
    publisher: str
    date: str                 # ISO date
    issue: int
    template: str
    pages: tuple[PageTree, ...]
    fonts: dict = field(default_factory=dict)   # PostScript name -> file name

    def to_json(self, pages: bool = True) -> dict:
        out = {"schema": SCHEMA_VERSION, "slug": self.slug, "paper": self.paper,
               "publisher": self.publisher, "date": self.date, "issue": self.issue,
               "template": self.template, "fonts": dict(sorted(self.fonts.items()))}
        if pages:
            out["pages"] = [p.to_json() for p in self.pages]
        return out


def page_line(page: PageTree) -> str:
    """A page as one line of compact JSON: its line of layout.json, and what an
    incremental build keys the page's drawing on. The same text as dumping `to_json()`."""
    head = page.to_json(blocks=False)
    blocks = ",".join([b.json_text() for b in page.blocks])
    return f'{_dumps(head)[:-1]},"blocks":[{blocks}]}}'


_string = json.encoder.encode_basestring     # the encoder's escaping (C) with ensure_ascii off
_json_text = operator.methodcaller("json_text")


def _lines_json_py(lines: Sequence, json_text=_json_text) -> str:
    """A block's lines in layout.json: `TextLine.json_text` of each, joined by commas."""
    return ",".join([json_text(ln) for ln in lines])


# The compiled twin (_treejson.c; setup.py builds it where there is a C compiler) writes the
# same text ~5× as fast; BANMIAN_PURE=1 turns it off. It reads lines and runs by position.
_lines_json = _lines_json_py
if os.environ.get("BANMIAN_PURE") != "1" and TextLine._fields[:10] == (
        "text", "x", "baseline", "runs", "measure", "last", "vertical", "rotated", "heading", "table") \
        and Run._fields == ("font", "size", "x", "text", "tracking"):
    with contextlib.suppress(ImportError):   # not built: no C compiler where it was installed
        from ._treejson import lines_json as _lines_json


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def blocks_from_json(items: list) -> tuple[Block, ...]:
    """Blocks as `Block.to_json` wrote them (a page's "blocks" in layout.json)."""
    def run(r: dict) -> Run:
        return Run(r["font"], r["size"], r["x"], r["text"], r["tracking"])

    def line(ln: dict) -> TextLine:
        return TextLine(ln["text"], ln["x"], ln["baseline"], tuple(map(run, ln["runs"])), ln["measure"], ln["last"],
                        ln.get("vertical", False), ln.get("rotated", False), ln.get("heading", False),
                        ln.get("table", ""), tuple(ln.get("cells", ())))

    def block(b: dict) -> Block:
        return Block(b["kind"], Box(*b["box"]), b.get("article", ""), tuple(map(line, b.get("lines", ()))),
                     tuple(Rule(*r) for r in b.get("rules", ())), b.get("image", ""), b.get("image_sha256", ""),
                     b.get("colour", "K"), b.get("link", 0), b.get("column", 0), tuple(b.get("crop", ())),
                     b.get("label", ""), tuple(b.get("fill", ())))
    return tuple(map(block, items))


class LineSpool(Spool, Mapping):
    """Pages' layout.json lines (UTF-8) by page number, in a `spool.Spool` as they are
    composed rather than in memory — a line is ~140 KB, a 1,000-page edition's lines
    ~140 MB — read back when layout.json is written (page by page) or a page's blocks
    are asked for. Each line's SHA-256 is taken as it is added: the keys of the page's
    products are made from it."""

    def __init__(self, folder: Path | None = None) -> None:
        super().__init__(folder)
        self._digests: dict[int, str] = {}

    def add(self, number: int, line: bytes, digest: str | None = None) -> SpooledLine:
        """The line written to the spool (`digest`: its SHA-256, if known)."""
        self.put(number, line)
        self._digests[number] = digest or hashlib.sha256(line).hexdigest()
        return SpooledLine(self, number)

    def add_held(self, number: int, line: bytes, digest: str) -> SpooledLine:
        """A line in memory anyway (a watching process's cache memory), held by reference."""
        self.hold(number, line)
        self._digests[number] = digest
        return SpooledLine(self, number)

    def digest(self, number: int) -> str:
        return self._digests[number]

    def __getitem__(self, number: int) -> bytes:
        return self.read(number)


@dataclass(frozen=True)
class SpooledLine:
    """One page's line in a `LineSpool`: `bytes(it)` reads it back."""
    spool: LineSpool
    number: int

    def __bytes__(self) -> bytes:
        return self.spool[self.number]


class LineBlocks(Sequence):
    """The blocks of a page already drawn, held as nothing but its layout.json line: a
    build needs of a drawn page its drawing (`render.pdf.PageOps`), its line and — in
    `kept` — its jump lines and ads; the blocks themselves are read back from the line
    (`blocks_from_json`) only if something asks for them, so a long edition does not
    hold a page's worth of objects per page to its end, and nothing is encoded to keep
    them. Read back, the blocks have layout.json's precision (coordinates to 0.001 pt);
    the page was drawn from the exact ones, and its other fields stay exact."""

    def __init__(self, line: bytes | SpooledLine, kept: tuple[Block, ...]):
        self._line: bytes | SpooledLine | None = line
        self._blocks: tuple[Block, ...] = ()
        self.kept = kept

    def _load(self) -> tuple[Block, ...]:
        if self._line is not None:
            self._blocks = blocks_from_json(json.loads(bytes(self._line))["blocks"])
            self._line = None
        return self._blocks

    def __getitem__(self, i):
        return self._load()[i]

    def __len__(self) -> int:
        return len(self._load())

    def __iter__(self):
        return iter(self._load())

    def __eq__(self, other) -> bool:
        return tuple(self._load()) == tuple(other)

    __hash__ = None

    def __reduce__(self):
        # to a worker started afresh rather than forked: the line itself (not the spool it
        # is in) and the kept blocks — exact, as the page was drawn with them, where blocks
        # read back from the line would be rounded (an ad placed 0.0001 pt away)
        if self._line is not None:
            return (LineBlocks, (bytes(self._line), self.kept))
        return (_read_back, (self._blocks, self.kept))


def _read_back(blocks: tuple[Block, ...], kept: tuple[Block, ...]) -> LineBlocks:
    """A LineBlocks whose blocks were read back already (see `LineBlocks.__reduce__`)."""
    page = LineBlocks(b"", kept)
    page._line, page._blocks = None, blocks
    return page


KEPT_KINDS = ("jump", "ad")   # what the reader edition needs of a page besides its drawing


def kept_blocks(page: PageTree) -> tuple[Block, ...]:
    """The page's jump lines (links) and ads (PDF ads are placed on the finished page): kept
    beside a drawn page's line (`LineBlocks`), so that its blocks need not be read back."""
    kept = getattr(page.blocks, "kept", None)
    return kept if kept is not None else tuple(b for b in page.blocks if b.kind in KEPT_KINDS)


def jump_blocks(page: PageTree) -> tuple[Block, ...]:
    return tuple(b for b in kept_blocks(page) if b.kind == "jump")


def ad_blocks(page: PageTree) -> tuple[Block, ...]:
    return tuple(b for b in kept_blocks(page) if b.kind == "ad")
