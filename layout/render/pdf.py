"""Draw the layout tree with reportlab — exactly, deciding nothing.

`render(tree, pages, …)` draws pages into one canvas: the reader edition draws
every page into one document (fonts are subset once for the whole edition:
pages merged with pypdf afterwards were 2.6× larger), a print page one page
per document. Text is written as UTF-16 strings of CID fonts we embed
ourselves (`fontembed`), so a page's content stream depends on that page
alone. The mode decides only colour and boxes:

- print: DeviceCMYK/Gray only (reportlab's enforceColorSpace='cmyk' guards
  it); black text and rules 100 % K, overprinting (op/OP true, OPM 1);
  images converted to grey or CMYK; TrimBox/BleedBox/MediaBox set explicitly
  (Trim ⊆ Bleed ⊆ Media), crop marks drawn by us when asked.
- reader: the same black as RGB for screens; outline, labels and links are
  added by `render.edition`.

Determinism: reportlab's invariant mode, the creation date from the edition
date, and a document /ID from a hash of the content.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from reportlab import rl_config
from reportlab.lib.utils import ImageReader, TimeStamp
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFName, PDFStream
from reportlab.pdfgen.canvas import Canvas

from ..fonts import FontRegistry
from ..tree import Block, EditionTree, PageTree
from ..units import mm
from .fontembed import FontUse, to_unicode_cmap

# Binary (Flate) streams rather than ASCII85 on top: smaller files, and reportlab's
# ASCII85 encoder is pure Python (a fifth of the drawing time on a 4-page edition).
rl_config.useA85 = 0

CROP_MARK_OFFSET = mm(3)     # gap between the trim (or bleed) edge and a crop mark
CROP_MARK_LENGTH = mm(5)


@dataclass(frozen=True)
class RenderOptions:
    mode: str = "reader"              # "reader" | "print"
    edition_root: Path | None = None  # images are read relative to it
    title: str = ""
    author: str = ""
    subject: str = ""
    keywords: str = ""
    date: dt.date | None = None
    icc: bytes | None = None          # CMYK output profile: print pages as PDF/X-4 instead of X-1a


def _fixed_timestamp(date: dt.date | None) -> TimeStamp:
    ts = TimeStamp(True)
    if date is not None:
        t = int(dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp())
        lt = time.gmtime(t)
        ts.t, ts.lt, ts.YMDhms = t, lt, tuple(lt)[:6]
    return ts


def page_geometry(page: PageTree) -> tuple[float, float, float]:
    """(offset of the trim inside the media box, media width, media height)."""
    off = page.bleed + (CROP_MARK_OFFSET + CROP_MARK_LENGTH if page.crop_marks else 0.0)
    return off, page.width + 2 * off, page.height + 2 * off


class _Canvas(Canvas):
    """reportlab's canvas, less the initial font: its page preamble selects one
    (`BT /F1 12 Tf …`) through reportlab's own font registry, which knows
    nothing of the CID fonts we embed; every text run here selects its font."""

    def _make_preamble(self):
        self._preamble = "1 0 0 1 0 0 cm"


def new_canvas(buffer, tree: EditionTree, registry: FontRegistry, opts: RenderOptions, content_hash: str) -> Canvas:
    c = _Canvas(buffer, invariant=1, initialFontSize=9,
                enforceColorSpace="cmyk" if opts.mode == "print" else None, pageCompression=1,
                lang="zh-CN", pdfVersion=(1, 6) if opts.mode == "print" and opts.icc else None)
    c._banmian_fonts = FontUse(list(registry.faces.values()))
    c._doc._timeStamp = _fixed_timestamp(opts.date)
    ident = hashlib.md5(content_hash.encode(), usedforsecurity=False).hexdigest().upper().encode()
    c._doc._ID = b"\n[<" + ident + b"><" + ident + b">]\n"
    c.setTitle(opts.title)
    c.setAuthor(opts.author)
    c.setSubject(opts.subject)
    c.setKeywords(opts.keywords)
    c.setCreator("banmian")
    c.setProducer("banmian (reportlab)")
    return c


def draw_page(c: Canvas, page: PageTree, registry: FontRegistry, opts: RenderOptions, images: dict) -> None:
    off, media_w, media_h = page_geometry(page)
    c.setPageSize((media_w, media_h))
    trim = (off, off, off + page.width, off + page.height)
    if opts.mode == "print":
        c.setTrimBox(trim)
        c.setBleedBox((off - page.bleed, off - page.bleed, off + page.width + page.bleed,
                       off + page.height + page.bleed))
        c.setArtBox(trim)
    faces = {f.psname: f for f in registry.faces.values()}
    print_mode = opts.mode == "print"

    def Y(y: float) -> float:
        return off + page.height - y

    def black(obj, fill=True, stroke=True) -> None:
        if print_mode:
            if fill:
                obj.setFillColorCMYK(0, 0, 0, 1)
            if stroke:
                obj.setStrokeColorCMYK(0, 0, 0, 1)
        else:
            if fill:
                obj.setFillColorRGB(0, 0, 0)
            if stroke:
                obj.setStrokeColorRGB(0, 0, 0)

    if print_mode:
        # GB/IFRA practice: black text and rules overprint (op/OP true, OPM 1)
        c.setFillOverprint(True)
        c.setStrokeOverprint(True)
        c.setOverprintMask(1)
    black(c)
    # Text state (Tf, Tc) is part of the graphics state and survives ET/BT:
    # track it for the whole page, starting unknown.
    state = {"font": None, "size": None, "track": None, "fonts": c._banmian_fonts}
    for block in page.blocks:
        if block.kind == "image":
            _draw_image(c, block, opts, images, off, Y, print_mode)
            continue
        colour_red = block.colour == "red"
        if colour_red:
            if print_mode:
                c.setFillColorCMYK(0, 1, 1, 0)
                c.setStrokeColorCMYK(0, 1, 1, 0)
            else:
                c.setFillColorRGB(0.85, 0, 0)
                c.setStrokeColorRGB(0.85, 0, 0)
        for rule in block.rules:
            c.setLineWidth(rule.width)
            c.line(rule.x0 + off, Y(rule.y0), rule.x1 + off, Y(rule.y1))
        if block.lines:
            code = ["BT"]
            for line in block.lines:
                y = f"{Y(line.baseline):.4f}"
                for run in line.runs:
                    if not run.font:
                        continue
                    if run.tracking != state["track"]:
                        code.append(f"{run.tracking:.4f} Tc")
                        state["track"] = run.tracking
                    # a glyph turned 90° clockwise (竖排 Latin, ～): text x runs down the page
                    matrix = "0 -1 1 0" if line.rotated else "1 0 0 1"
                    _run_code(code, run, faces[run.font], off + line.x + run.x, y, state, matrix)
            code.append("ET")
            c._code.append(" ".join(code))
        if colour_red:
            black(c)
    if page.crop_marks:
        _crop_marks(c, page, off, print_mode)
    c.showPage()


def _run_code(code: list[str], run, face, x: float, y: str, state: dict, matrix: str = "1 0 0 1") -> None:
    """PDF operators for one run: its font (when it changes) and one UTF-16 string placed
    at its own origin. The operators are written directly: reportlab's text object
    would rebuild the same ones far slower."""
    name = state["fonts"].name(face, run.text)
    if (name, run.size) != (state["font"], state["size"]):
        code.append(f"{name} {run.size:g} Tf")
        state["font"], state["size"] = name, run.size
    # a hex string: bytes.hex() is native, escaping a literal string is not
    code.append(f"{matrix} {x:.4f} {y} Tm <{run.text.encode('utf-16-be').hex()}> Tj")


def add_fonts(c: Canvas) -> None:
    """Embed the faces the document drew with into reportlab's shared font dictionary
    (every page's /Resources /Font points at it): Type0 → CIDFontType2 → descriptor
    and program, with the identity ToUnicode map (PDF 32000-1 §9.7, §9.10)."""
    doc = c._doc
    fonts: FontUse = c._banmian_fonts
    embedded = fonts.embedded()
    if not embedded:
        return
    font_dict = doc.idToObject["BasicFonts"].dict
    to_unicode = doc.Reference(_flate_stream({}, _TO_UNICODE))
    for ef in embedded:
        program = doc.Reference(_flate_stream({"Length1": ef.font_file_length}, ef.font_file))
        descriptor = doc.Reference(PDFDictionary({
            "Type": PDFName("FontDescriptor"), "FontName": PDFName(ef.base_font), "Flags": 4,
            "FontBBox": "[" + " ".join(map(str, ef.bbox)) + "]", "ItalicAngle": 0, "Ascent": ef.ascent,
            "Descent": ef.descent, "CapHeight": ef.cap_height, "StemV": 80, "FontFile2": program}))
        cid_font = doc.Reference(PDFDictionary({
            "Type": PDFName("Font"), "Subtype": PDFName("CIDFontType2"), "BaseFont": PDFName(ef.base_font),
            "CIDSystemInfo": "<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>",
            "FontDescriptor": descriptor, "DW": 1000, "W": _w_array(ef.widths),
            "CIDToGIDMap": doc.Reference(_flate_stream({}, ef.cid_to_gid))}))
        name = fonts.names[ef.psname][1:]
        font_dict[name] = doc.Reference(PDFDictionary({
            "Type": PDFName("Font"), "Subtype": PDFName("Type0"), "BaseFont": PDFName(ef.base_font),
            "Encoding": PDFName("Identity-H"), "DescendantFonts": f"[{cid_font.format(doc).decode()}]",
            "ToUnicode": to_unicode}), name)


_TO_UNICODE = zlib.compress(to_unicode_cmap())


def _flate_stream(entries: dict, compressed: bytes) -> PDFStream:
    """A stream whose content is already Flate-compressed (reportlab leaves it alone)."""
    stream = PDFStream(PDFDictionary({**entries, "Filter": PDFName("FlateDecode")}), compressed, filters=[])
    stream.__Comment__ = None
    return stream


def _w_array(widths: list) -> str:
    parts = []
    for i in range(0, len(widths), 2):
        parts.append(f"{widths[i]} [{widths[i + 1][0]:g}]")
    return "[" + " ".join(parts) + "]"


def _draw_image(c: Canvas, block: Block, opts: RenderOptions, images: dict, off: float, Y,
                print_mode: bool) -> None:
    from PIL import Image as PILImage
    key = (block.image, print_mode)
    if key not in images:
        path = (opts.edition_root / block.image) if opts.edition_root else Path(block.image)
        with PILImage.open(path) as im:
            im.load()
            if print_mode:
                # no RGB on a print page: grey for greyscale sources, else CMYK with the grey
                # component replaced by black, so total ink stays within a newsprint limit
                if im.mode in ("L", "LA", "1", "I", "I;16"):
                    im = im.convert("L")
                elif im.mode != "CMYK":
                    im = rgb_to_cmyk_gcr(im.convert("RGB"))
            elif im.mode not in ("RGB", "L"):
                im = im.convert("RGB")
            images[key] = ImageReader(im)
    b = block.box
    c.drawImage(images[key], b.x + off, Y(b.bottom), b.w, b.h)


def rgb_to_cmyk_gcr(im):
    """RGB → CMYK with full grey-component replacement: K takes the common part of
    C, M and Y, so a pixel carries at most 200 % ink (IFRA/ISO 12647-3 ask ≤ 240 %).
    A naive conversion (K = 0) puts up to 300 % on newsprint."""
    import numpy as np
    from PIL import Image as PILImage
    rgb = np.asarray(im, dtype=np.int16)
    cmy = 255 - rgb
    k = cmy.min(axis=2, keepdims=True)
    cmyk = np.concatenate([cmy - k, k], axis=2).astype(np.uint8)
    return PILImage.fromarray(cmyk, mode="CMYK")


def _crop_marks(c: Canvas, page: PageTree, off: float, print_mode: bool) -> None:
    """Crop marks outside the bleed, in registration black when printing."""
    c.setLineWidth(0.25)
    if print_mode:
        c.setStrokeColorCMYK(1, 1, 1, 1)
    x0, y0, x1, y1 = off, off, off + page.width, off + page.height
    gap = page.bleed + CROP_MARK_OFFSET
    for x in (x0, x1):
        for y, sign in ((y0, -1), (y1, 1)):
            c.line(x, y + sign * gap, x, y + sign * (gap + CROP_MARK_LENGTH))
    for y in (y0, y1):
        for x, sign in ((x0, -1), (x1, 1)):
            c.line(x + sign * gap, y, x + sign * (gap + CROP_MARK_LENGTH), y)


def render(tree: EditionTree, pages: list[PageTree], registry: FontRegistry, opts: RenderOptions,
           content_hash: str, on_page=None) -> bytes:
    buffer = io.BytesIO()
    c = new_canvas(buffer, tree, registry, opts, content_hash)
    images: dict = {}
    for page in pages:
        if on_page is not None:
            on_page(c, page)
        draw_page(c, page, registry, opts, images)
    add_fonts(c)
    c.save()
    return buffer.getvalue()
