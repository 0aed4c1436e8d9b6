"""往期回顾 and 检索: one archive over many edition sites, searched in the browser.

    OUT/archive/
      index.html             the editions by month, as calendars, newest first
      search.html            full-text search over every article of every edition
      search/editions.js     the editions: date, paper, issue, where their site is
      search/docs.js         every article: edition, file, headline, page
      search/bg/NN.js        the bigram index, in SHARDS shards
      static/…               the site's stylesheet and search.js

Chinese is searched without word segmentation: every article's text is cut
into overlapping character pairs (bigrams) after NFKC (full-width digits and
letters become ASCII), lower-casing and removing white space; each bigram
lists the articles that contain it, as gaps between article numbers. A query
of n ≥ 2 characters loads only the shards of its n − 1 bigrams, intersects
their lists, and confirms each candidate — newest first — against the
article's text (the edition's own `text.js`), so a hit is a real substring
match and the snippet shows it. Shards and texts are scripts that hand their
data to `banmianSearch`, so search works from file:// as well as a server.

The shard of a bigram is FNV-1a (32-bit) of its code points modulo SHARDS,
computed the same way by `static/search.js`.
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..build import write_atomic
from ..compose.furniture import chinese_date
from ..output import temp_name
from .build import HERE, SiteError, _env, search_script, swap_in

SHARDS = 256
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ArchivedEdition:
    slug: str
    date: dt.date
    paper: str
    issue: int
    pages: int
    site: str                  # the edition's site folder, relative to the archive folder
    articles: tuple            # ({"id", "file", "headline", "page", "text"}, …)


@dataclass
class ArchiveResult:
    folder: Path
    editions: int
    articles: int
    index_bytes: int


def normalize(text: str) -> str:
    """What is indexed and searched: NFKC, lower case, no white space (search.js does the same)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).lower())


def shard_of(bigram: str) -> int:
    h = 2166136261
    for ch in bigram:
        h = ((h ^ ord(ch)) * 16777619) & 0xFFFFFFFF
    return h % SHARDS


def read_edition_site(archive: Path, build_dir: Path) -> ArchivedEdition:
    """An edition as its built site describes it (layout.json and site/text.js)."""
    try:
        layout = json.loads((build_dir / "layout.json").read_text(encoding="utf-8"))
        script = (build_dir / "site" / "text.js").read_text(encoding="utf-8")
        prefix = "banmianSearch.text("
        if not script.startswith(prefix) or not script.rstrip().endswith(");"):
            raise ValueError("text.js is not a banmian search script")
        data = json.loads(script[len(prefix):script.rstrip().rindex(")")])
        date = dt.date.fromisoformat(layout["date"])
        return ArchivedEdition(layout["slug"], date, layout["paper"], int(layout["issue"]), len(layout["pages"]),
                               Path("..", build_dir.name, "site").as_posix(), tuple(data["articles"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SiteError(f"{build_dir}: not a built edition site ({exc})") from None


def index_documents(editions: list[ArchivedEdition]) -> tuple[list, list, dict[int, dict[str, list[int]]]]:
    """Editions newest first; documents in that order (a lower number is newer); and the
    bigram postings by shard, each list of document numbers stored as gaps."""
    editions = sorted(editions, key=lambda e: (e.date, e.slug), reverse=True)
    eds, docs = [], []
    postings: dict[str, list[int]] = {}
    for e_index, e in enumerate(editions):
        eds.append([e.date.isoformat(), e.slug, e.paper, e.issue, e.site])
        for a in e.articles:
            number = len(docs)
            docs.append([e_index, a["file"], a["headline"], a["page"]])
            text = normalize(a["headline"] + a["text"])
            for bigram in {text[i:i + 2] for i in range(len(text) - 1)}:
                postings.setdefault(bigram, []).append(number)
    shards: dict[int, dict[str, list[int]]] = {}
    for bigram in sorted(postings):
        numbers = postings[bigram]
        gaps = [numbers[0]] + [b - a for a, b in zip(numbers, numbers[1:])]
        shards.setdefault(shard_of(bigram), {})[bigram] = gaps
    return eds, docs, shards


def build_archive(editions: list[ArchivedEdition], folder: Path) -> ArchiveResult:
    """Write the archive into `folder` (OUT/archive), replacing the one there when complete."""
    eds, docs, shards = index_documents(editions)
    tmp = temp_name(folder)
    index_bytes = 0
    try:
        for sub in ("search/bg", "static"):
            (tmp / sub).mkdir(parents=True)
        for name, data in (("editions", eds), ("docs", docs)):
            payload = search_script(name, data)
            index_bytes += len(payload)
            write_atomic(tmp / "search" / f"{name}.js", payload)
        for number in range(SHARDS):
            payload = search_script("shard", [number, shards.get(number, {})])
            index_bytes += len(payload)
            write_atomic(tmp / "search" / "bg" / f"{number:02x}.js", payload)
        env = _env()
        latest = sorted(editions, key=lambda e: (e.date, e.slug))[-1] if editions else None
        common = {"paper": latest.paper if latest else "", "root": "", "count": len(editions), "articles": len(docs)}
        html = env.get_template("archive.html").render(months=_months(editions), **common)
        write_atomic(tmp / "index.html", html.encode("utf-8"))
        html = env.get_template("search.html").render(shards=SHARDS, **common)
        write_atomic(tmp / "search.html", html.encode("utf-8"))
        for f in (HERE / "static").iterdir():
            shutil.copyfile(f, tmp / "static" / f.name)
        swap_in(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return ArchiveResult(folder, len(editions), len(docs), index_bytes)


def _months(editions: list[ArchivedEdition]) -> list[dict]:
    """Newest month first; each a calendar (weeks from Monday) whose days link to that day's edition."""
    by_day: dict[dt.date, ArchivedEdition] = {}
    for e in sorted(editions, key=lambda e: e.slug):
        by_day.setdefault(e.date, e)
    months = sorted({(d.year, d.month) for d in by_day}, reverse=True)
    out = []
    for year, month in months:
        first, days = calendar.monthrange(year, month)
        cells = [None] * first
        for day in range(1, days + 1):
            e = by_day.get(dt.date(year, month, day))
            cells.append({"day": day, "edition": e, "label": chinese_date(dt.date(year, month, day))})
        listed = [by_day[d] for d in sorted(by_day, reverse=True) if (d.year, d.month) == (year, month)]
        out.append({"title": f"{year}年{month}月", "cells": cells, "editions": listed})
    return out
