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
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from ..problems import Problems
from . import cleanup
from .model import (
    PUNCTUATION_STYLES,
    RANKS,
    Article,
    Block,
    Edition,
    Image,
    Origin,
    Page,
    Paper,
    Paragraph,
    Placement,
    Slot,
    Span,
    Subhead,
)
from .yamlsrc import YamlError, field_name, load_located

EDITION_FILE = "edition.yaml"
PAPER_KEYS = {"name", "publisher", "serial", "postal_code", "price", "address", "printer"}
EDITION_KEYS = {"paper", "date", "issue", "template", "pages"}
PAGE_KEYS = {"number", "section", "editor", "articles"}
SLOT_KEYS = {"source", "rank", "place", "continue_on", "continue_place"}
PLACE_KEYS = ("column", "span", "row", "rows")
FRONT_KEYS = {"kicker", "headline", "subhead", "byline", "dateline", "short_headline",
              "vertical_headline", "frame", "punctuation"}


def display_path(path: Path) -> str:
    """A path as the user should read it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


class _Source:
    """One YAML document being read: its name, its line map and the run's problems."""

    def __init__(self, file: Path, lines: dict, problems: Problems):
        self.file = display_path(file)
        self.lines = lines
        self.problems = problems

    def line(self, path: tuple) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 0)

    def error(self, path: tuple, message: str, kind: str = "invalid") -> None:
        self.problems.error(kind, message, file=self.file, line=self.line(path),
                            field=field_name(path))

    def mapping(self, value: Any, path: tuple, allowed: set[str] | tuple) -> dict | None:
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping, got {_type_name(value)}", "wrong-type")
            return None
        for key in value:
            if key not in allowed:
                hint = _close_match(str(key), allowed)
                self.error(path + (key,), f"unknown key '{key}'" + (f" (did you mean '{hint}'?)" if hint else "")
                           + f"; allowed: {', '.join(sorted(allowed))}", "unknown-key")
        return value

    def get(self, data: dict, key: str, path: tuple, kind: type | tuple, required: bool = False,
            default: Any = None) -> Any:
        if key not in data or data[key] is None:
            if required:
                self.error(path + (key,), "required field is missing", "missing-field")
            return default
        value = data[key]
        # bool is an int in Python; a page number of `true` is still a mistake
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.error(path + (key,), f"expected {_friendly(want)}, got {_type_name(value)} {value!r}",
                       "wrong-type")
            return default
        return value

    def text(self, data: dict, key: str, path: tuple, required: bool = False) -> str:
        value = self.get(data, key, path, (str, int, float), required=required, default="")
        text = str(value).strip() if not isinstance(value, bool) else ""
        if required and key in data and data[key] is not None and not text:
            self.error(path + (key,), "must not be empty", "empty-field")
        return text


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number",
            bool: "true/false", type(None): "nothing"}.get(type(value), type(value).__name__)


def _friendly(name: str) -> str:
    return name.replace("str", "text").replace("int", "a whole number").replace("dict", "a mapping")


def _close_match(key: str, allowed) -> str:
    import difflib
    hits = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    return hits[0] if hits else ""


def inside(root: Path, relative: str) -> Path | None:
    """Resolve `relative` against `root`; None when it leaves the edition folder."""
    target = (root / relative).resolve()
    return target if target.is_relative_to(root.resolve()) else None


def load_edition(folder: Path | str, templates: tuple[str, ...] | None = None) -> tuple[Edition | None, Problems]:
    from ..styles import TEMPLATE_FIELDS, template_names

    root = Path(folder).resolve()
    problems = Problems()
    file = root / EDITION_FILE
    if not file.is_file():
        problems.error("missing-file", f"no {EDITION_FILE} in this folder", file=display_path(file))
        return None, problems
    text = _read_text(file, problems)
    if text is None:
        return None, problems
    try:
        data, lines = load_located(text)
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
    issue = src.get(data, "issue", (), int, required=True, default=0)
    if issue is not None and issue < 0:
        src.error(("issue",), "must be a positive number")

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
    elif isinstance(raw_template, str):
        template = raw_template
    else:
        src.error(("template",), f"expected a template name or mapping, got {_type_name(raw_template)}",
                  "wrong-type")
    if template not in known:
        src.error(("template",), f"unknown template '{template}'; known: {', '.join(known)}",
                  "unknown-template")

    pages = _pages(src, data, root, problems)
    if problems.has_errors():
        return None, problems
    edition = Edition(slug=root.name, root=root, paper=paper, date=date, issue=issue,
                      template=template, template_overrides=overrides, pages=tuple(pages))
    return edition, problems


