"""Load and validate an edition folder.

    editions/<slug>/edition.yaml     the paper, date, template and pages
    editions/<slug>/articles/*.md    one file per article: front matter + body
    editions/<slug>/images/…         images named by articles

`load_edition(folder)` returns (Edition | None, Problems). Every problem of
the run is collected — never only the first — each with file, line and field,
e.g. `editions/x/edition.yaml:14: pages[1].articles[2].source: file not found`.
Unknown keys are errors: a typo must never be silently ignored.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

from ..problems import Problems
from .article import FRONT_KEYS, load_article  # noqa: F401  (FRONT_KEYS: part of this module's API)
from .model import AD_SIZES, EAR_AD, RANKS, Accent, Ad, Edition, Origin, Page, Paper, Placement, Slot
from .source import _friendly, _Source, _type_name, display_path, inside, read_limited, read_text
from .yamlsrc import YamlError, field_name, load_located_kept

EDITION_FILE = "edition.yaml"
PAPER_KEYS = {"name", "publisher", "serial", "postal_code", "price", "address", "printer"}
EDITION_KEYS = {"paper", "date", "issue", "template", "pages", "accent"}
PAGE_KEYS = {"number", "section", "editor", "articles", "accent", "ads"}
AD_KEYS = {"file", "size", "rows", "advertiser", "place"}
AD_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}
SPOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}")
SLOT_KEYS = {"source", "rank", "place", "continue_on", "continue_place"}
PLACE_KEYS = ("column", "span", "row", "rows")

# Characters a field may hold: beyond these it cannot fit where it is printed (a 版名 in
# the folio, a paper's name in the masthead, the imprint on one line of the last page).
TEXT_LIMITS = {"name": 12, "publisher": 30, "serial": 20, "postal_code": 12, "price": 20, "address": 50,
               "printer": 30, "section": 10, "editor": 12, "advertiser": 40}
# The 农历 date on the masthead comes from lunardate's tables, which cover 1900–2099.
FIRST_YEAR, LAST_YEAR = 1901, 2099
MAX_ISSUE = 99_999_999
MAX_PAGES = 999
# Template overrides: (least, most) of each number; beyond them no page can be made.
TEMPLATE_RANGES = {
    "trim_width_mm": (60, 2000), "trim_height_mm": (60, 2000),
    "margin_top_mm": (3, 200), "margin_bottom_mm": (3, 200), "margin_side_mm": (3, 200),
    "columns": (1, 20), "gutter_chars": (0.5, 10), "body_size": (5, 30), "line_pitch": (5, 60),
    "masthead_lines": (3, 60), "folio_lines": (1, 20), "bleed_mm": (0, 10), "ink_limit": (100, 400),
}
LABEL_PREFIX = re.compile(r"[A-Za-z0-9_-]{0,8}")


def load_edition(folder: Path | str, templates: tuple[str, ...] | None = None,
                 load=load_article) -> tuple[Edition | None, Problems]:
    """The edition in `folder`, and every problem found; `load` reads one article file
    (`load_article`, or `preload.CachedArticles` in a build with a cache)."""
    from ..styles import TEMPLATE_FIELDS, template_names

    root = Path(folder).resolve()
    problems = Problems()
    file = root / EDITION_FILE
    if not file.is_file():
        problems.error("missing-file", f"no {EDITION_FILE} in this folder", file=display_path(file))
        return None, problems
    text = read_text(file, problems)
    if text is None:
        return None, problems
    try:
        data, lines = load_located_kept(text)
    except YamlError as exc:
        problems.error("yaml", exc.message, file=display_path(file), line=exc.line)
        return None, problems
    src = _Source(file, lines, problems)
    if data is None:
        src.error((), "the edition is empty: it needs paper, date, issue, template and pages", "empty-edition")
        return None, problems
    data = src.mapping(data, (), EDITION_KEYS)
    if data is None:
        return None, problems

    paper = _paper(src, data)
    date = src.get(data, "date", (), dt.date, required=True)
    if isinstance(date, dt.datetime):
        date = date.date()
    if isinstance(date, dt.date) and not FIRST_YEAR <= date.year <= LAST_YEAR:
        src.error(("date",), f"{date.isoformat()} is outside {FIRST_YEAR}–{LAST_YEAR}, the years the "
                  "masthead's 农历 calendar covers")
    issue = src.get(data, "issue", (), int, required=True, default=0)
    if issue is not None and not 0 <= issue <= MAX_ISSUE:
        src.error(("issue",), f"must be a number from 0 to {MAX_ISSUE:,}")

    template, overrides = "broadsheet", {}
    raw_template = data.get("template", "broadsheet")
    known = templates or template_names()
    if isinstance(raw_template, dict):
        tdata = src.mapping(raw_template, ("template",), {"name"} | set(TEMPLATE_FIELDS)) or {}
        template = src.text(tdata, "name", ("template",), required=True) or "broadsheet"
        overrides = {k: v for k, v in tdata.items() if k != "name" and k in TEMPLATE_FIELDS}
        for k, v in overrides.items():
            want = TEMPLATE_FIELDS[k]
            if not isinstance(v, want) or isinstance(v, bool) and want is not bool:
                src.error(("template", k), f"expected {_friendly(getattr(want, '__name__', 'a number'))}, "
                          f"got {_type_name(v)} {v!r}", "wrong-type")
            elif k in TEMPLATE_RANGES and not TEMPLATE_RANGES[k][0] <= v <= TEMPLATE_RANGES[k][1]:
                lo, hi = TEMPLATE_RANGES[k]
                src.error(("template", k), f"{v!r} is out of range: {lo}–{hi}", "out-of-range")
            elif k == "page_label_prefix" and not LABEL_PREFIX.fullmatch(v):
                src.error(("template", k), f"{v!r}: up to 8 letters, digits, - or _ (it names files and links)",
                          "out-of-range")
    elif isinstance(raw_template, str):
        template = raw_template
    else:
        src.error(("template",), f"expected a template name or mapping, got {_type_name(raw_template)}",
                  "wrong-type")
    if template not in known:
        src.error(("template",), f"unknown template '{template}'; known: {', '.join(known)}",
                  "unknown-template")

    pages = _pages(src, data, root, problems, load)
    if problems.has_errors():
        return None, problems
    accent = _accent(src, data)
    if problems.has_errors():
        return None, problems
    edition = Edition(slug=root.name, root=root, paper=paper, date=date, issue=issue,
                      template=template, template_overrides=overrides, pages=tuple(pages), accent=accent)
    return edition, problems


def _ads(src: _Source, pdata: dict, path: tuple, root: Path) -> tuple[Ad, ...]:
    """`ads: [{file: ads/bank.pdf, size: 通栏, advertiser: 清河银行}, …]`, stacked at the page's foot."""
    raw = pdata.get("ads")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        src.error(path + ("ads",), f"expected a list of ads, got {_type_name(raw)}", "wrong-type")
        return ()
    out = []
    for k, araw in enumerate(raw):
        apath = path + ("ads", k)
        adata = src.mapping(araw, apath, AD_KEYS)
        if adata is None:
            continue
        name = src.text(adata, "file", apath, required=True)
        size = src.text(adata, "size", apath)
        rows = src.get(adata, "rows", apath, int, default=0) or 0
        advertiser = _limited(src, adata, "advertiser", apath)
        if not name:
            continue
        file = inside(root, name, root_resolved=True, dirs=src.dirs)
        if file is None:
            src.error(apath + ("file",), f"path leaves the edition folder: {name}", "path-escape")
            continue
        if not file.is_file():
            src.error(apath + ("file",), f"ad not found: {name}", "missing-file")
            continue
        if file.suffix.lower() not in AD_SUFFIXES:
            src.error(apath + ("file",), f"an ad is a PDF or a picture ({', '.join(sorted(AD_SUFFIXES))}), "
                      f"not {file.suffix or 'a file without a suffix'}", "ad-file")
            continue
        place = _placement(src, adata, "place", apath)
        if bool(size) + bool(rows) + ("place" in adata) != 1:
            src.error(apath, f"give an ad one of size (one of {', '.join(AD_SIZES)}), rows, or place "
                      "(grid cells)", "ad-size")
            continue
        if "place" in adata and place is None:
            continue
        if size and size not in AD_SIZES and size != EAR_AD:
            src.error(apath + ("size",), f"unknown ad size '{size}': one of {', '.join([*AD_SIZES, EAR_AD])}",
                      "ad-size")
            continue
        if size == EAR_AD and pdata.get("number") != 1:
            src.error(apath + ("size",), f"a {EAR_AD} ad stands beside the nameplate: page 1 only", "ad-size")
            continue
        if rows and not 1 <= rows <= 400:
            src.error(apath + ("rows",), f"{rows} rows is out of range: 1–400", "out-of-range")
            continue
        try:
            digest = hashlib.sha256(read_limited(file, MAX_AD_BYTES)).hexdigest()
        except OSError as exc:
            src.error(apath + ("file",), f"ad {name} cannot be read: {exc}", "ad-file")
            continue
        out.append(Ad(file, size, rows, advertiser, digest, src.line(apath), field_name(apath), place))
    return tuple(out)


