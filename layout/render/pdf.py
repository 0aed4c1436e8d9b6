"""Draw the layout tree with reportlab — exactly, deciding nothing.

`page_ops(page)` draws a page once as PDF operators with symbolic colours;
`render(tree, pages, …)` puts pages into one reportlab document: the reader
edition every page (fonts are subset once for the whole edition: pages
merged with pypdf afterwards were 2.6× larger), a print page one page per
document. Text is written as UTF-16 strings of CID fonts we embed ourselves
(`fontembed`), so a page's operators depend on that page alone. Every line,
picture and rule is marked as it is drawn (`Mark`): the reader writes the
marks as tagged content with ActualText, the print page drops them. The mode
decides colour, marks and boxes:

- print: DeviceCMYK/Gray only (the colours of `COLOURS["print"]`; reportlab's
  enforceColorSpace='cmyk' guards what it draws itself, the pictures); black
  text and rules 100 % K, overprinting (op/OP true, OPM 1);
  images converted to grey or CMYK; TrimBox/BleedBox/MediaBox set explicitly
  (Trim ⊆ Bleed ⊆ Media), crop marks drawn by us when asked.
- reader: the same black as RGB for screens; outline, labels, links and the
  structure tree are added by `render.edition` and `render.tagged`.
- the accent (套红) is a Separation spot ink on the press page, its process
  equivalent on screen; 反白 white type knocks out (overprint off).

Determinism: reportlab's invariant mode, the creation date from the edition
date, and a document /ID from a hash of the content.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from reportlab import rl_config
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase.pdfdoc import PDFName, PDFObject
from reportlab.pdfgen.canvas import Canvas

from ..edition.model import Accent
from ..fonts import FontRegistry
from ..tree import Block, EditionTree, PageTree, TextLine, ad_blocks
from ..units import mm
from .flate import flate
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
    icc: bytes | None = None          # CMYK output profile: print pages as PDF/X-4 instead of X-1a,
                                      # and RGB photos separated through it
    ink_limit: float = 240.0          # total area coverage (%) a separated photo may carry
    accent: Accent | None = None      # the edition's second colour (套红): a spot ink or a process colour


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


def _pdf_version(opts: RenderOptions) -> tuple[int, int] | None:
    """The header's version: the reader edition's update uses object and cross-reference
    streams (PDF 1.5) and it is a tagged PDF 1.7 document; a PDF/X-4 print page is 1.6;
    a PDF/X-1a:2001 page keeps reportlab's 1.3 (which that standard is based on)."""
    if opts.mode == "reader":
        return (1, 7)
    return (1, 6) if opts.icc else None


def new_canvas(buffer, tree: EditionTree, registry: FontRegistry, opts: RenderOptions, content_hash: str) -> Canvas:
    c = _Canvas(buffer, invariant=1, initialFontSize=9,
                enforceColorSpace="cmyk" if opts.mode == "print" else None, pageCompression=1,
                # (the reader: zh-Hans, as its structure tree says; the print pages kept what they had)
                lang="zh-Hans" if opts.mode == "reader" else "zh-CN", pdfVersion=_pdf_version(opts))
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


# Colours stay symbolic in a page's operators until a product fills them in: the
# reader's screen black or the press's 100 % K (and red proof marks, registration).
BLACK, RED, REGISTRATION, ACCENT = "\x00black\x00", "\x00red\x00", "\x00registration\x00", "\x00accent\x00"
COLOURS = {
    "reader": {BLACK: "0 0 0 rg 0 0 0 RG", RED: "0.85 0 0 rg 0.85 0 0 RG", REGISTRATION: "",
               "\x00white\x00": "1 1 1 rg 1 1 1 RG", "\x00/white\x00": "0 0 0 rg 0 0 0 RG"},
    "print": {BLACK: "0 0 0 1 k 0 0 0 1 K", RED: "0 1 1 0 k 0 1 1 0 K", REGISTRATION: "1 1 1 1 K"},
}
WHITE = "\x00white\x00"     # reversed (反白) type: paper white, knocking out what is under it
WHITE_END = "\x00/white\x00"   # back to black (and, on the press, to overprinting)
BLOCK_COLOURS = {"red": RED, "accent": ACCENT, "white": WHITE}
FILL = "\x00fill\x00"     # FILL c,m,y,k FILL: a tint's fill, in CMYK for the press and RGB on screen
_FILL = re.compile("\x00fill\x00([0-9.,e-]+)\x00fill\x00")


def _fill_operator(mode: str):
    def fill(m) -> str:
        cyan, magenta, yellow, black = (float(v) for v in m.group(1).split(","))
        if mode == "print":
            return f"{cyan:g} {magenta:g} {yellow:g} {black:g} k"
        return " ".join(f"{(1 - v) * (1 - black):.3f}" for v in (cyan, magenta, yellow)) + " rg"
    return fill