def _paper(src: _Source, data: dict) -> Paper:
    raw = data.get("paper")
    if raw is None:
        src.error(("paper",), "required field is missing", "missing-field")
        return Paper(name="")
    pdata = src.mapping(raw, ("paper",), PAPER_KEYS) or {}
    path = ("paper",)
    return Paper(name=src.text(pdata, "name", path, required=True),
                 **{k: src.text(pdata, k, path) for k in sorted(PAPER_KEYS - {"name"})})


def _pages(src: _Source, data: dict, root: Path, problems: Problems) -> list[Page]:
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
        section = src.text(pdata, "section", path, required=True)
        editor = src.text(pdata, "editor", path)
        slots = []
        araw = pdata.get("articles", [])
        if not isinstance(araw, list):
            src.error(path + ("articles",), f"expected a list, got {_type_name(araw)}", "wrong-type")
            araw = []
        for j, sraw in enumerate(araw):
            spath = path + ("articles", j)
            slot = _slot(src, sraw, spath, root, problems, seen_sources)
            if slot is not None:
                slots.append(slot)
                if slot.continue_on:
                    jumps.append((spath + ("continue_on",), number, slot.continue_on))
        pages.append(Page(number=number or 0, section=section, editor=editor, slots=tuple(slots)))
    numbers = [p.number for p in pages]
    if numbers and numbers != list(range(1, len(numbers) + 1)) and len(set(numbers)) == len(numbers):
        src.error(("pages",), f"pages must be numbered 1…{len(numbers)} in order, got {numbers}", "page-order")
    for path, here, target in jumps:
        if target == here:
            src.error(path, f"an article cannot jump to its own page ({target})", "bad-jump")
        elif target not in seen_numbers:
            src.error(path, f"jump to page {target}, which the edition does not have", "bad-jump")
    return pages


def _slot(src: _Source, raw: Any, path: tuple, root: Path, problems: Problems,
          seen_sources: dict) -> Slot | None:
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
    file = inside(root, source)
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
    article = load_article(file, root, problems)
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


def _read_text(file: Path, problems: Problems) -> str | None:
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.error("encoding", f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                       "save the file as UTF-8", file=display_path(file), line=line)
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