MAX_AD_BYTES = 256 * 1024 * 1024


def _accent(src: _Source, data: dict) -> Accent | None:
    """`accent: {spot: PANTONE 485 C, cmyk: [0, 95, 100, 0]}` or `accent: {cmyk: [0, 100, 100, 0]}`."""
    raw = data.get("accent")
    if raw is None:
        return None
    adata = src.mapping(raw, ("accent",), {"spot", "cmyk"})
    if adata is None:
        return None
    cmyk = adata.get("cmyk")
    if not (isinstance(cmyk, list) and len(cmyk) == 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                              and 0 <= v <= 100 for v in cmyk)):
        src.error(("accent", "cmyk"), "the colour as four percentages [C, M, Y, K], each 0–100", "wrong-type")
        return None
    spot = adata.get("spot", "")
    if spot != "" and not (isinstance(spot, str) and SPOT_NAME.fullmatch(spot)):
        src.error(("accent", "spot"), f"a spot ink's name: up to 40 letters, digits, spaces, . _ - (got {spot!r})",
                  "out-of-range")
        return None
    return Accent(tuple(v / 100 for v in cmyk), spot)


def _paper(src: _Source, data: dict) -> Paper:
    raw = data.get("paper")
    if raw is None:
        src.error(("paper",), "required field is missing", "missing-field")
        return Paper(name="")
    pdata = src.mapping(raw, ("paper",), PAPER_KEYS) or {}
    path = ("paper",)
    return Paper(name=_limited(src, pdata, "name", path, required=True),
                 **{k: _limited(src, pdata, k, path) for k in sorted(PAPER_KEYS - {"name"})})