def knockout_white(c: Canvas) -> tuple[str, str]:
    """White type for the press: 0 % of every ink with overprint off, so that it knocks out
    of the bar under it (white overprinting would print nothing: the bar's black stays);
    and the operators that turn overprint on again after it. reportlab names the graphics
    states and writes them into the page's resources."""
    before = len(c._code)
    c.setFillOverprint(False)
    c.setStrokeOverprint(False)
    off = " ".join(c._code[before:])
    del c._code[before:]
    c.setFillOverprint(True)
    c.setStrokeOverprint(True)
    on = " ".join(c._code[before:])
    del c._code[before:]
    return f"{off} 0 0 0 0 k 0 0 0 0 K", on


def accent_operators(c: Canvas, accent: Accent | None, mode: str) -> str:
    """The fill and stroke operators of the accent colour in `mode`. On screen its process
    equivalent as RGB; in print the spot ink as a Separation colour space (PDF 32000-1
    §8.6.6.4; reportlab writes the space, with the process values as its alternate, into
    the page's resources) or, without a spot name, the process CMYK values."""
    if accent is None:
        return COLOURS[mode][BLACK]
    cyan, magenta, yellow, black = accent.cmyk
    if mode == "reader":
        rgb = " ".join(f"{(1 - v) * (1 - black):.3f}" for v in (cyan, magenta, yellow))
        return f"{rgb} rg {rgb} RG"
    if not accent.spot:
        cmyk = " ".join(f"{v:g}" for v in accent.cmyk)
        return f"{cmyk} k {cmyk} K"
    from reportlab.lib.colors import CMYKColorSep
    enforce = c._enforceColorSpace   # print canvases turn every colour to process CMYK: not this one
    c._enforceColorSpace = None
    try:
        c.setFillColor(CMYKColorSep(cyan, magenta, yellow, black, spotName=accent.spot, density=1))
    finally:
        c._enforceColorSpace = enforce
    fill = c._code.pop()             # "/PANTONE#20485#20C cs 1 scn": registered, not drawn here
    name = fill.split()[0]
    return f"{name} cs 1 scn {name} CS 1 SCN"


class Mark(NamedTuple):
    """One marked-content sequence of a page (PDF 32000-1 §14.6): a line of text, a
    picture or a block's rules, and what it is for the structure tree of the reader
    edition (`render.tagged`). `text` is the line as the copy has it: the reader
    attaches it as /ActualText, so that text extraction, copy and search give the copy
    whatever spacing the line was justified with (a 1/4-em gap before a figure, letter
    spacing, compressed punctuation)."""
    role: str          # structure type (see `tagged`); "Artifact" for furniture and rules; "Span" for
    article: str = ""  # a line inside either, which carries only its ActualText
    text: str = ""
    last: bool = True  # a body paragraph's piece: the paragraph ends with it


# Where a marked-content sequence begins (its index in PageOps.marks) and ends. The reader
# writes BDC/EMC there; the print page drops them (a plate needs no structure).
MARK_BEGIN, MARK_END = "\x01", "\x02"
_END_TOKEN = re.compile("\x02\\d+\x02")


def _without_marks(part: str) -> str:
    """The operators without their mark tokens — each token and the space that joined it
    (before it; after it at the start): the print page's operators as before tagging.
    (Tokens are items of a space-joined list of operators, so a space before \\x01 or \\x02
    is always one before a token; and neither is anywhere else, so with both made \\x01
    every other piece between them is a token's number: C-level splits, ~40 % faster than
    a regular expression's matches.)"""
    pieces = part.replace(" \x01", "\x01").replace(" \x02", "\x01").replace("\x02", "\x01").split("\x01")
    out = "".join(pieces[0::2])
    return out[1:] if out[:1] == " " and part[:1] in (MARK_BEGIN, MARK_END) else out

# What each block kind is in the structure tree; kinds not named are page furniture,
# drawn as artifacts (masthead, folio, ear, imprint, rules, overset marks).
BLOCK_ROLES = {"kicker": "Kicker", "headline": "H1", "subhead": "Subhead", "byline": "Byline",
               "body": "P", "caption": "Caption", "credit": "Caption", "image": "Figure", "jump": "Link"}
DECK_KINDS = ("kicker", "headline", "subhead", "byline")


@dataclass(frozen=True)
class PageOps:
    """One page drawn as PDF operators, for either product: text, rules and crop marks
    with symbolic colours, pictures as their blocks (each product draws its own
    conversion), and the characters drawn with each face (for embedding). It depends
    on the page alone, so the reader and the print page share it, and an incremental
    build keeps it for a page that did not change."""
    parts: tuple            # str (operators) | Block (a picture)
    chars: dict             # PostScript name -> str of the characters drawn with it
    marks: tuple = ()       # Mark per marked-content sequence, in drawing order
    uses: tuple = ()        # of USES, what the parts hold that a document must prepare for: a page
                            # drawn again from its kept stream is prepared without reading its parts


# The accent colour and reversed type need a colour space or graphics state in the page's
# resources; a picture must be drawn for its image resources.
USES = ("accent", "white", "picture")


