"""What a press would check in a finished PDF, read back with pypdf.

fonts        every font of every page: name, embedded?, subtype
boxes        MediaBox, BleedBox, TrimBox per page
colour       colour operators of the page content: RGB anywhere, text filled
             with anything but 100 % K, text drawn without overprint
Nothing here knows how banmian drew the page: it reads the PDF as it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ContentStream

TEXT_SHOW = {b"Tj", b"TJ", b"'", b'"'}
RGB_OPS = {b"rg", b"RG"}


@dataclass
class PageFacts:
    number: int
    fonts: dict[str, bool] = field(default_factory=dict)    # BaseFont -> embedded
    boxes: dict[str, list[float]] = field(default_factory=dict)
    colour_spaces: set[str] = field(default_factory=set)   # DeviceRGB / DeviceCMYK / DeviceGray (operators, images)
    rgb_operators: int = 0
    text_not_k: int = 0          # text whose black is not K only: RGB, or CMYK with K and C/M/Y (rich black)
    text_spot: int = 0           # text in a spot ink (Separation): the nameplate's 套红
    text_white_overprint: int = 0   # white (反白) text set to overprint: it would not print at all
    text_not_overprint: int = 0  # text shown while fill overprint (op) is off
    text_shows: int = 0

    def to_json(self) -> dict:
        return {"number": self.number, "fonts": self.fonts, "boxes": self.boxes,
                "colour_spaces": sorted(self.colour_spaces), "rgb_operators": self.rgb_operators,
                "text_not_k": self.text_not_k, "text_spot": self.text_spot,
                "text_white_overprint": self.text_white_overprint,
                "text_not_overprint": self.text_not_overprint}


def _fonts(page) -> dict[str, bool]:
    out = {}
    fonts = (page.get("/Resources") or {}).get("/Font") or {}
    for ref in fonts.values():
        font = ref.get_object()
        desc = font.get("/FontDescriptor")
        if desc is None and "/DescendantFonts" in font:
            desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
        desc = desc.get_object() if desc is not None else {}
        out[str(font.get("/BaseFont"))] = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return out


def _boxes(page) -> dict[str, list[float]]:
    out = {}
    for name in ("/MediaBox", "/BleedBox", "/TrimBox"):
        if name in page:
            out[name[1:]] = [round(float(v), 3) for v in page[name]]
    return out


def _k_only(fill: tuple) -> bool:
    """Text a press prints from the K plate alone (black or a grey of K), or a colour with no
    black in it (a process accent, 0 100 100 0): not RGB, not black built from C, M and Y."""
    kind, values = fill
    if kind == "g":
        return True
    if kind == "k":
        cyan, magenta, yellow, black = values
        return black == 0 or cyan == magenta == yellow == 0
    return False


def inspect_page(reader: PdfReader, index: int) -> PageFacts:
    page = reader.pages[index]
    facts = PageFacts(index + 1, _fonts(page), _boxes(page))
    res = page.get("/Resources") or {}
    states = {str(k): v.get_object() for k, v in (res.get("/ExtGState") or {}).items()}
    for ref in (res.get("/XObject") or {}).values():
        xo = ref.get_object()
        if xo.get("/Subtype") == "/Image":
            cs = xo.get("/ColorSpace")
            facts.colour_spaces.add(str(cs[0] if isinstance(cs, list) else cs).lstrip("/"))
    fill = ("g", (0.0,))
    overprint = False
    stack = []
    content = ContentStream(page.get_contents(), reader) if page.get_contents() is not None else None
    for operands, op in (content.operations if content is not None else []):
        if op in RGB_OPS:
            facts.rgb_operators += 1
            facts.colour_spaces.add("DeviceRGB")
        if op == b"k":
            fill = ("k", tuple(float(v) for v in operands))
            facts.colour_spaces.add("DeviceCMYK")
        elif op == b"K":
            facts.colour_spaces.add("DeviceCMYK")
        elif op == b"rg":
            fill = ("rg", tuple(float(v) for v in operands))
        elif op == b"cs":
            space = str(operands[0])
            spaces = res.get("/ColorSpace") or {}
            entry = spaces.get(space)
            entry = entry.get_object() if entry is not None else None
            if entry is not None and len(entry) and str(entry[0]) == "/Separation":
                facts.colour_spaces.add("Separation")
                fill = ("sep", space)
            else:
                fill = ("cs", space)
        elif op in (b"scn", b"sc") and fill[0] == "cs":
            fill = ("cs", fill[1])
        elif op in (b"g", b"G"):
            facts.colour_spaces.add("DeviceGray")
            if op == b"g":
                fill = ("g", tuple(float(v) for v in operands))
        elif op == b"gs":
            state = states.get(str(operands[0]), {})
            if "/op" in state:
                overprint = state["/op"] == True  # noqa: E712  (a pypdf BooleanObject is always truthy)
            elif "/OP" in state and "/op" not in state:
                overprint = overprint or False
        elif op == b"q":
            stack.append((fill, overprint))
        elif op == b"Q" and stack:
            fill, overprint = stack.pop()
        elif op in TEXT_SHOW:
            facts.text_shows += 1
            if fill[0] == "sep":
                facts.text_spot += 1
            elif not _k_only(fill):
                facts.text_not_k += 1
            if fill in (("k", (0.0, 0.0, 0.0, 0.0)), ("g", (1.0,))):   # white: must knock out
                if overprint:
                    facts.text_white_overprint += 1
            elif not overprint:
                facts.text_not_overprint += 1
    return facts


def inspect_pdf(path: Path) -> list[PageFacts]:
    reader = PdfReader(path)
    return [inspect_page(reader, i) for i in range(len(reader.pages))]
