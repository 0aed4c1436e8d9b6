"""Page furniture: the front-page masthead (报头) and the folio (报眉) of other pages.

Masthead: the paper's name large; the date with weekday and 农历 date, the
issue number 第N期, 今日N版, the CN serial and 邮发代号; a double rule under it.
Folio: 版次 (第02版) and 版名 at the outer edge, the paper's name, date and
责任编辑 at the inner, over a rule (newspaper.md, "Page header").
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lunardate import LunarDate

from ..edition.model import EAR_AD, Ad, Edition, Page, Paper
from ..styles import PageTemplate
from ..tree import Block, Box, Rule, TextLine
from .display import SetLine, Setter

WEEKDAYS = "一二三四五六日"
STEMS = "甲乙丙丁戊己庚辛壬癸"
BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
LUNAR_MONTHS = ["正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊"]
LUNAR_DAYS_TENS = ["初", "十", "廿", "三"]
DIGITS = "〇一二三四五六七八九十"
ASCENT = 0.88


def chinese_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日 星期{WEEKDAYS[d.weekday()]}"


def lunar_date(d: dt.date) -> str:
    """农历 date, e.g. 农历乙巳年十月初九 (lunardate: the 1900–2099 tables)."""
    ld = LunarDate.from_solar_date(d.year, d.month, d.day)
    year = STEMS[(ld.year - 4) % 10] + BRANCHES[(ld.year - 4) % 12]
    leap = getattr(ld, "is_leap_month", None)
    leap = ld.isLeapMonth if leap is None else leap
    month = ("闰" if leap else "") + LUNAR_MONTHS[ld.month - 1] + "月"
    day = ld.day
    if day == 10:
        dname = "初十"
    elif day == 20:
        dname = "二十"
    elif day == 30:
        dname = "三十"
    else:
        dname = LUNAR_DAYS_TENS[day // 10] + DIGITS[day % 10 if day % 10 else 10]
    return f"农历{year}年{month}{dname}"


def _line(sl: SetLine, x: float, baseline: float) -> TextLine:
    return TextLine(sl.text, x, baseline, sl.runs, sl.width)


def _block(kind: str, items: list[tuple[SetLine, float, float]], rules: list[Rule], box: Box) -> Block:
    return Block(kind, box, "", tuple(_line(sl, x, y) for sl, x, y in items), tuple(rules))


@dataclass(frozen=True)
class MastheadCopy:
    """What page 1's head prints, taken from the edition by `masthead_copy`: the masthead
    is drawn from this alone, and page 1's cache key holds it — so the key names exactly
    what the masthead reads, no more (a kicker on page 3 does not compose page 1 again)
    and no less (nothing it prints can go stale)."""
    paper: Paper
    date: dt.date
    issue: int
    pages: int                              # 今日N版
    accent: bool                            # the nameplate in the edition's second colour (套红)
    ear: tuple[tuple[int, str], ...] = ()   # 今日导读: (page, headline) of the first two stories of later pages
    ear_ad: Ad | None = None                # a booked 报眼 ad in the right ear instead
    ear_ad_file: str = ""                   # its path in the edition folder


def masthead_copy(edition: Edition, page: Page) -> MastheadCopy:
    ear = tuple((p.number, s.article.headline.replace("|", "")) for p in edition.pages[1:] for s in p.slots[:2])
    ad = next((a for a in page.ads if a.size == EAR_AD), None)
    rel = "" if ad is None else str(ad.file.relative_to(edition.root) if edition.root else ad.file)
    return MastheadCopy(edition.paper, edition.date, edition.issue, len(edition.pages),
                        bool(page.accent and edition.accent), ear, ad, rel)


def masthead(copy: MastheadCopy, tpl: PageTemplate, setter: Setter,
             with_ear_ad: bool = True) -> tuple[list[Block], list[str]]:
    """Page 1's head: the nameplate (报头, the paper's name: in the edition's accent colour, 套红,
    unless the page is black only), the ears either side of it (the right one 今日导读, or a
    booked 报眼 ad), the date and issue line, and the double rule below; as blocks: the
    nameplate, the rest, and the ad. Without `with_ear_ad`, 今日导读 stands in the ad's place."""
    ear_ad = copy.ear_ad if with_ear_ad else None
    left, width = tpl.left, tpl.type_width
    top = tpl.top
    height = tpl.masthead_lines * tpl.line_pitch
    items: list[tuple[SetLine, float, float]] = []
    name_size = min(96.0, height * 0.55)
    name = setter.line(copy.paper.name, "song-bold", name_size)
    name_item = (name, left + (width - name.width) / 2, top + ASCENT * name_size + 0.08 * height)
    nameplate = Block("nameplate", Box(name_item[1], top + 0.08 * height, name.width, name_size), "",
                      (_line(*name_item),), colour="accent" if copy.accent else "K")
    rules: list[Rule] = []
    ear_w = min(tpl.span_width(2), (width - name.width) / 2 - tpl.gutter * 2)
    ad_block = None
    if ear_w > 6 * 10.5:
        # the ears (报眼) stand either side of the name, centred on it
        centre = top + 0.08 * height + (ASCENT - 0.45) * name_size
        max_h = height - 3.2 * tpl.line_pitch
        if ear_ad is not None:
            # the 报眼 module: the ear's width, from the type area's top down to the date line's air
            ad_block = Block("ad", Box(left + width - ear_w, top, ear_w, max_h), image=copy.ear_ad_file,
                             image_sha256=ear_ad.sha256, label=ear_ad.advertiser)
        else:
            items += _ear_index(copy, setter, left + width - ear_w, ear_w, centre, max_h, rules)
        items += _ear_date(copy.date, setter, left, ear_w, centre, rules)
    info_y = top + height - 1.2 * tpl.line_pitch
    small = 10.5
    d = copy.date
    left_text = f"{chinese_date(d)}  {lunar_date(d)}"
    right_bits = [f"第{copy.issue}期", f"今日{copy.pages}版"]
    if copy.paper.serial:
        right_bits.append(f"国内统一连续出版物号 {copy.paper.serial}")
    if copy.paper.postal_code:
        right_bits.append(f"邮发代号 {copy.paper.postal_code}")
    lt = setter.line(left_text, "hei", small)
    rt = setter.line("  ".join(right_bits), "hei", small)
    items.append((lt, left, info_y))
    items.append((rt, left + width - rt.width, info_y))
    if copy.paper.publisher:
        pub = setter.line(f"{copy.paper.publisher}出版", "kai", small)
        items.append((pub, left + (width - pub.width) / 2, info_y - 1.6 * small))
    y_rule = top + height - 0.45 * tpl.line_pitch
    rules += [Rule(left, y_rule, left + width, y_rule, 2.0),
              Rule(left, y_rule + 3.0, left + width, y_rule + 3.0, 0.5)]
    missing = [c for sl, _, _ in [name_item, *items] for c in sl.missing]
    blocks = [nameplate, _block("masthead", items, rules, Box(left, top, width, height))]
    if ear_ad is not None:
        if ad_block is None:
            raise EarError("the template's masthead has no ears: a 报眼 ad has nowhere to go")
        blocks.append(ad_block)
    return blocks, missing


