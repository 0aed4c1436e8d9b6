"""The edition model: what the loader produces and the typesetter consumes.

Edition      the paper, the date, the template and the pages in order
Page         number, section (版名), editor (责任编辑) and its article slots
Slot         one article on one page: source, rank, optional placement, jump
Article      front matter (kicker 引题, headline 主题, subhead 副题, byline,
             dateline) and a body of blocks
Paragraph / Subhead / Image / Table / PullQuote   body blocks; a paragraph is a list of Spans
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

RANKS = ("lead", "major", "normal", "brief")
PUNCTUATION_STYLES = ("quanjiao", "kaiming", "banjiao")
# `frame:` in an article's front matter: true is a single hairline
FRAME_STYLES = {"single": "single", "单线": "single", "double": "double", "双线": "double",
                "wenwu": "wenwu", "文武线": "wenwu"}


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False


@dataclass(frozen=True)
class Paragraph:
    spans: tuple[Span, ...]
    line: int = 0            # line in the article file, for messages

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True)
class Subhead:
    """A block section subhead (小标题), `## ` in the article file."""
    text: str
    line: int = 0


@dataclass(frozen=True)
class Image:
    path: Path               # absolute path inside the edition folder
    caption: str
    line: int = 0
    width_px: int = 0
    height_px: int = 0
    sha256: str = ""         # of the file's bytes, taken when it was checked
    credit: str = ""         # 摄影/图片来源: given, or read from the file's IPTC/XMP
    crop: tuple[float, ...] = ()    # (left, top, right, bottom) as fractions of the picture: the part printed
    focus: tuple[float, ...] = ()   # (x, y) fractions: the point kept when a set height trims the picture
    rows: int = 0            # photo height in grid rows, set by the desk (0: from the proportions)
    columns: int = 0         # columns wide (0: half the block's, at least 2)
    wrap: str = ""           # "left" | "center" | "right": set inside the body, the text wrapping round it (绕排)

    @property
    def crop_box(self) -> tuple[float, float, float, float]:
        return tuple(self.crop) if self.crop else (0.0, 0.0, 1.0, 1.0)


@dataclass(frozen=True)
class Table:
    """A Markdown pipe table (`| 品种 | 收盘价 |`): the head row, the body rows and each
    column's alignment ("left", "right", "center"; a column of figures defaults to right)."""
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...]
    line: int = 0

    @property
    def text(self) -> str:
        return "".join("".join(r) for r in (self.head, *self.rows))


@dataclass(frozen=True)
class PullQuote:
    """A pull quote (引语), `> ` in the article file: a line from the story set large in 楷体
    between two rules, inside the body, the text wrapping round it (绕排)."""
    text: str
    line: int = 0
    columns: int = 0         # columns wide (0: one, two in a block of five or more)
    wrap: str = "center"     # "left" | "center" | "right": which of the block's columns


WRAP_SIDES = ("left", "center", "right")

Block = Paragraph | Subhead | Image | Table | PullQuote


@dataclass(frozen=True)
class Article:
    id: str                  # the file's stem, unique in the edition
    source: Path             # absolute path of the article file
    headline: str
    kicker: str = ""
    subhead: str = ""
    byline: str = ""
    dateline: str = ""       # run-in at the start of the first paragraph (本报北京11月28日电)
    short_headline: str = "" # repeated over a jump's continuation; defaults to the headline
    vertical_headline: bool = False
    frame: str = ""          # a box round the story (框): "single" hairline, "double" (双线), "wenwu" (文武线)
    tint: tuple[float, ...] = ()   # 底纹: the block's background as CMYK fractions (a K tint: (0, 0, 0, k))
    reverse: bool = False          # 反白: the headline in white on a solid bar across the block
    punctuation: str = "quanjiao"
    body: tuple[Block, ...] = ()
    digest: str = ""         # sha256 of the file's text as read: what cache keys name the article by

    @property
    def characters(self) -> int:
        n = 0
        for b in self.body:
            n += len(b.text) if isinstance(b, (Paragraph, Subhead, Table, PullQuote)) else len(b.caption)
        return n


@dataclass(frozen=True)
class Placement:
    """A rectangle of grid cells; columns and rows are 1-based like a layout sheet."""
    column: int
    span: int
    row: int
    rows: int


@dataclass(frozen=True)
class Origin:
    """Where a value was written, for messages: file, 1-based line, field path."""
    file: str = ""
    line: int = 0
    field: str = ""


@dataclass(frozen=True)
class Slot:
    article: Article
    rank: str = "normal"
    place: Placement | None = None
    continue_on: int = 0      # page number the overflow jumps to (0: no jump)
    continue_place: Placement | None = None  # where the continuation goes on that page
    origin: Origin = Origin()                # the slot in edition.yaml


# Ad modules (广告版位) as shares of the page's type area, full width at its foot:
# 整版 the whole page, 半版 half, 通栏 a quarter, 半通栏 an eighth.
AD_SIZES = {"整版": 1.0, "半版": 0.5, "通栏": 0.25, "半通栏": 0.125}
EAR_AD = "报眼"   # the right ear of page 1's masthead, in place of 今日导读


@dataclass(frozen=True)
class Ad:
    """A booked ad: a finished PDF (placed as it is, colours kept) or a picture, across the
    type area at the page's foot, `size` a module of AD_SIZES or `rows` grid lines — or in
    grid cells of a page laid out by hand (`place`)."""
    file: Path                # absolute path inside the edition folder
    size: str = ""            # a key of AD_SIZES, or "" when rows are given
    rows: int = 0
    advertiser: str = ""
    sha256: str = ""
    line: int = 0             # in edition.yaml
    field: str = ""
    place: Placement | None = None   # grid cells (a side module, 竖半版 …) instead of the foot


@dataclass(frozen=True)
class Page:
    number: int
    section: str
    editor: str = ""
    slots: tuple[Slot, ...] = ()
    origin: Origin = Origin()                # the page in edition.yaml
    accent: bool = True                      # False: a black-only page (its plate set has no second colour)
    ads: tuple[Ad, ...] = ()                 # booked ads, placed before the stories


@dataclass(frozen=True)
class Accent:
    """The edition's second colour (套红): the nameplate prints in it. A spot ink named `spot`
    (a Separation, with `cmyk` as its process equivalent for proofs and screens), or, with
    no name, the process colour `cmyk` (fractions 0–1)."""
    cmyk: tuple[float, float, float, float]
    spot: str = ""


@dataclass(frozen=True)
class Paper:
    name: str
    publisher: str = ""
    serial: str = ""          # CN 刊号, e.g. CN 11-0000
    postal_code: str = ""     # 邮发代号
    price: str = ""
    address: str = ""
    printer: str = ""


@dataclass(frozen=True)
class Edition:
    slug: str
    root: Path                # the edition folder
    paper: Paper
    date: dt.date
    issue: int
    template: str
    template_overrides: dict = field(default_factory=dict, hash=False, compare=False)
    pages: tuple[Page, ...] = ()
    accent: Accent | None = None   # None: every page in black only

    @property
    def articles(self) -> list[Article]:
        return [s.article for p in self.pages for s in p.slots]