def _uses(parts: tuple) -> tuple:
    return tuple(u for u, found in zip(USES, (
        any(isinstance(p, str) and ACCENT in p for p in parts),
        any(isinstance(p, str) and WHITE in p for p in parts),
        any(not isinstance(p, str) for p in parts))) if found)


def font_names(faces) -> dict[str, str]:
    """Resource names in the registry's order: the same in every document."""
    return {f.psname: f"/F{i + 1}" for i, f in enumerate(faces)}


def page_ops(page: PageTree, registry: FontRegistry) -> PageOps:
    off = page_geometry(page)[0]
    top = off + page.height
    names = font_names(registry.faces.values())
    chars: dict[str, list] = {}     # PostScript name -> the texts of its runs (a set made once, at the end)
    parts: list = []
    marks: list[Mark] = []
    code = [BLACK]

    def begin(mark: Mark) -> str:
        """Open a marked sequence; returns the token that closes it."""
        code.append(f"{MARK_BEGIN}{len(marks)}{MARK_BEGIN}")
        marks.append(mark)
        return f"{MARK_END}{len(marks) - 1}{MARK_END}"
    # Text state (Tf, Tc) and the line width are graphics state and survive ET/BT:
    # track them for the whole page, starting unknown.
    state = (None, None, None)   # font resource, size, tracking
    width = None
    continued = {a.id for a in page.articles if a.part > 1}
    for block in page.blocks:
        role = BLOCK_ROLES.get(block.kind, "Artifact") if block.article else "Artifact"
        if block.article in continued and block.kind in DECK_KINDS:
            role = "Artifact"   # the headline repeated over a continuation: read once, where the story starts
        if block.kind in ("tint", "bar"):
            # a background is an artifact; its colour is written per product (FILL token), or
            # is the edition's accent (a section bar)
            end = begin(Mark("Artifact"))
            b = block.box
            colour = ACCENT if block.colour == "accent" else f"{FILL}{','.join(f'{v:g}' for v in block.fill)}{FILL}"
            code.append(f"q {colour} {b.x + off:.4f} {top - b.bottom:.4f} {b.w:.4f} {b.h:.4f} re f Q")
            code.append(end)
            continue
        if block.kind == "ad":
            # an ad is not the edition's copy: an artifact. A picture is drawn here; a PDF ad
            # is placed on the finished page as a Form XObject (`place_pdf_ads`)
            if not is_pdf_ad(block):
                end = begin(Mark("Artifact"))
                parts.append(" ".join(code))
                parts.append(block)
                code = [end]
            continue
        if block.kind == "image":
            end = begin(Mark(role, block.article))
            parts.append(" ".join(code))
            parts.append(block)
            code = [end]
            continue
        coloured = block.colour in BLOCK_COLOURS
        if coloured:
            code.append(BLOCK_COLOURS[block.colour])
        if block.rules:
            end = begin(Mark("Artifact"))
            for rule in block.rules:
                if rule.width != width:
                    code.append(f"{rule.width:g} w")
                    width = rule.width
                code.append(f"{rule.x0 + off:.4f} {top - rule.y0:.4f} m {rule.x1 + off:.4f} {top - rule.y1:.4f} l S")
            code.append(end)
        if block.lines:
            code.append("BT")
            # A body block is marked paragraph by paragraph (a piece of a paragraph in
            # this column); any other block as one sequence. Inside, each line is a /Span
            # carrying its ActualText.
            piece = None            # [token that closes it, index of its mark]
            if role != "P":
                piece = [begin(Mark(role, block.article, "".join(ln.text for ln in block.lines))), len(marks) - 1]
            for line in block.lines:
                if line.table and role == "P":
                    # a table row: each cell its own sequence (TH/TD), carrying its text
                    cells = _cell_runs(line)
                    for k, (text, runs) in enumerate(cells):
                        end = begin(Mark("TH" if line.table == "head" else "TD", block.article, text,
                                         last=k == len(cells) - 1))
                        end_text = begin(Mark("Span", block.article, text))
                        state = _show_runs(code, runs, names, chars, state, "1 0 0 1", off + line.x,
                                           f"{top - line.baseline:.4f}")
                        code.append(end_text)
                        code.append(end)
                    continue
                if role == "P" and piece is None:
                    piece = [begin(Mark("H2" if line.heading else "P", block.article, last=False)),
                             len(marks) - 1]
                end = begin(Mark("Span", block.article, line.text)) if needs_actual_text(line) else ""
                # a glyph turned 90° clockwise (竖排 Latin, ～): text x runs down the page
                state = _show_runs(code, line.runs, names, chars, state, "0 -1 1 0" if line.rotated else "1 0 0 1",
                                   off + line.x, f"{top - line.baseline:.4f}")
                if end:
                    code.append(end)
                if role == "P" and (line.last or line.heading):
                    marks[piece[1]] = marks[piece[1]]._replace(last=True)
                    code.append(piece[0])
                    piece = None
            if piece is not None:
                code.append(piece[0])
            code.append("ET")
        if coloured:
            code.append(WHITE_END if block.colour == "white" else BLACK)
    if page.crop_marks:
        end = begin(Mark("Artifact"))
        code.append(_crop_marks(page, off))
        code.append(end)
    parts.append(" ".join(code))
    parts = [p for p in parts if p != ""]
    return PageOps(tuple(parts), {k: "".join(sorted(set("".join(v)))) for k, v in chars.items()}, tuple(marks),
                   _uses(parts))


