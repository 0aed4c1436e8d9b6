"""`banmian site`: the edition as a static 数字报 website.

    OUT/<slug>/site/
      index.html              paper, date, issue, page thumbnails, article titles
      pages/NN.html           the page image with each article's area as a link,
                              the page's article list, 放大, 下载本版 PDF
      zoom/NN.html            放大: the page at reading size, panned by scrolling
      articles/<id>.html      the article whole (a jumped article on one view),
                              上一篇/下一篇 with their titles, the page's other articles
      img/NN-480.webp … NN-2400.webp, NN-thumb.webp     page images (pdfium), one srcset
      pdf/NN.pdf, pdf/<slug>.pdf                        the reader page / edition (RGB, linked;
                                                        the edition linearised for the web)
      images/…                the articles' pictures
      text.js                 the articles' plain text, for the archive's search
      feed.xml, sitemap.xml   RSS 2.0 and a sitemap of the edition's views
      static/site.css, site.js, search.js

Everything is local (works from file:// and any static server). The areas
and the reading order come from layout.json — the site reads the build, not
the engine — and each article's paragraphs, subheads and pictures from the
edition's article files. `site.archive` builds the archive (往期回顾) and its
search over many such sites.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..build import write_atomic
from ..compose.furniture import chinese_date
from ..edition.model import Edition, Image, Paragraph, PullQuote, Subhead, Table
from ..output import lock, temp_name

HERE = Path(__file__).resolve().parent
# Page images, by width in pixels. A phone (390 CSS px at 2–3× density) takes 960; a
# desktop page view (≈ 900 CSS px) 960 or, on a high-density screen, 1600, where 9.5 pt
# body text is 11 px tall; 放大 shows 2400 (body text ≈ 16 px, headlines 60 px and up).
PAGE_WIDTHS = (480, 960, 1600)
ZOOM_WIDTH = 2400
ZOOM_CSS_WIDTH = 1680  # 放大 shows it 1,680 CSS px wide: 9.5 pt body text ≈ 16 px
THUMB_WIDTH = 240
WEBP_QUALITY = 80      # a 960-px page: 231 KB as WebP, 1,020 KB as PNG (sample page 1)
DESCRIPTION_CHARS = 120


class SiteError(Exception):
    pass


@dataclass
class SiteResult:
    folder: Path
    pages: int
    articles: int


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html", "xml"]),
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
            out.append({"kind": "image", "file": picture_name(b), "caption": b.caption, "credit": b.credit})
        elif isinstance(b, Paragraph):
            out.append({"kind": "para", "spans": [{"text": s.text, "bold": s.bold} for s in b.spans]})
        elif isinstance(b, Table):
            out.append({"kind": "table", "head": b.head, "rows": b.rows, "align": b.align})
        elif isinstance(b, PullQuote):
            out.append({"kind": "quote", "text": b.text})
    return out


def plain_text(article) -> str:
    """The article as one string for search: deck, dateline, paragraphs, subheads, captions."""
    parts = [article.kicker, article.headline.replace("|", ""), article.subhead, article.byline, article.dateline]
    for b in article.body:
        if isinstance(b, Table):
            parts.extend(" ".join(row) for row in (b.head, *b.rows))
        else:
            parts.append(f"{b.caption} {b.credit}".strip() if isinstance(b, Image) else b.text)
    return "\n".join(p for p in parts if p)


def build_site(edition: Edition, build_dir: Path, base_url: str = "", archive: str = "") -> SiteResult:
    """Write OUT/<slug>/site/ from a finished build in `build_dir` (OUT/<slug>); runs into
    the same folder wait for each other (`output.lock`). `base_url` (where the site will be
    served, e.g. https://epaper.example.cn/2026-11-28/site/) makes the feed, sitemap and
    og: links absolute; `archive` is the relative URL of the archive's index, if any."""
    if base_url and not re.fullmatch(r"https?://[^\s\"'<>]+/", base_url):
        raise SiteError(f"--base-url must be an http(s) URL ending in /, not {base_url!r}")
    with lock(build_dir):
        return _build_site(edition, build_dir, base_url, archive)


def _build_site(edition: Edition, build_dir: Path, base_url: str, archive: str) -> SiteResult:
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
        result = _write_site(edition, layout, reader, tmp, base_url, archive)
        swap_in(tmp, site)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return SiteResult(site, *result)


def swap_in(tmp: Path, folder: Path) -> None:
    """Put the finished folder `tmp` in the place of `folder`: the old one stays until the new
    one is complete (a symlink in its place is removed, never followed)."""
    old = temp_name(folder)
    if folder.is_symlink():
        folder.unlink()
    elif folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    if old.exists():
        shutil.rmtree(old)


def _webp(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "WEBP", quality=WEBP_QUALITY, method=4)
    return buf.getvalue()


def _page_images(reader: Path, pages: list[dict], tmp: Path) -> None:
    """Every page once at ZOOM_WIDTH (pdfium), the smaller sizes scaled down from it."""
    import pypdfium2
    from PIL import Image as PILImage

    from ..qa.proof import open_pdf
    doc = open_pdf(reader)
    try:
        if len(doc) != len(pages):
            raise SiteError(f"{reader.name} has {len(doc)} pages, layout.json {len(pages)}")
        for index, p in enumerate(pages):
            pdf_page = doc[index]
            big = pdf_page.render(scale=ZOOM_WIDTH / pdf_page.get_width()).to_pil().convert("RGB")
            pdf_page.close()
            p["zoom_w"], p["zoom_h"] = big.size
            write_atomic(tmp / "img" / f"{p['file']}-{ZOOM_WIDTH}.webp", _webp(big))
            for width in (*PAGE_WIDTHS, THUMB_WIDTH):
                small = big.resize((width, round(big.height * width / big.width)), PILImage.LANCZOS)
                name = f"{p['file']}-thumb.webp" if width == THUMB_WIDTH else f"{p['file']}-{width}.webp"
                write_atomic(tmp / "img" / name, _webp(small))
                if width == THUMB_WIDTH:
                    p["thumb_w"], p["thumb_h"] = small.size
            p["img_w"], p["img_h"] = PAGE_WIDTHS[-1], round(big.height * PAGE_WIDTHS[-1] / big.width)
    except pypdfium2.PdfiumError as exc:
        raise SiteError(f"{reader.name}: {exc}") from None
    finally:
        doc.close()


def reader_pages(reader: Path, titles: list[str]) -> list[bytes]:
    """Each page of the reader edition as its own PDF (下载本版 PDF), titled: the RGB reader
    page, not the press's CMYK page. Links to other pages cannot travel with it and go;
    the page keeps its text layer (ActualText) but not the edition's structure tree. Its
    fonts are cut down to the characters this page draws (the edition's subsets made a
    page 490 KB). The edition and the font registry are read once for all pages."""
    import pikepdf

    from ..fonts import FontRegistry
    faces = {f.psname: f for f in FontRegistry().faces.values()}
    out = []
    with pikepdf.open(reader) as src:
        for index, title in enumerate(titles):
            data = io.BytesIO()
            with pikepdf.new() as dst:
                dst.pages.append(src.pages[index])
                page = dst.pages[0]
                for key in ("/Annots", "/StructParents", "/Tabs"):
                    if key in page.obj:
                        del page.obj[key]
                _subset_page_fonts(dst, page, faces)
                dst.Root.Lang = src.Root.get("/Lang", pikepdf.String("zh-Hans"))
                dst.docinfo = dst.make_indirect(pikepdf.Dictionary(Title=pikepdf.String(title),
                                                                   Creator=pikepdf.String("banmian")))
                dst.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
                dst.remove_unreferenced_resources()
                dst.save(data, deterministic_id=True, compress_streams=True,
                         stream_decode_level=pikepdf.StreamDecodeLevel.none,
                         object_stream_mode=pikepdf.ObjectStreamMode.generate)
            out.append(data.getvalue())
    return out


def _subset_page_fonts(pdf, page, faces: dict) -> None:
    """Re-embed each of the page's banmian faces (fontembed: CID = UTF-16 code unit) with only
    the characters its text shows; a font not drawn with one of `faces` (PostScript name ->
    FontFace) is left as it is."""
    import pikepdf

    from ..render.fontembed import embed
    fonts = page.obj.Resources.get("/Font", {})
    used: dict[str, set[str]] = {}
    current = None
    for operands, op in pikepdf.parse_content_stream(page):
        name = str(op)
        if name == "Tf":
            current = str(operands[0])
        elif name in ("Tj", "TJ") and current is not None:
            strings = operands[0] if name == "TJ" else [operands[0]]
            for item in strings:
                if isinstance(item, pikepdf.String):
                    used.setdefault(current, set()).update(bytes(item).decode("utf-16-be", "replace"))
    for key, font in fonts.items():
        base = str(font.get("/BaseFont", "")).lstrip("/")
        face = faces.get(base.split("+", 1)[-1])
        if face is None or font.get("/Subtype") != "/Type0" or key not in used:
            continue
        ef = embed(face, frozenset(used[key]))
        cid = font.DescendantFonts[0]
        descriptor = cid.FontDescriptor
        descriptor.FontFile2 = pdf.make_stream(b"")
        descriptor.FontFile2.write(ef.font_file, filter=pikepdf.Name.FlateDecode)
        descriptor.FontFile2.Length1 = ef.font_file_length
        descriptor.FontName = pikepdf.Name("/" + ef.base_font)
        cid.CIDToGIDMap = pdf.make_stream(b"")
        cid.CIDToGIDMap.write(ef.cid_to_gid, filter=pikepdf.Name.FlateDecode)
        cid.W = pikepdf.Array([x for c, w in ef.widths for x in (c, pikepdf.Array([w]))])
        cid.BaseFont = font.BaseFont = pikepdf.Name("/" + ef.base_font)


def _description(article) -> str:
    text = "".join(b.text for b in article.body if isinstance(b, Paragraph))
    text = (article.dateline + text).replace("\n", "")
    return text[:DESCRIPTION_CHARS] + ("……" if len(text) > DESCRIPTION_CHARS else "")


def _write_site(edition: Edition, layout: dict, reader: Path, tmp: Path, base_url: str,
                archive: str) -> tuple[int, int]:
    for sub in ("pages", "zoom", "articles", "img", "pdf", "images", "static"):
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
                      "section": page["section"], "articles": entries, "width": w, "height": h})
    _page_images(reader, pages, tmp)

    # articles: reading order is page by page, the first part of each article where it starts
    order: list[str] = []
    spans: dict[str, list[dict]] = {}
    first_page: dict[str, dict] = {}
    for p in pages:
        for a in p["articles"]:
            spans.setdefault(a["id"], []).append({"label": p["label"], "file": p["file"]})
            if a["id"] not in first_page:
                first_page[a["id"]] = p
                order.append(a["id"])
    env = _env()
    slug = file_name(edition.slug)
    title = f"{layout['paper']} {chinese_date(edition.date)}"
    common = {"paper": layout["paper"], "slug": slug, "issue": layout["issue"], "date": edition.date.isoformat(),
              "date_text": chinese_date(edition.date), "base_url": base_url, "archive": archive, "title": title}
    views = []
    for aid in order:
        art = articles.get(aid)
        if art is None:
            raise SiteError(f"layout.json names article {aid}, which the edition does not have")
        if not art.body:
            raise SiteError(f"article {aid} has no body")
        for b in art.body:
            if isinstance(b, Image):
                shutil.copyfile(b.path, tmp / "images" / picture_name(b))
        page = first_page[aid]
        body = _body(art)
        views.append({"id": aid, "file": file_name(aid), "headline": art.headline.replace("|", ""),
                      "kicker": art.kicker, "subhead": art.subhead, "byline": art.byline, "dateline": art.dateline,
                      "body": body, "pages": spans[aid], "page": page, "description": _description(art),
                      "image": next((b["file"] for b in body if b["kind"] == "image"), "")})
    for i, view in enumerate(views):
        prev = views[i - 1] if i > 0 else None
        nxt = views[i + 1] if i + 1 < len(views) else None
        html = env.get_template("article.html").render(root="../", a=view, prev=prev, next=nxt, **common)
        write_atomic(tmp / "articles" / f"{view['file']}.html", html.encode("utf-8"))
    with_titles = {v["id"]: v for v in views}
    for i, p in enumerate(pages):
        neighbours = {"prev": pages[i - 1] if i else None, "next": pages[i + 1] if i + 1 < len(pages) else None}
        html = env.get_template("page.html").render(root="../", page=p, widths=PAGE_WIDTHS, zoom_width=ZOOM_WIDTH,
                                                    views=with_titles, **neighbours, **common)
        write_atomic(tmp / "pages" / f"{p['file']}.html", html.encode("utf-8"))
        css_height = round(p["zoom_h"] * ZOOM_CSS_WIDTH / p["zoom_w"])
        html = env.get_template("zoom.html").render(root="../", page=p, zoom_width=ZOOM_WIDTH,
                                                    css_width=ZOOM_CSS_WIDTH, css_height=css_height, **common)
        write_atomic(tmp / "zoom" / f"{p['file']}.html", html.encode("utf-8"))
    for p, data in zip(pages, reader_pages(reader, [f"{title} 第{p['label']}版 {p['section']}" for p in pages])):
        write_atomic(tmp / "pdf" / f"{p['file']}.pdf", data)
    html = env.get_template("index.html").render(root="", pages=pages, **common)
    write_atomic(tmp / "index.html", html.encode("utf-8"))
    from ..render.edition import linearize
    with open(tmp / "pdf" / f"{slug}.pdf", "wb") as f:
        linearize(reader, f)
    for f in (HERE / "static").iterdir():
        shutil.copyfile(f, tmp / "static" / f.name)
    texts = [{"id": v["id"], "file": v["file"], "headline": v["headline"], "page": v["page"]["label"],
              "text": plain_text(articles[v["id"]])} for v in views]
    write_atomic(tmp / "text.js", search_script("text", {"date": edition.date.isoformat(), "slug": edition.slug,
                                                           "articles": texts}))
    write_atomic(tmp / "feed.xml", _feed(edition, views, title, base_url).encode("utf-8"))
    write_atomic(tmp / "sitemap.xml", _sitemap(edition, pages, views, base_url).encode("utf-8"))
    return len(pages), len(order)


