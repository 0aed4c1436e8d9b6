#!/usr/bin/env python3
"""The archive's offline search over a year of editions: index size and query time.

    python -m bench.search [--editions 365] [--pages 8] [--runs 5]

Writes EDITIONS synthetic editions' texts (about 6 articles and 6,000
characters a page) beside an archive built by `layout.site.archive` exactly as
`banmian site ARCHIVE` builds it — without drawing the pages, which the search
never reads — and prints the index's size. Then it runs queries in headless
Chromium (search.html from file://, a fresh page each run, so shards and texts
load cold) and prints, per query, the median time from submitting to the first
page of verified results (as the page measures it), the hits and the bytes the
query loaded. Synthetic copy mixes a small news vocabulary with names drawn from
the characters of the sample edition, for a long tail of rare character pairs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.newscopy import paragraph  # noqa: E402
from layout.site.archive import SHARDS, ArchivedEdition, build_archive  # noqa: E402
from layout.site.build import search_script  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def han_pool() -> list[str]:
    chars = set()
    for f in (ROOT / "editions" / "qinghe-ribao" / "articles").glob("*.md"):
        chars.update(c for c in f.read_text(encoding="utf-8") if "\u4e00" <= c <= "\u9fff")
    return sorted(chars)


def synthetic_archive(folder: Path, editions: int, pages: int, seed: int = 2026) -> tuple[list[ArchivedEdition], int]:
    rng = random.Random(seed)
    pool = han_pool()
    start = dt.date(2025, 12, 1)
    out, chars = [], 0
    for e in range(editions):
        date = start + dt.timedelta(days=e)
        slug = date.isoformat()
        articles = []
        for p in range(1, pages + 1):
            for a in range(rng.randint(5, 7)):
                paras = []
                for _ in range(rng.randint(3, 8)):
                    text = paragraph(rng, rng.randint(90, 260))
                    names = ["".join(rng.choice(pool) for _ in range(rng.randint(2, 4))) for _ in range(3)]
                    paras.append(names[0] + text[:60] + names[1] + text[60:] + names[2])
                body = "\n".join(paras)
                headline = "".join(rng.choice(pool) for _ in range(rng.randint(8, 14)))
                chars += len(body) + len(headline)
                articles.append({"id": f"p{p:02d}a{a + 1}", "file": f"p{p:02d}a{a + 1}", "headline": headline,
                                 "page": f"{p:02d}", "text": body})
        site = folder / slug / "site"
        site.mkdir(parents=True)
        (site / "text.js").write_bytes(search_script("text", {"date": slug, "slug": slug, "articles": articles}))
        out.append(ArchivedEdition(slug, date, "示例日报", e + 1, pages, f"../{slug}/site", tuple(articles)))
    return out, chars


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--editions", type=int, default=365)
    ap.add_argument("--pages", type=int, default=8)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="banmian-search-"))
    try:
        import time
        editions, chars = synthetic_archive(tmp, args.editions, args.pages)
        t0 = time.perf_counter()
        result = build_archive(editions, tmp / "archive")
        built = time.perf_counter() - t0
        shard_sizes = sorted(f.stat().st_size for f in (tmp / "archive" / "search" / "bg").iterdir())
        texts = sum((tmp / e.slug / "site" / "text.js").stat().st_size for e in editions)
        print(f"{result.editions} editions, {result.articles:,} articles, {chars:,} characters; index built in "
              f"{built:.1f} s")
        docs = (tmp / "archive" / "search" / "docs.js").stat().st_size
        print(f"index {result.index_bytes / 1e6:.1f} MB in {SHARDS} shards "
              f"(median {statistics.median(shard_sizes) / 1e3:.0f} KB, max {shard_sizes[-1] / 1e3:.0f} KB); "
              f"docs.js {docs / 1e3:.0f} KB; texts {texts / 1e6:.1f} MB "
              f"({texts / len(editions) / 1e3:.0f} KB an edition)")
        # queries: frequent words, a name from one article, figures
        rng = random.Random(7)
        doc = rng.choice(rng.choice(editions).articles)
        rare = doc["text"][:4]
        queries = ["城市", "新能源汽车", "同比增长", rare, "GDP", "不存在的词语"]
        query_times(tmp / "archive" / "search.html", queries, args.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def query_times(page: Path, queries: list[str], runs: int) -> None:
    from playwright.sync_api import sync_playwright
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        for q in queries:
            times, loaded, hits = [], 0, ""
            for _ in range(runs):
                context = browser.new_context()
                pg = context.new_page()
                sizes: list[int] = []
                pg.goto(page.as_uri())
                pg.on("requestfinished", lambda r, sizes=sizes: sizes.append(r.sizes()["responseBodySize"]))
                pg.fill("#q", q)
                start = pg.evaluate("performance.now()")
                pg.click("button[type=submit]")
                pg.wait_for_function("document.body.dataset.searchDone", timeout=60000)
                times.append(pg.evaluate("performance.now()") - start)
                hits = pg.inner_text("#status")
                loaded = sum(sizes)
                context.close()
            print(f"  {q!r:14} median {statistics.median(times):6.0f} ms (of {runs}, cold)  "
                  f"loaded {loaded / 1e3:6.0f} KB  {hits}")
        browser.close()


if __name__ == "__main__":
    main()