# Gaps wider than this share of the type size read as word spaces to text extraction
# (poppler starts a new word at 0.1 em); letter spacing up to it is safe.
SAFE_TRACKING = 0.08


def needs_actual_text(line: TextLine) -> bool:
    """Whether extraction from the glyphs alone could differ from the line's text: true
    for a line of several runs (a gap before a figure, a change of face, compressed
    punctuation), letter spacing wider than `SAFE_TRACKING`, or characters not drawn
    (the space in a kicker). A plain run of text needs no ActualText (3.5 KB a page)."""
    if len(line.runs) != 1:
        return True
    run = line.runs[0]
    return run.text != line.text or run.tracking > SAFE_TRACKING * run.size


def _show_runs(code: list, runs, names: dict, chars: dict, state: tuple, matrix: str, x0: float, y: str) -> tuple:
    """Show glyph runs, each at its own origin; returns the text state (font, size, Tc) after."""
    font, size, track = state
    for face, run_size, x, text, tracking in runs:   # tree.Run, unpacked: 26,000 runs on 64 pages
        if not face:
            continue
        if tracking != track:
            code.append(f"{tracking:.4f} Tc")
            track = tracking
        used = chars.get(face)
        if used is None:
            used = chars[face] = []
        used.append(text)
        name = names[face]
        if name != font or run_size != size:
            code.append(f"{name} {run_size:g} Tf")
            font, size = name, run_size
        # one UTF-16 string per run at its own origin; a hex string because
        # bytes.hex() is native and escaping a literal string is not
        code.append(f"{matrix} {x0 + x:.4f} {y} Tm <{text.encode('utf-16-be').hex()}> Tj")
    return font, size, track


def _cell_runs(line: TextLine) -> list[tuple[str, tuple]]:
    """A table row's cells: (text, runs), the runs counted by `line.cells`."""
    out, at = [], 0
    for count in line.cells:
        runs = line.runs[at:at + count]
        out.append(("".join(r.text for r in runs), runs))
        at += count
    return out


def text_string(s: str) -> str:
    """A PDF text string: UTF-16BE with its byte order mark, in hex (PDF 32000-1 §7.9.2.2)."""
    return f"<feff{s.encode('utf-16-be').hex()}>"


def marked_content(marks: tuple, mode: str):
    """The function that writes a page's mark tokens for `mode`: in the reader, BDC with
    the MCID (numbered in drawing order, artifacts and spans not counted), a line's
    ActualText as a /Span property list (the form poppler reads as well as pdfium), EMC
    at the end; in print, nothing."""
    if mode != "reader":
        return _without_marks
    begins = []
    mcid = 0
    for mark in marks:
        if mark.role == "Span":
            begins.append(f"/Span <</ActualText {text_string(mark.text)}>> BDC")
        elif mark.role == "Artifact":
            begins.append("/Artifact BMC")
        else:
            begins.append(f"/{mark.role} <</MCID {mcid}>> BDC")
            mcid += 1

    def fill(part: str) -> str:
        # every end is EMC (one substitution in C); the text between begin marks alternates
        # with their indices: no Python call per mark
        pieces = _END_TOKEN.sub("EMC", part).split(MARK_BEGIN)
        pieces[1::2] = [begins[int(i)] for i in pieces[1::2]]
        return "".join(pieces)
    return fill


# Flate level for page content (libdeflate, render/flate.py): 64 synthetic pages' text
# operators (reader and print) at level 4 in 75 ms, 2.111 MB; level 5 93 ms, 2.078 MB;
# zlib's level 5, used before, 148 ms, 2.124 MB
CONTENT_COMPRESSION = 4