_FRONT = re.compile(r"\A---\n(.*?\n)---[ \t]*(?:\n|\Z)", re.S)
_IMAGE = re.compile(r"^!\[(?P<caption>[^\]]*)\]\((?P<path>[^)\s]+)\)\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def load_article(file: Path, root: Path, problems: Problems) -> Article | None:
    text = _read_text(file, problems)
    if text is None:
        return None
    m = _FRONT.match(text)
    if not m:
        problems.error("front-matter", "an article starts with front matter between '---' lines "
                       "(at least a headline)", file=display_path(file), line=1)
        return None
    try:
        front, lines = load_located(m.group(1))
    except YamlError as exc:
        problems.error("yaml", exc.message, file=display_path(file), line=exc.line + 1)
        return None
    # the front matter starts on line 2 of the file
    src = _Source(file, {k: v + 1 for k, v in lines.items()}, problems)
    front = src.mapping(front if front is not None else {}, (), FRONT_KEYS)
    if front is None:
        return None
    counts: Counter = Counter()

    def clean(key: str, required: bool = False) -> str:
        return cleanup.clean_text(src.text(front, key, (), required=required), counts)

    errors_before = len(problems.errors)
    headline = clean("headline", required=True)
    punctuation = src.text(front, "punctuation", ()) or "quanjiao"
    if punctuation not in PUNCTUATION_STYLES:
        src.error(("punctuation",), f"unknown punctuation style '{punctuation}'; "
                  f"one of {', '.join(PUNCTUATION_STYLES)}")
    body_start = text[: m.end()].count("\n") + 1
    body = _body(text[m.end():], body_start, file, root, problems, counts)
    if not body:
        problems.error("empty-body", "the article has no body text", file=display_path(file), line=body_start)
    article = Article(
        id=file.stem, source=file, headline=headline, kicker=clean("kicker"), subhead=clean("subhead"),
        byline=clean("byline"), dateline=clean("dateline"), short_headline=clean("short_headline"),
        vertical_headline=bool(src.get(front, "vertical_headline", (), bool, default=False)),
        frame=bool(src.get(front, "frame", (), bool, default=False)),
        punctuation=punctuation, body=tuple(body))
    if any(counts.values()):
        problems.warning("copy-cleanup", f"copy clean-up: {cleanup.describe(counts)}",
                         file=display_path(file), article=article.id)
    return None if len(problems.errors) > errors_before else article


def _body(text: str, first_line: int, file: Path, root: Path, problems: Problems,
          counts: Counter) -> list[Block]:
    blocks: list[Block] = []
    chunk: list[str] = []
    chunk_line = first_line

    def flush() -> None:
        if not chunk:
            return
        first = chunk[0].strip()
        if first.startswith("## "):
            blocks.append(Subhead(cleanup.clean_text(first[3:].strip(), counts), chunk_line))
            rest = chunk[1:]
            if rest:
                blocks.append(_paragraph(rest, chunk_line + 1, counts))
        elif m := _IMAGE.match(first):
            path = inside(root, m.group("path"))
            where = dict(file=display_path(file), line=chunk_line, field="image")
            if path is None:
                problems.error("path-escape", f"path leaves the edition folder: {m.group('path')}", **where)
            elif not path.is_file():
                problems.error("missing-image", f"image not found: {m.group('path')}", **where)
            else:
                size = _image_size(path, m.group("path"), problems, where)
                if size is not None:
                    blocks.append(Image(path, cleanup.clean_text(m.group("caption").strip(), counts), chunk_line,
                                        size[0], size[1]))
        else:
            para = _paragraph(chunk, chunk_line, counts)
            if para.text.strip():
                blocks.append(para)

    for n, line in enumerate(text.split("\n"), start=first_line):
        if line.strip():
            if not chunk:
                chunk_line = n
            chunk.append(line)
        else:
            flush()
            chunk = []
    flush()
    return blocks


# Decompression-bomb limit: a newspaper photo is at most a few tens of megapixels;
# anything past this is refused before it is decoded.
MAX_IMAGE_PIXELS = 150_000_000


def _image_size(path: Path, name: str, problems: Problems, where: dict) -> tuple[int, int] | None:
    """Pixel size of an image, after checking it decodes; None (and an error) when it does not."""
    from PIL import Image as PILImage
    PILImage.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with PILImage.open(path) as im:
            im.verify()
        with PILImage.open(path) as im:
            if im.width * im.height > MAX_IMAGE_PIXELS:
                raise PILImage.DecompressionBombError(f"{im.width} × {im.height} pixels")
            im.load()
            return im.size
    except PILImage.DecompressionBombError as exc:
        problems.error("image-too-large", f"image {name} is too large to decode safely ({exc}); "
                       f"limit {MAX_IMAGE_PIXELS:,} pixels", **where)
    except Exception as exc:  # PIL raises many kinds for a damaged file
        problems.error("corrupt-image", f"image {name} cannot be decoded: {exc}", **where)
    return None


def _paragraph(lines: list[str], line: int, counts: Counter) -> Paragraph:
    # Chinese lines join without a space; a space only between two Latin words
    joined = ""
    for raw in lines:
        part = raw.strip()
        if joined and part and joined[-1].isascii() and joined[-1].isalnum() and part[0].isascii() \
                and part[0].isalnum():
            joined += " "
        joined += part
    joined = cleanup.clean_text(joined, counts)
    spans: list[Span] = []
    pos = 0
    for m in _BOLD.finditer(joined):
        if m.start() > pos:
            spans.append(Span(joined[pos:m.start()]))
        spans.append(Span(m.group(1), bold=True))
        pos = m.end()
    if pos < len(joined):
        spans.append(Span(joined[pos:]))
    return Paragraph(tuple(spans), line)