class EarError(ValueError):
    pass


def _boxed(x: float, top: float, w: float, bottom: float, rules: list[Rule]) -> None:
    rules += [Rule(x, top, x + w, top, 0.5), Rule(x + w, top, x + w, bottom, 0.5),
              Rule(x, bottom, x + w, bottom, 0.5), Rule(x, top, x, bottom, 0.5)]


def _ear(lines: list[tuple[SetLine, float]], x: float, w: float, centre: float, pad: float,
         rules: list[Rule], centred: bool) -> list[tuple[SetLine, float, float]]:
    """Stack (line, leading) pairs in a ruled box of width w, centred on `centre`."""
    height = sum(lead for _, lead in lines) + 2 * pad
    top = centre - height / 2
    y = top + pad
    items = []
    for ln, lead in lines:
        y += lead
        items.append((ln, x + ((w - ln.width) / 2 if centred else pad), y - 0.25 * ln.size))
    _boxed(x, top, w, top + height, rules)
    return items


def _ear_index(copy: MastheadCopy, setter: Setter, x: float, w: float, centre: float, max_h: float,
               rules: list[Rule]) -> list[tuple[SetLine, float, float]]:
    """The right ear (报眼): 今日导读, the first stories of the other pages."""
    lines = [(setter.line("今日导读", "hei", 14.0), 20.0)]
    for number, headline in copy.ear:
        for ln in setter.wrapped(f"{number:02d}版 {headline}", "kai", 11.0, w - 16):
            if sum(lead for _, lead in lines) + 16 > max_h - 16:
                return _ear(lines, x, w, centre, 8, rules, False)
            lines.append((ln, 16.0))
    return _ear(lines, x, w, centre, 8, rules, False)