def draw_page(c: Canvas, page: PageTree, ops: PageOps, opts: RenderOptions, images: dict,
              stream: bytes | None = None, pictures=None) -> bytes:
    """Draw one page and return its content stream, compressed. Given the `stream` an
    earlier build made of these very operators, a page without pictures is not drawn
    again (a picture must be drawn: it registers the page's image resources)."""
    off, media_w, media_h = page_geometry(page)
    c.setPageSize((media_w, media_h))
    trim = (off, off, off + page.width, off + page.height)
    print_mode = opts.mode == "print"
    if print_mode:
        c.setTrimBox(trim)
        c.setBleedBox((off - page.bleed, off - page.bleed, off + page.width + page.bleed,
                       off + page.height + page.bleed))
        c.setArtBox(trim)
        # GB/IFRA practice: black text and rules overprint (op/OP true, OPM 1)
        c.setFillOverprint(True)
        c.setStrokeOverprint(True)
        c.setOverprintMask(1)
    # `ops` may be a spooled drawing (`render.drawing`): each field is read once, the parts
    # only when the page is drawn again
    uses = ops.uses
    colours = COLOURS[opts.mode]
    if "accent" in uses:
        colours = {**colours, ACCENT: accent_operators(c, opts.accent, opts.mode)}
    if print_mode and "white" in uses:
        knock_out, overprint_again = knockout_white(c)
        colours = {**colours, WHITE: knock_out, WHITE_END: f"{overprint_again} {COLOURS['print'][BLACK]}"}
    fonts: FontUse = c._banmian_fonts
    for psname, text in ops.chars.items():
        fonts.add(psname, text)
    if stream is None or "picture" in uses:
        fill = marked_content(ops.marks, opts.mode)
        for part in ops.parts:
            if isinstance(part, str):
                for token, value in colours.items():
                    part = part.replace(token, value)
                if FILL in part:
                    part = _FILL.sub(_fill_operator(opts.mode), part)
                c._code.append(fill(part))
            else:
                _draw_image(c, part, opts, images, off, off + page.height, print_mode, pictures)
        stream = None
    c.showPage()
    # the content stream is compressed here rather than by reportlab, so that it can be kept
    pdf_page = c._doc.Pages.pages[-1]
    if stream is None:
        stream = flate(pdf_page.stream.encode("latin-1"), CONTENT_COMPRESSION)
    pdf_page.Contents = _Written({"Filter": "/FlateDecode"}, stream)
    pdf_page.stream = None   # the operators as text (~4× the compressed stream): not held to the end
    return stream


def add_fonts(c: Canvas, kept=None) -> None:
    """Embed the faces the document drew with into reportlab's shared font dictionary
    (every page's /Resources /Font points at it): Type0 → CIDFontType2 → descriptor
    and program, with the identity ToUnicode map (PDF 32000-1 §9.7, §9.10)."""
    doc = c._doc
    fonts: FontUse = c._banmian_fonts
    embedded = fonts.embedded(kept)
    names = font_names(fonts.faces)
    if not embedded:
        return
    font_dict = doc.idToObject["BasicFonts"].dict
    to_unicode = doc.Reference(_Written({"Filter": "/FlateDecode"}, _TO_UNICODE))
    for ef in embedded:
        program = doc.Reference(_Written({"Filter": "/FlateDecode", "Length1": ef.font_file_length}, ef.font_file))
        base_font = PDFName(ef.base_font)
        descriptor = doc.Reference(_Written({
            "Type": "/FontDescriptor", "FontName": base_font, "Flags": 4,
            "FontBBox": "[" + " ".join(map(str, ef.bbox)) + "]", "ItalicAngle": 0, "Ascent": ef.ascent,
            "Descent": ef.descent, "CapHeight": ef.cap_height, "StemV": 80, "FontFile2": program}))
        cid_font = doc.Reference(_Written({
            "Type": "/Font", "Subtype": "/CIDFontType2", "BaseFont": base_font,
            "CIDSystemInfo": "<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>",
            "FontDescriptor": descriptor, "DW": 1000, "W": _w_array(ef.widths),
            "CIDToGIDMap": doc.Reference(_Written({"Filter": "/FlateDecode"}, ef.cid_to_gid))}))
        name = names[ef.psname][1:]
        font_dict[name] = doc.Reference(_Written({
            "Type": "/Font", "Subtype": "/Type0", "BaseFont": base_font,
            "Encoding": "/Identity-H", "DescendantFonts": f"[{cid_font.format(doc).decode()}]",
            "ToUnicode": to_unicode}), name)


class _Written(PDFObject):
    """A dictionary — or a stream of data already compressed (a page's content, a font
    program), which reportlab leaves alone — formatted as reportlab formats one (keys
    sorted, a line break after every sixth), but directly: reportlab's
    dictionaries make each key a name character by character and format each value through
    its generic objects, and a print page's fonts are five objects a face (64 pages' font
    objects, print and reader: ~35 ms of the ~80 ms reportlab spent formatting). Values are
    PDF text, numbers, or references."""

    def __init__(self, entries: dict[str, object], data: bytes | None = None):
        self.entries, self.data = entries, data

    def format(self, document) -> bytes:
        entries = self.entries if self.data is None else {**self.entries, "Length": len(self.data)}
        items = [f"/{key} {value.format(document).decode('latin-1') if isinstance(value, PDFObject) else value}"
                 for key, value in sorted(entries.items())]
        for i in reversed(range(6, len(items), 6)):
            items.insert(i, "\n ")
        text = ("<<\n" + " ".join(items) + "\n>>").encode("latin-1")
        return text if self.data is None else text + b"\nstream\n" + self.data + b"endstream\n"


_TO_UNICODE = flate(to_unicode_cmap())


def _w_array(widths: tuple) -> str:
    """The W array (PDF 32000-1 §9.7.4.3): `cid [w]` for each glyph not DW wide."""
    return "[" + " ".join(f"{cid} [{w:g}]" for cid, w in widths) + "]"


