"""`banmian site`: the edition as a static 数字报 website.

    OUT/<slug>/site/
      index.html              paper, date, issue, page thumbnails, article titles
      pages/NN.html           the page image with each article's area as a link
      articles/<id>.html      the article whole (a jumped article on one view)
      img/NN.png, NN-zoom.png, NN-thumb.png     page images (pdfium)
      pdf/NN.pdf, pdf/<slug>.pdf                downloads
      images/…                the articles' pictures
      static/site.css, site.js

Everything is local (works from file:// and any static server). The areas
and the reading order come from layout.json — the site reads the build, not
the engine — and each article's paragraphs, subheads and pictures from the
edition's article files.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..build import write_atomic
from ..compose.furniture import chinese_date
from ..edition.model import Edition, Image, Paragraph, Subhead

HERE = Path(__file__).resolve().parent
SCREEN_DPI = 60     # the page view: ~920 px wide for a broadsheet
ZOOM_DPI = 120      # 2× for high-density screens and zooming in
THUMB_DPI = 15


class SiteError(Exception):
    pass


@dataclass
class SiteResult:
    folder: Path
    pages: int
    articles: int


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _body(article) -> list[dict]:
    out = []
    for b in article.body:
        if isinstance(b, Subhead):
            out.append({"kind": "subhead", "text": b.text})
        elif isinstance(b, Image):
            out.append({"kind": "image", "file": b.path.name, "caption": b.caption})
        elif isinstance(b, Paragraph):
            out.append({"kind": "para", "spans": [{"text": s.text, "bold": s.bold} for s in b.spans]})
    return out


def build_site(edition: Edition, build_dir: Path) -> SiteResult:
    """Write OUT/<slug>/site/ from a finished build in `build_dir` (OUT/<slug>)."""
    from ..qa.proof import png_bytes, render_pages
    manifest_path = build_dir / "layout.json"
    if not manifest_path.is_file():
        raise SiteError(f"{build_dir}: no layout.json — build the edition first")
    layout = json.loads(manifest_path.read_text(encoding="utf-8"))
    reader = build_dir / f"{layout['slug']}.pdf"
    if not reader.is_file():
        raise SiteError(f"{build_dir}: the edition PDF is missing")
    site = build_dir / "site"
    tmp = build_dir / ".site.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    for sub in ("pages", "articles", "img", "pdf", "images", "static"):
        (tmp / sub).mkdir(parents=True)
    articles = {a.id: a for a in edition.articles}

    # pages: images and the article areas, in reading order
    pages = []
    for page in layout["pages"]:
        w, h = page["width"], page["height"]
        entries = []
        for a in page["articles"]:
            x, y, bw, bh = a["box"]
            entries.append({"id": a["id"], "headline": a["headline"], "kicker": a["kicker"],
                            "subhead": a["subhead"], "part": a["part"],
                            "left": round(100 * x / w, 3), "top": round(100 * y / h, 3),
                            "width": round(100 * bw / w, 3), "height": round(100 * bh / h, 3)})
        pages.append({"number": page["number"], "label": page["label"], "section": page["section"],
                      "articles": entries, "width": w, "height": h})
    for dpi, suffix in ((SCREEN_DPI, ""), (ZOOM_DPI, "-zoom"), (THUMB_DPI, "-thumb")):
        for number, img in render_pages(reader, None, dpi).items():
            p = pages[number - 1]
            write_atomic(tmp / "img" / f"{p['label']}{suffix}.png", png_bytes(img))
            if suffix == "":
                p["img_w"], p["img_h"] = img.size
            elif suffix == "-thumb":
                p["thumb_w"], p["thumb_h"] = img.size

    # articles: reading order is page by page, the first part of each article where it starts
    order: list[str] = []
    spans: dict[str, list[str]] = {}
    first_page: dict[str, str] = {}
    for p in pages:
        for a in p["articles"]:
            spans.setdefault(a["id"], []).append(p["label"])
            if a["id"] not in first_page:
                first_page[a["id"]] = p["label"]
                order.append(a["id"])
    env = _env()
    common = {"paper": layout["paper"], "slug": layout["slug"], "issue": layout["issue"],
              "date_text": chinese_date(edition.date)}
    for i, aid in enumerate(order):
        art = articles.get(aid)
        if art is None:
            raise SiteError(f"layout.json names article {aid}, which the edition does not have")
        if not art.body:
            raise SiteError(f"article {aid} has no body")
        for b in art.body:
            if isinstance(b, Image):
                shutil.copyfile(b.path, tmp / "images" / b.path.name)
        view = {"id": aid, "headline": art.headline.replace("|", ""), "kicker": art.kicker,
                "subhead": art.subhead, "byline": art.byline, "dateline": art.dateline,
                "body": _body(art), "pages": spans[aid], "page_label": first_page[aid]}
        prev = {"id": order[i - 1]} if i > 0 else None
        nxt = {"id": order[i + 1]} if i + 1 < len(order) else None
        html = env.get_template("article.html").render(root="../", a=view, prev=prev, next=nxt, **common)
        write_atomic(tmp / "articles" / f"{aid}.html", html.encode("utf-8"))
    for i, p in enumerate(pages):
        html = env.get_template("page.html").render(root="../", page=p, prev=pages[i - 1] if i else None,
                                                    next=pages[i + 1] if i + 1 < len(pages) else None, **common)
        write_atomic(tmp / "pages" / f"{p['label']}.html", html.encode("utf-8"))
        print_pdf = build_dir / "print" / f"{p['number']:02d}.pdf"
        if print_pdf.is_file():
            shutil.copyfile(print_pdf, tmp / "pdf" / f"{p['label']}.pdf")
    html = env.get_template("index.html").render(root="", pages=pages, **common)
    write_atomic(tmp / "index.html", html.encode("utf-8"))
    shutil.copyfile(reader, tmp / "pdf" / f"{layout['slug']}.pdf")
    for f in (HERE / "static").iterdir():
        shutil.copyfile(f, tmp / "static" / f.name)
    # swap the finished site into place; the old one stays until the new one is complete
    old = build_dir / ".site.old"
    if old.exists():
        shutil.rmtree(old)
    if site.exists():
        site.rename(old)
    tmp.rename(site)
    if old.exists():
        shutil.rmtree(old)
    return SiteResult(site, len(pages), len(order))
