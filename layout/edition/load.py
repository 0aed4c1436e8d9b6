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
from pathlib import Path
from typing import Any

from ..problems import Problems
from .article import FRONT_KEYS, load_article  # noqa: F401  (FRONT_KEYS: part of this module's API)
from .model import RANKS, Edition, Origin, Page, Paper, Placement, Slot
from .source import _friendly, _Source, _type_name, display_path, inside, read_text
from .yamlsrc import YamlError, field_name, load_located

EDITION_FILE = "edition.yaml"
PAPER_KEYS = {"name", "publisher", "serial", "postal_code", "price", "address", "printer"}
EDITION_KEYS = {"paper", "date", "issue", "template", "pages"}
PAGE_KEYS = {"number", "section", "editor", "articles"}
SLOT_KEYS = {"source", "rank", "place", "continue_on", "continue_place"}
PLACE_KEYS = ("column", "span", "row", "rows")


def load_edition(folder: Path | str, templates: tuple[str, ...] | None = None,
                 load=load_article) -> tuple[Edition | None, Problems]:
    """The edition in `folder`, and every problem found; `load` reads one article file
    (`load_article`, or `CachedArticles` in a build with a cache)."""
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

    pages = _pages(src, data, root, problems, load)
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
            slot = _slot(src, sraw, spath, root, problems, seen_sources, load)
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