def search_script(kind: str, data) -> bytes:
    """Data for the search page as a script that hands it over (`banmianSearch.text(…)`):
    a <script> loads from file:// where fetch() may not."""
    return f"banmianSearch.{kind}({json.dumps(data, ensure_ascii=False, separators=(',', ':'))});\n".encode()


def _url(base_url: str, path: str) -> str:
    return base_url + path


def _feed(edition: Edition, views: list[dict], title: str, base_url: str) -> str:
    """RSS 2.0: one item per article. Links are absolute when the site's address is known,
    else relative to the feed (readers resolve them against the feed's own URL)."""
    stamp = format_datetime(dt.datetime(edition.date.year, edition.date.month, edition.date.day, tzinfo=dt.UTC))
    items = []
    for v in views:
        link = xml_escape(_url(base_url, f"articles/{v['file']}.html"))
        items.append(f"  <item>\n   <title>{xml_escape(v['headline'])}</title>\n   <link>{link}</link>\n"
                     f"   <guid isPermaLink=\"{'true' if base_url else 'false'}\">{link}</guid>\n"
                     f"   <description>{xml_escape(v['description'])}</description>\n"
                     f"   <category>第{xml_escape(v['page']['label'])}版 "
                     f"{xml_escape(v['page']['section'])}</category>\n"
                     f"   <pubDate>{stamp}</pubDate>\n  </item>")
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n <channel>\n'
            f"  <title>{xml_escape(title)}</title>\n  <link>{xml_escape(_url(base_url, 'index.html'))}</link>\n"
            f"  <description>{xml_escape(title)} 第{edition.issue}期</description>\n  <language>zh-cn</language>\n"
            f"  <pubDate>{stamp}</pubDate>\n  <generator>banmian</generator>\n" + "\n".join(items)
            + "\n </channel>\n</rss>\n")


def _sitemap(edition: Edition, pages: list[dict], views: list[dict], base_url: str) -> str:
    urls = ["index.html"] + [f"pages/{p['file']}.html" for p in pages] + [f"articles/{v['file']}.html" for v in views]
    day = edition.date.isoformat()
    body = "".join(f"  <url><loc>{xml_escape(_url(base_url, u))}</loc><lastmod>{day}</lastmod></url>\n" for u in urls)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + body + "</urlset>\n")