def _limited(src: _Source, data: dict, key: str, path: tuple, required: bool = False) -> str:
    """A text field no longer than TEXT_LIMITS allows for where it is printed."""
    text = src.text(data, key, path, required=required)
    limit = TEXT_LIMITS.get(key)
    if limit and len(text) > limit:
        src.error(path + (key,), f"{len(text)} characters is too long to print: at most {limit}", "too-long")
    return text


def _pages(src: _Source, data: dict, root: Path, problems: Problems, load=load_article) -> list[Page]:
    raw = data.get("pages")
    if raw is None or raw == []:
        src.error(("pages",), "the edition has no pages", "empty-edition")
        return []
    if not isinstance(raw, list):
        src.error(("pages",), f"expected a list of pages, got {_type_name(raw)}", "wrong-type")
        return []
    pages: list[Page] = []
    seen_numbers: dict[int, int] = {}
    seen_sources: dict[Path, str] = {}
    jumps: list[tuple[tuple, int, int]] = []
    empty: list[tuple[int, int]] = []
    ids: dict[str, str] = {}
    for i, praw in enumerate(raw):
        path = ("pages", i)
        pdata = src.mapping(praw, path, PAGE_KEYS)
        if pdata is None:
            continue
        number = src.get(pdata, "number", path, int, required=True, default=0)
        if number is not None and number < 1 and "number" in pdata:
            src.error(path + ("number",), "page numbers start at 1")
        if number in seen_numbers:
            src.error(path + ("number",), f"duplicate page number {number} (also pages[{seen_numbers[number]}])",
                      "duplicate-page")
        elif number:
            seen_numbers[number] = i
        section = _limited(src, pdata, "section", path, required=True)
        editor = _limited(src, pdata, "editor", path)
        slots = []
        araw = pdata.get("articles") or []
        if not isinstance(araw, list):
            src.error(path + ("articles",), f"expected a list, got {_type_name(araw)}", "wrong-type")
            araw = []
        elif not araw and not pdata.get("ads"):
            empty.append((i, number))
        for j, sraw in enumerate(araw):
            spath = path + ("articles", j)
            slot = _slot(src, sraw, spath, root, problems, seen_sources, load)
            if slot is not None and slot.article.id in ids:
                # the id names the article everywhere: links, bookmarks, caches, the site
                src.error(spath + ("source",), f"two articles are called '{slot.article.id}' (also "
                          f"{ids[slot.article.id]}): article file names must differ", "duplicate-article")
            elif slot is not None:
                ids[slot.article.id] = field_name(spath)
                slots.append(slot)
                if slot.continue_on:
                    jumps.append((spath + ("continue_on",), number, slot.continue_on))
        accent = src.get(pdata, "accent", path, bool, default=True)
        ads = _ads(src, pdata, path, root)
        if ads and sum(AD_SIZES.get(a.size, 0) for a in ads) >= 1 and slots:
            src.error(path + ("ads",), "a 整版 ad takes the whole page: it has no room for articles", "ad-size")
        pages.append(Page(number=number or 0, section=section, editor=editor, slots=tuple(slots),
                          origin=Origin(src.file, src.line(path), field_name(path)),
                          accent=True if accent is None else accent, ads=ads))
    if len(pages) > MAX_PAGES:
        src.error(("pages",), f"{len(pages)} pages: an edition has at most {MAX_PAGES}", "too-many-pages")
    numbers = [p.number for p in pages]
    if numbers and numbers != list(range(1, len(numbers) + 1)) and len(set(numbers)) == len(numbers):
        src.error(("pages",), f"pages must be numbered 1…{len(numbers)} in order, got {numbers}", "page-order")
    for path, here, target in jumps:
        if target == here:
            src.error(path, f"an article cannot jump to its own page ({target})", "bad-jump")
        elif target not in seen_numbers:
            src.error(path, f"jump to page {target}, which the edition does not have", "bad-jump")
        elif target < here:
            # 下转 always reads forward: a continuation is composed after the page it comes from
            src.error(path, f"a jump goes to a later page: page {target} comes before page {here}", "bad-jump")
    arriving = {target for _, _, target in jumps}
    for i, number in empty:
        if number not in arriving:
            src.error(("pages", i), f"page {number} has no articles and no jump continues on it: "
                      "an empty page cannot go to press", "empty-page")
    return pages