@dataclass(frozen=True)
class Picture:
    """A picture as its image XObject holds it: the pixels the page shows (cropped, and for
    the press in CMYK or grey), 8 bits a component, compressed — Flate, or for a JPEG
    photograph on screen the JPEG itself (DCT)."""
    width: int
    height: int
    colour_space: str      # DeviceRGB or DeviceGray (reader); DeviceCMYK or DeviceGray (press)
    data: bytes
    filter: str = "FlateDecode"    # or DCTDecode

    def record(self) -> bytes:
        """The picture as one cache record: a JSON line, then the compressed pixels."""
        import json
        head = json.dumps([self.width, self.height, self.colour_space, self.filter]).encode("ascii")
        return head + b"\n" + self.data

    @classmethod
    def from_record(cls, record: bytes) -> Picture | None:
        import json
        head, _, data = record.partition(b"\n")
        try:
            width, height, space, filter_ = json.loads(head)
        except (ValueError, TypeError):
            return None
        if not (isinstance(width, int) and isinstance(height, int) and space in _COLOUR_SPACES.values()
                and filter_ in ("FlateDecode", "DCTDecode")):
            return None
        return cls(width, height, space, data, filter_)


_COLOUR_SPACES = {"RGB": "DeviceRGB", "L": "DeviceGray", "CMYK": "DeviceCMYK"}
# libdeflate levels for a picture's pixels. On screen 6 (what reportlab's zlib level gave, in
# about half the time): a reader downloads them. For the press 1: a photograph's CMYK
# pixels (2 megapixels, 8.6 MB) deflate to 3.9 MB in 0.035 s at 1, to 3.5 MB in 0.17 s
# at 6 — a print page is not downloaded, and its photographs were most of its time.
PICTURE_COMPRESSION = 6
PRINT_PICTURE_COMPRESSION = 1
# A JPEG photograph cropped for the reader edition is encoded again as JPEG at this quality:
# Flate keeps a photograph's decoded pixels at ~10× the JPEG's size (a 2-megapixel
# photograph: ~4 MB), which a reader downloads. The press gets the pixels losslessly.
READER_JPEG_QUALITY = 90


def picture_key(block: Block, opts: RenderOptions, print_mode: bool) -> tuple:
    """What a picture's pixels depend on: the file's bytes (its SHA-256, as the edition was
    loaded), the crop, and the product — for the press, the output profile and ink limit."""
    conversion = ("press", hashlib.sha256(opts.icc).hexdigest() if opts.icc else "gcr", opts.ink_limit) \
        if print_mode else ("screen",)
    return (block.image_sha256, tuple(round(v, 6) for v in block.crop), conversion)


def prepare_picture(raw: bytes, block: Block, opts: RenderOptions, print_mode: bool) -> Picture:
    """Decode the picture file's bytes `raw`, crop it as the layout chose, and convert it for
    the product: RGB or grey on screen; grey or CMYK for the press. A JPEG photograph on
    screen stays a JPEG: the file itself when it is shown whole, else its crop encoded
    again (`READER_JPEG_QUALITY`)."""
    from PIL import Image as PILImage
    with PILImage.open(io.BytesIO(raw)) as im:
        jpeg = im.format == "JPEG" and im.mode in ("RGB", "L") and not print_mode
        if jpeg and not block.crop:   # on screen, the photograph's own JPEG: not decoded at all
            return Picture(im.width, im.height, _COLOUR_SPACES[im.mode], raw, "DCTDecode")
        im.load()
        if block.crop:   # the part the layout chose (crop, or the frame's fill round the focus)
            x0, y0, x1, y1 = block.crop
            im = im.crop((round(x0 * im.width), round(y0 * im.height), round(x1 * im.width), round(y1 * im.height)))
        if print_mode:
            # no RGB on a print page: grey for greyscale sources, else CMYK — through the
            # output profile when the edition names one, else by grey-component replacement
            if im.mode in ("L", "LA", "1", "I", "I;16"):
                im = im.convert("L")
            elif im.mode != "CMYK":
                im = separate(im, opts.icc, opts.ink_limit) if opts.icc else rgb_to_cmyk_gcr(im.convert("RGB"))
        elif im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        if jpeg:
            out = io.BytesIO()
            im.save(out, "JPEG", quality=READER_JPEG_QUALITY, optimize=True)
            return Picture(im.width, im.height, _COLOUR_SPACES[im.mode], out.getvalue(), "DCTDecode")
        level = PRINT_PICTURE_COMPRESSION if print_mode else PICTURE_COMPRESSION
        return Picture(im.width, im.height, _COLOUR_SPACES[im.mode], flate(im.tobytes(), level))