def _ear_date(d: dt.date, setter: Setter, x: float, w: float, centre: float,
              rules: list[Rule]) -> list[tuple[SetLine, float, float]]:
    """The left ear: the date large, weekday and 农历 below it."""
    pad = 8
    lines = [(fit_line(setter, f"{d.month}月{d.day}日", "song-bold", 34.0, w - 2 * pad), 36.0),
             (fit_line(setter, f"{d.year}年 星期{WEEKDAYS[d.weekday()]}", "kai", 13.0, w - 2 * pad), 22.0),
             (fit_line(setter, lunar_date(d), "kai", 13.0, w - 2 * pad), 19.0)]
    return _ear(lines, x, w, centre, pad, rules, True)


def fit_line(setter: Setter, text: str, role: str, size: float, width: float, floor: float = 6.5) -> SetLine:
    """`text` at `size`, or smaller until it fits `width` (not below `floor` pt: a line that
    still does not fit is then reported by the page's check that lines stay in their space)."""
    line = setter.line(text, role, size)
    if line.width > width and line.width > 0:
        line = setter.line(text, role, max(floor, round(size * width / line.width - 0.05, 1)))
    return line


def page_label(tpl: PageTemplate, number: int) -> str:
    return f"{tpl.page_label_prefix}{number:02d}"


def folio(edition: Edition, page: Page, tpl: PageTemplate, setter: Setter) -> tuple[list[Block], list[str]]:
    """The head of pages after the first: page number and 版名 at the outer edge, paper, date and
    editor at the inner, a rule below. With an accent colour (and the page not black only),
    the 版名 is set in white on a bar of that colour (a section bar)."""
    left, width = tpl.left, tpl.type_width
    top = tpl.top
    height = tpl.folio_lines * tpl.line_pitch
    base = top + height - 0.9 * tpl.line_pitch
    number = setter.line(f"第{page_label(tpl, page.number)}版", "hei", 14.0)
    section = setter.line(page.section, "hei", 22.0)
    info_bits = [edition.paper.name, chinese_date(edition.date)]
    if page.editor:
        info_bits.append(f"责任编辑：{page.editor}")
    info = setter.line("  ".join(info_bits), "kai", 10.5)
    items: list[tuple[SetLine, float, float]] = []
    gap = 12.0
    if page.number % 2 == 0:   # even page: folio at the left (outer) edge
        items.append((number, left, base))
        items.append((section, left + number.width + gap, base))
        items.append((info, left + width - info.width, base))
    else:
        items.append((section, left + width - section.width, base))
        items.append((number, left + width - section.width - gap - number.width, base))
        items.append((info, left, base))
    y_rule = top + height - 0.3 * tpl.line_pitch
    rules = [Rule(left, y_rule, left + width, y_rule, 1.2)]
    missing = [c for sl, _, _ in items for c in sl.missing]
    if not (edition.accent and page.accent):
        return [_block("folio", items, rules, Box(left, top, width, height))], missing
    named = next(item for item in items if item[0] is section)
    items.remove(named)
    sl, x, y = named
    pad = 0.3 * sl.size
    bar = Block("bar", Box(x - pad, y - ASCENT * sl.size - pad / 2, sl.width + 2 * pad, sl.size + pad), "",
                colour="accent")
    name = Block("section", Box(x, y - ASCENT * sl.size, sl.width, sl.size), "", (_line(sl, x, y),), colour="white")
    return [_block("folio", items, rules, Box(left, top, width, height)), bar, name], missing