def _slot(src: _Source, raw: Any, path: tuple, root: Path, problems: Problems,
          seen_sources: dict, load=load_article) -> Slot | None:
    if isinstance(raw, str):  # shorthand: just the article file
        raw = {"source": raw}
    sdata = src.mapping(raw, path, SLOT_KEYS)
    if sdata is None:
        return None
    source = src.text(sdata, "source", path, required=True)
    rank = src.text(sdata, "rank", path) or "normal"
    if rank not in RANKS:
        src.error(path + ("rank",), f"unknown rank '{rank}'; one of {', '.join(RANKS)}")
    place = _placement(src, sdata, "place", path)
    continue_place = _placement(src, sdata, "continue_place", path)
    continue_on = src.get(sdata, "continue_on", path, int, default=0) or 0
    if not source:
        return None
    file = inside(root, source, root_resolved=True, dirs=src.dirs)
    if file is None:
        src.error(path + ("source",), f"path leaves the edition folder: {source}", "path-escape")
        return None
    if not file.is_file():
        src.error(path + ("source",), f"file not found: {source}", "missing-file")
        return None
    if file in seen_sources:
        src.error(path + ("source",), f"article {source} is already placed at {seen_sources[file]}",
                  "duplicate-article")
        return None
    seen_sources[file] = field_name(path)
    article = load(file, root, problems)
    if article is None:
        return None
    if continue_place is not None and not continue_on:
        src.error(path + ("continue_place",), "continue_place needs continue_on (the page it is on)")
    return Slot(article=article, rank=rank, place=place, continue_on=continue_on,
                continue_place=continue_place,
                origin=Origin(src.file, src.line(path), field_name(path)))


def _placement(src: _Source, sdata: dict, key: str, path: tuple) -> Placement | None:
    if key not in sdata:
        return None
    pdata = src.mapping(sdata[key], path + (key,), set(PLACE_KEYS))
    if pdata is None:
        return None
    values = [src.get(pdata, k, path + (key,), int, required=True) for k in PLACE_KEYS]
    for k, v in zip(PLACE_KEYS, values):
        if v is not None and v < 1:
            src.error(path + (key, k), f"must be 1 or more, got {v}")
    if all(v is not None and v >= 1 for v in values):
        return Placement(*values)
    return None
