#!/usr/bin/env python3
"""Regenerate the shipped font subsets in fonts/ from Debian's font packages.

    apt-get install fonts-noto-cjk fonts-noto-cjk-extra fonts-lxgw-wenkai
    SOURCE_DATE_EPOCH=1764288000 python fonts/build.py [ROLE ...]

Why each step (see ../shared/docs/fonts.md for the measurements):
- reportlab embeds TrueType (glyf) outlines only, so the Noto CJK faces (CFF)
  are converted with cu2qu after subsetting; converting the subset is far
  faster than converting the whole face.
- After conversion every glyph's hmtx left side-bearing is set to the new glyf
  xMin and vmtx top side-bearing to VORG - yMax (then VORG is dropped); the
  older recipe leaves CFF side-bearings and renderers draw glyphs shifted.
- The subsetter keeps vert/vrt2 (vertical forms), halt/palt/vhal/vpal
  (punctuation compression data) and kern/vkrn, and drops locl, which would
  drag in thousands of Japanese/Korean/Traditional variant glyphs.
- Every file is renamed (name IDs 1-4, 6, 16, 17; trademark ID 7 removed): the
  OFL Reserved Font Names "LXGW"/"霞鹜" and the "Noto" trademark may not be the
  name of a Modified Version, and reportlab keys fonts by PostScript name, so a
  clash would silently draw with the wrong font.
- Timestamps come from SOURCE_DATE_EPOCH so two runs give identical bytes.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

HERE = Path(__file__).resolve().parent
NOTO = Path("/usr/share/fonts/opentype/noto")
WENKAI = Path("/usr/share/fonts/truetype/lxgw-wenkai")
SC_INDEX = 2  # Simplified Chinese face inside the Noto CJK .ttc collections
KEEP_FEATURES = ["vert", "vrt2", "halt", "palt", "vhal", "vpal", "kern", "vkrn"]
DEFAULT_EPOCH = 1764288000  # 2025-11-28, used when SOURCE_DATE_EPOCH is unset


@dataclass(frozen=True)
class Face:
    file: str          # output file name in fonts/
    source: Path
    index: int         # subfont index in a collection (-1: not a collection)
    family: str        # new family name (name IDs 1 and 16)
    style: str         # name IDs 2 and 17
    postscript: str    # name ID 6, unique per file
    scope: str         # "gb2312" or "gbk"


FACES = {
    "song": Face("BanmianSong-Regular.ttf", NOTO / "NotoSerifCJK-Regular.ttc", SC_INDEX,
                 "Banmian Song", "Regular", "BanmianSong-Regular", "gbk"),
    "song-bold": Face("BanmianSong-Bold.ttf", NOTO / "NotoSerifCJK-Bold.ttc", SC_INDEX,
                      "Banmian Song Bold", "Regular", "BanmianSong-Bold", "gb2312"),
    "hei": Face("BanmianHei-Bold.ttf", NOTO / "NotoSansCJK-Bold.ttc", SC_INDEX,
                "Banmian Hei", "Regular", "BanmianHei-Bold", "gb2312"),
    "kai": Face("BanmianKai-Regular.ttf", WENKAI / "LXGWWenKai-Regular.ttf", -1,
                "Banmian Kai", "Regular", "BanmianKai-Regular", "gbk"),
}


def _double_byte(codec: str, lead: range, trail: range) -> set[int]:
    out = set()
    for a in lead:
        for b in trail:
            try:
                s = bytes([a, b]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(s) == 1:
                out.add(ord(s))
    return out


def codepoints(scope: str) -> list[int]:
    """Scope A (gb2312) = GB2312 + ASCII, Latin-1, punctuation and the symbol
    blocks news copy uses; scope B (gbk) = A + every GBK character."""
    cps: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    for lo, hi in [(0x2000, 0x206F), (0x2100, 0x214F), (0x2150, 0x218F),
                   (0x2190, 0x21FF), (0x2460, 0x24FF), (0x2500, 0x257F),
                   (0x25A0, 0x25FF), (0x2600, 0x26FF), (0x2E3A, 0x2E3B),
                   (0x3000, 0x303F), (0x3200, 0x32FF), (0xFE10, 0xFE1F),
                   (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x22EF, 0x22EF)]:
        cps |= set(range(lo, hi + 1))
    cps |= _double_byte("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF))
    if scope == "gbk":
        cps |= _double_byte("gbk", range(0x81, 0xFF), range(0x40, 0xFF))
    return sorted(cps)


def subset_face(face: Face) -> TTFont:
    font = TTFont(face.source, fontNumber=face.index if face.index >= 0 else 0,
                  recalcTimestamp=False)
    opts = subset.Options()
    opts.layout_features = KEEP_FEATURES
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.glyph_names = False
    opts.hinting = False
    opts.desubroutinize = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=codepoints(face.scope))
    sub.subset(font)
    return font


def cff_to_glyf(font: TTFont) -> None:
    """fontTools' otf2ttf recipe, with side-bearings fixed (see module doc)."""
    order = font.getGlyphOrder()
    glyphset = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphset)
        glyphset[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    glyf.compile(font)
    vorg = font["VORG"] if "VORG" in font else None
    hmtx = font["hmtx"]
    vmtx = font["vmtx"] if "vmtx" in font else None
    for name, g in glyphs.items():
        if not hasattr(g, "xMin"):
            continue
        hmtx[name] = (hmtx[name][0], g.xMin)
        if vmtx is not None:
            vorigin = vorg.VOriginRecords.get(name, vorg.defaultVertOriginY) if vorg else font["OS/2"].sTypoAscender
            vmtx[name] = (vmtx[name][0], vorigin - g.yMax)
    if vorg is not None:
        del font["VORG"]
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones",):
        setattr(maxp, attr, 1)
    for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: smaller, and nothing reads them
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont, face: Face) -> None:
    name = font["name"]
    old = {r.nameID: r.toUnicode() for r in name.names if r.platformID == 3 and r.langID == 0x409}
    version = old.get(5, "Version 1.000")
    keep = {0, 5, 8, 9, 10, 11, 12, 13, 14}
    name.names = [r for r in name.names if r.nameID in keep]
    full = f"{face.family} {face.style}" if face.style != "Regular" else face.family
    for nid, text in [(1, face.family), (2, face.style), (3, f"{face.postscript};{version}"),
                      (4, full), (6, face.postscript), (16, face.family), (17, face.style)]:
        name.setName(text, nid, 3, 1, 0x409)
    if "CFF " in font:
        font["CFF "].cff.fontNames = [face.postscript]


def build(role: str, epoch: int) -> Path:
    face = FACES[role]
    t0 = time.time()
    font = subset_face(face)
    if "CFF " in font:
        cff_to_glyf(font)
    rename(font, face)
    # head.created/modified are seconds since 1904-01-01.
    stamp = epoch + 2082844800
    font["head"].created = stamp
    font["head"].modified = stamp
    out = HERE / face.file
    tmp = out.with_suffix(".tmp")
    font.save(tmp)
    os.replace(tmp, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
    src = hashlib.sha256(face.source.read_bytes()).hexdigest()
    print(f"{role}: {out.name} {out.stat().st_size:,} bytes sha256 {digest}… "
          f"from {face.source.name} (sha256 {src}) in {time.time() - t0:.0f}s", flush=True)
    return out


def main(argv: list[str]) -> int:
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_EPOCH))
    roles = argv or list(FACES)
    for role in roles:
        build(role, epoch)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