def _draw_image(c: Canvas, block: Block, opts: RenderOptions, images: dict, off: float, top: float,
                print_mode: bool, kept=None) -> None:
    """Draw a picture (or an image ad) in its box. Its image XObject is made once a document
    (`images`: the document's, by file, product and crop), from `kept` (the build cache's
    pictures, `engine.KeptPictures`) when it holds the picture."""
    key = (block.image, print_mode, block.crop)
    if key not in images:
        images[key] = _image_xobject(c, block, opts, print_mode, kept)
    name, (iw, ih) = images[key]
    b = block.box
    x, y, w, h = b.x + off, top - b.bottom, b.w, b.h
    if block.kind == "ad":   # an ad is never cropped nor stretched: fitted, centred (check flags a misfit)
        scale = min(w / iw, h / ih)
        x, y, w, h = x + (w - iw * scale) / 2, y + (h - ih * scale) / 2, iw * scale, ih * scale
    c._code.append(f"q {w:.4f} 0 0 {h:.4f} {x:.4f} {y:.4f} cm /{c._doc.getXObjectName(name)} Do Q")
    c._formsinuse.append(name)   # the page's /Resources /XObject name it (reportlab's showPage)
    c._currentPageHasImages = 1


def _image_xobject(c: Canvas, block: Block, opts: RenderOptions, print_mode: bool, kept) -> tuple[str, tuple]:
    """Register the picture's image XObject in reportlab's document; returns its name and its
    size in pixels. The file is read once here, and its bytes are what is drawn: the cache
    is asked only when they are still the bytes the edition was loaded with."""
    from ..edition.article import MAX_IMAGE_BYTES
    from ..edition.source import read_limited
    path = (opts.edition_root / block.image) if opts.edition_root else Path(block.image)
    raw = read_limited(path, MAX_IMAGE_BYTES)
    digest = hashlib.sha256(raw).hexdigest()
    pkey = picture_key(block, opts, print_mode)
    kept = kept if digest == block.image_sha256 else None   # (changed since it was loaded)
    picture = kept.get(pkey) if kept is not None else None
    if picture is None:
        picture = prepare_picture(raw, block, opts, print_mode)
        if kept is not None:
            kept.put(pkey, picture)
    name = "Picture" + hashlib.sha256(repr((digest, *pkey[1:])).encode()).hexdigest()[:16]
    internal = c._doc.getXObjectName(name)
    if internal not in c._doc.idToObject:
        c._doc.Reference(_Written({
            "Type": "/XObject", "Subtype": "/Image", "Width": picture.width, "Height": picture.height,
            "BitsPerComponent": 8, "ColorSpace": "/" + picture.colour_space, "Filter": "/" + picture.filter},
            picture.data), internal)
    return name, (picture.width, picture.height)


def is_pdf_ad(block: Block) -> bool:
    return block.kind == "ad" and block.image.lower().endswith(".pdf")


def place_pdf_ads(pdf, pages: list[PageTree], edition_root: Path | None, reader: bool = True) -> None:
    """Place each PDF ad on its page (pikepdf `pdf`, pages in `pages` order) as a Form
    XObject scaled into its box, its colours and fonts as the advertiser made them; in the
    reader inside an artifact sequence (an ad is not the edition's copy)."""
    import pikepdf
    for page, pdf_page in zip(pages, pdf.pages):
        off = page_geometry(page)[0]
        ads = [b for b in ad_blocks(page) if is_pdf_ad(b)]
        if ads:
            # the page's own drawing leaves its graphics state behind — on the press page
            # overprint on, for black text: an ad drawn in it would overprint itself (white
            # type vanishing, colours mixing). Closed in q … Q, the ads start from the
            # initial state their maker drew them in.
            pdf_page.contents_add(b"q\n", prepend=True)
            pdf_page.contents_add(b"\nQ\n", prepend=False)
        for n, block in enumerate(ads, start=1):
            path = (edition_root / block.image) if edition_root else Path(block.image)
            with pikepdf.open(path) as ad:
                source = pdf.copy_foreign(ad.pages[0].obj)
            form = pikepdf.Page(source).as_form_xobject()
            # a name of our own: pikepdf's add_overlay names the XObject at random
            name = pdf_page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/Ad{n}"))
            b = block.box
            rect = pikepdf.Rectangle(off + b.x, off + page.height - b.bottom, off + b.right, off + page.height - b.y)
            placement = pdf_page.calc_form_xobject_placement(form, name, rect, allow_shrink=True, allow_expand=True)
            placed = b"q " + placement + b" Q"
            pdf_page.contents_add(b"/Artifact BMC " + placed + b" EMC" if reader else placed, prepend=False)


