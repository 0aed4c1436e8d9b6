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

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..build import write_atomic
from ..compose.furniture import chinese_date
from ..edition.model import Edition, Image, Paragraph, Subhead
from ..output import lock, temp_name

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


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
_PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp"}


def file_name(name: str) -> str:
    """A file name (and relative URL) for an article id or a page label: the name itself when
    it is plain ASCII letters, digits, - and _; otherwise a hash of it. Names come from
    the edition (file stems, the template's label prefix): this way none can climb out of
    the site folder, nor become a URL scheme (`javascript:…`) or a query."""
    if _SAFE_NAME.fullmatch(name):
        return name
    return "a-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def picture_name(image: Image) -> str:
    """A picture's file in the site, named by its content: two articles' images/a/photo.png
    and images/b/photo.png are two files, and one picture shown twice is one."""
    suffix = image.path.suffix.lower()
    return (image.sha256 or hashlib.sha256(str(image.path).encode()).hexdigest())[:24] + \
        (suffix if suffix in _PICTURE_SUFFIXES else ".img")


def _body(article) -> list[dict]:
    out = []
    for b in article.body:
        if isinstance(b, Subhead):
            out.append({"kind": "subhead", "text": b.text})
        elif isinstance(b, Image):
            out.append({"kind": "image", "file": picture_name(b), "caption": b.caption})
        elif isinstance(b, Paragraph):
            out.append({"kind": "para", "spans": [{"text": s.text, "bold": s.bold} for s in b.spans]})
    return out


def build_site(edition: Edition, build_dir: Path) -> SiteResult:
    """Write OUT/<slug>/site/ from a finished build in `build_dir` (OUT/<slug>); runs into
    the same folder wait for each other (`output.lock`)."""
    with lock(build_dir):
        return _build_site(edition, build_dir)


def _build_site(edition: Edition, build_dir: Path) -> SiteResult:
    from ..qa.proof import png_bytes, render_pages
    manifest_path = build_dir / "layout.json"
    if not manifest_path.is_file():
        raise SiteError(f"{build_dir}: no layout.json — build the edition first")
    try:
        layout = json.loads(manifest_path.read_text(encoding="utf-8"))
        slug = layout["slug"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SiteError(f"{manifest_path}: not a layout manifest banmian wrote ({exc})") from None
    if slug != edition.slug:
        raise SiteError(f"{manifest_path} is the layout of {slug!r}, not of {edition.slug!r}")
    reader = build_dir / f"{edition.slug}.pdf"
    if not reader.is_file():
        raise SiteError(f"{build_dir}: the edition PDF is missing")
    site = build_dir / "site"
    tmp = temp_name(site)
    try:
        result = _write_site(edition, build_dir, layout, reader, tmp, png_bytes, render_pages)
        # swap the finished site into place; the old one stays until the new one is complete
        old = temp_name(site)
        if site.is_symlink():
            site.unlink()
        elif site.exists():
            site.rename(old)
        tmp.rename(site)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return SiteResult(site, *result)


def _write_site(edition: Edition, build_dir: Path, layout: dict, reader: Path, tmp: Path, png_bytes,
                render_pages) -> tuple[int, int]:
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
            entries.append({"id": a["id"], "file": file_name(a["id"]), "headline": a["headline"], "kicker": a["kicker"],
                            "subhead": a["subhead"], "part": a["part"],
                            "left": round(100 * x / w, 3), "top": round(100 * y / h, 3),
                            "width": round(100 * bw / w, 3), "height": round(100 * bh / h, 3)})
        pages.append({"number": page["number"], "label": page["label"], "file": file_name(page["label"]),
                      "section": page["section"],
                      "articles": entries, "width": w, "height": h})
    for dpi, suffix in ((SCREEN_DPI, ""), (ZOOM_DPI, "-zoom"), (THUMB_DPI, "-thumb")):
        for number, img in render_pages(reader, None, dpi).items():
            p = pages[number - 1]
            write_atomic(tmp / "img" / f"{p['file']}{suffix}.png", png_bytes(img))
            if suffix == "":
                p["img_w"], p["img_h"] = img.size
            elif suffix == "-thumb":
                p["thumb_w"], p["thumb_h"] = img.size

    # articles: reading order is page by page, the first part of each article where it starts
    order: list[str] = []
    spans: dict[str, list[dict]] = {}
    first_page: dict[str, dict] = {}
    for p in pages:
        for a in p["articles"]:
            spans.setdefault(a["id"], []).append({"label": p["label"], "file": p["file"]})
            if a["id"] not in first_page:
                first_page[a["id"]] = {"label": p["label"], "file": p["file"]}
                order.append(a["id"])
    env = _env()
    common = {"paper": layout["paper"], "slug": file_name(edition.slug), "issue": layout["issue"],
              "date_text": chinese_date(edition.date)}
    for i, aid in enumerate(order):
        art = articles.get(aid)
        if art is None:
            raise SiteError(f"layout.json names article {aid}, which the edition does not have")
        if not art.body:
            raise SiteError(f"article {aid} has no body")
        for b in art.body:
            if isinstance(b, Image):
                shutil.copyfile(b.path, tmp / "images" / picture_name(b))
        view = {"id": aid, "file": file_name(aid), "headline": art.headline.replace("|", ""), "kicker": art.kicker,
                "subhead": art.subhead, "byline": art.byline, "dateline": art.dateline,
                "body": _body(art), "pages": spans[aid], "page": first_page[aid]}
        prev = {"id": order[i - 1], "file": file_name(order[i - 1])} if i > 0 else None
        nxt = {"id": order[i + 1], "file": file_name(order[i + 1])} if i + 1 < len(order) else None
        html = env.get_template("article.html").render(root="../", a=view, prev=prev, next=nxt, **common)
        write_atomic(tmp / "articles" / f"{view['file']}.html", html.encode("utf-8"))
    for i, p in enumerate(pages):
        html = env.get_template("page.html").render(root="../", page=p, prev=pages[i - 1] if i else None,
                                                    next=pages[i + 1] if i + 1 < len(pages) else None, **common)
        write_atomic(tmp / "pages" / f"{p['file']}.html", html.encode("utf-8"))
        print_pdf = build_dir / "print" / f"{p['number']:02d}.pdf"
        if print_pdf.is_file():
            shutil.copyfile(print_pdf, tmp / "pdf" / f"{p['file']}.pdf")
    html = env.get_template("index.html").render(root="", pages=pages, **common)
    write_atomic(tmp / "index.html", html.encode("utf-8"))
    shutil.copyfile(reader, tmp / "pdf" / f"{file_name(edition.slug)}.pdf")
    for f in (HERE / "static").iterdir():
        shutil.copyfile(f, tmp / "static" / f.name)
    return len(pages), len(order)