def separate(im, profile: bytes, ink_limit: float):
    """An RGB picture separated for the press through the CMYK output profile: from the
    picture's own embedded profile (sRGB when it has none — the web's and most cameras'
    default), perceptual intent with black-point compensation, as a prepress desk's
    Photoshop conversion would; then held within the ink limit (`limit_ink`), for a
    profile made for a heavier stock than this paper's."""
    from PIL import ImageCms
    dst = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    source = im.info.get("icc_profile")

    def transform(src):
        return ImageCms.buildTransform(src, dst, "RGB", "CMYK", ImageCms.Intent.PERCEPTUAL,
                                       flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
    try:
        transform = transform(ImageCms.ImageCmsProfile(io.BytesIO(source)) if source
                              else ImageCms.createProfile("sRGB"))
    except (OSError, ImageCms.PyCMSError):   # an embedded profile that is damaged or not RGB
        transform = transform(ImageCms.createProfile("sRGB"))
    return limit_ink(ImageCms.applyTransform(im.convert("RGB"), transform), ink_limit)


def limit_ink(im, limit: float):
    """CMYK pixels over `limit` % total ink brought within it, darkest first by more grey-
    component replacement (each unit of the common C, M, Y moved to K saves two units of
    ink and keeps the neutral), then, if K is full, by thinning C, M and Y alike.
    Pixels within the limit are left exactly as the profile made them."""
    import numpy as np
    from PIL import Image as PILImage
    cmyk = np.asarray(im, dtype=np.float64)
    cap = limit / 100 * 255
    total = cmyk.sum(axis=2)
    over = total > cap
    if not over.any():
        return im
    px = cmyk[over]
    cmy, k = px[:, :3], px[:, 3]
    excess = px.sum(axis=1) - cap
    # grey moved to K: at most the common part of C, M, Y, and what K has room for
    g = np.minimum(np.minimum(cmy.min(axis=1), 255 - k), excess / 2)
    cmy = cmy - g[:, None]
    k = k + g
    excess = cmy.sum(axis=1) + k - cap
    scale = np.where(excess > 0, (cap - k) / np.maximum(cmy.sum(axis=1), 1e-9), 1.0)
    cmy = cmy * np.clip(scale, 0.0, 1.0)[:, None]
    # floor, not round: rounding up could put a pixel a quarter-percent back over the limit
    cmyk[over] = np.concatenate([np.floor(cmy), np.floor(k)[:, None]], axis=1)
    return PILImage.fromarray(cmyk.astype(np.uint8), mode="CMYK")


def rgb_to_cmyk_gcr(im):
    """RGB → CMYK with full grey-component replacement: K takes the common part of
    C, M and Y, so a pixel carries at most 200 % ink (IFRA/ISO 12647-3 ask ≤ 240 %).
    A naive conversion (K = 0) puts up to 300 % on newsprint. (With Pillow's channel
    operations: the same pixels as numpy's arrays gave, ~7× as fast — and no numpy import.)"""
    from PIL import Image as PILImage
    from PIL import ImageChops, ImageOps
    c, m, y = ImageOps.invert(im).split()
    k = ImageChops.darker(ImageChops.darker(c, m), y)
    return PILImage.merge("CMYK", (ImageChops.subtract(c, k), ImageChops.subtract(m, k), ImageChops.subtract(y, k), k))


def _crop_marks(page: PageTree, off: float) -> str:
    """Crop marks outside the bleed, in registration black when printing."""
    x0, y0, x1, y1 = off, off, off + page.width, off + page.height
    gap = page.bleed + CROP_MARK_OFFSET
    out = ["0.25 w", REGISTRATION]
    for x in (x0, x1):
        for y, sign in ((y0, -1), (y1, 1)):
            out.append(f"{x:.4f} {y + sign * gap:.4f} m {x:.4f} {y + sign * (gap + CROP_MARK_LENGTH):.4f} l S")
    for y in (y0, y1):
        for x, sign in ((x0, -1), (x1, 1)):
            out.append(f"{x + sign * gap:.4f} {y:.4f} m {x + sign * (gap + CROP_MARK_LENGTH):.4f} {y:.4f} l S")
    return " ".join(out)


def render(tree: EditionTree, pages: list[PageTree], registry: FontRegistry, opts: RenderOptions,
           content_hash: str, on_page=None, ops: dict[int, PageOps] | None = None,
           streams: dict[int, bytes] | None = None, fonts=None, on_saved=None, pictures=None) -> bytes:
    """Draw `pages` into one document. `ops` holds operators already made and `streams`
    compressed content streams already made, by page number; what is made here is
    added to both. `fonts` keeps embedded fonts between builds (see FontUse.embedded),
    `pictures` the pictures' image data (`_draw_image`).
    `on_saved(doc, data)` is given reportlab's document and the file it wrote (the
    objects' numbers and offsets: `tagged.DrawnEdition`) before the document is let go."""
    buffer = io.BytesIO()
    c = new_canvas(buffer, tree, registry, opts, content_hash)
    images: dict = {}
    ops = {} if ops is None else ops
    streams = {} if streams is None else streams
    for page in pages:
        if on_page is not None:
            on_page(c, page)
        if page.number not in ops:
            ops[page.number] = page_ops(page, registry)
        streams[page.number] = draw_page(c, page, ops[page.number], opts, images, streams.get(page.number),
                                         pictures)
    add_fonts(c, fonts)
    c.save()
    data = buffer.getvalue()
    if on_saved is not None:
        on_saved(c._doc, data)
    return data
