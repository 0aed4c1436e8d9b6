"""Embedding TrueType faces as CID fonts whose character ids are Unicode.

Each face used in a document becomes one composite font (PDF 32000-1
§9.7): Type0 with Encoding /Identity-H over a CIDFontType2 whose CIDs are
the characters' UTF-16 code units, mapped to glyphs by a CIDToGIDMap
stream. So the bytes of a text string are simply its UTF-16BE encoding:

- a page's content depends on that page only — not on which characters
  earlier pages used (reportlab numbers its 256-glyph subsets in order of
  first use, so one edited article changed every later page's bytes);
- one string per run, whatever its characters (no subset switches, which
  some extractors mishandle with Tc);
- ToUnicode is the identity, written as 256 ranges (§9.10.3);
- a character beyond the Basic Multilingual Plane would need two code
  units: the registry offers none (fonts.py), so it is reported as a
  character no face has.

The font program is a subset cut from the raw `glyf`/`loca`/`hmtx` tables
(found through the table directory):
the used glyphs (and the components of composite glyphs, whose references
are renumbered) in glyph-id order, numbered afresh. fontTools' Subsetter
would decompile and recompile every glyph (~0.4 s per face for a
300-character subset, measured on BanmianSong); this copies byte ranges
(~2 ms), which matters because every print page embeds its own subset.
"""
from __future__ import annotations

import functools
import hashlib
import os
import struct
import zlib
from array import array
from dataclasses import dataclass, field

from ..fonts import FontFace
from .flate import flate

# Tables a TrueType program embedded in a PDF needs (§9.9: the cmap is not
# needed for a CIDFontType2 with a CIDToGIDMap); OS/2 carries the embedding
# permissions preflight tools look for.
KEEP_TABLES = ("OS/2", "cvt ", "fpgm", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "prep")


class _GlyphData:
    """The `glyf` table of a font file, read a glyph at a time (os.pread) when a subset
    needs it: a build embeds a few thousand of a face's tens of thousands of glyphs, and
    reading the four faces whole (28 MB) cost a fresh build ~50 ms before any page could
    be drawn. The file stays open for the life of the process; processes forked from it
    read through the same descriptor (pread moves no shared offset)."""

    def __init__(self, path: str, fd: int, start: int, length: int):
        self.path, self.fd, self.start, self.length = path, fd, start, length
        self.glyphs: dict[int, bytes] = {}

    def read(self, gid: int, begin: int, end: int) -> bytes:
        data = self.glyphs.get(gid)
        if data is None:
            if not 0 <= begin <= end <= self.length:
                raise ValueError(f"{self.path}: glyph {gid} lies outside the glyf table")
            data = os.pread(self.fd, end - begin, self.start + begin)
            if len(data) != end - begin:
                raise ValueError(f"{self.path}: the font file is shorter than its table directory says")
            self.glyphs[gid] = data
        return data

    def __del__(self, _close=os.close):   # a program the cache let go of (font_program keeps 16)
        # (os.close bound as a default: at the interpreter's exit this module's globals are gone)
        try:  # noqa: SIM105 - contextlib is one of those globals
            _close(self.fd)
        except OSError:
            pass


@dataclass
class FontProgram:
    """The raw tables of one TrueType face, read once per process (glyphs when first used)."""
    tables: dict[str, bytes]     # KEEP_TABLES but glyf
    glyf: _GlyphData
    offsets: list[int]           # loca, as byte offsets into glyf (numGlyphs + 1)
    num_hmetrics: int
    units_per_em: int
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int

    def glyph(self, gid: int) -> bytes:
        return self.glyf.read(gid, self.offsets[gid], self.offsets[gid + 1])

    def closure(self, gids: set[int]) -> set[int]:
        """`gids` with the components of composite glyphs, recursively."""
        todo, done = list(gids | {0}), set()
        while todo:
            gid = todo.pop()
            if gid in done or gid + 1 >= len(self.offsets):
                continue
            done.add(gid)
            data = self.glyph(gid)
            if len(data) >= 10 and struct.unpack_from(">h", data, 0)[0] < 0:
                todo.extend(_components(data))
        return done

    def advance_lsb(self, gid: int) -> bytes:
        """The glyph's hmtx entry as 4 bytes (advance, left side bearing)."""
        hmtx, n = self.tables["hmtx"], self.num_hmetrics
        if gid < n:
            return hmtx[4 * gid:4 * gid + 4]
        # past numberOfHMetrics: the last advance, and an lsb of its own
        return hmtx[4 * (n - 1):4 * (n - 1) + 2] + hmtx[4 * n + 2 * (gid - n):4 * n + 2 * (gid - n) + 2]

    def subset(self, gids: set[int]) -> tuple[bytes, dict[int, int]]:
        """A TrueType file with the glyphs `gids` (and their components, and .notdef),
        numbered afresh in order; and the map old glyph id -> new glyph id."""
        keep = sorted(self.closure(gids))
        new_id = {gid: i for i, gid in enumerate(keep)}
        glyf = bytearray()
        offsets = [0]
        hmtx = bytearray()
        for gid in keep:
            data = self.glyph(gid)
            if len(data) >= 10 and data[0] & 0x80:   # numberOfContours < 0: a composite glyph
                data = _renumber_components(data, new_id)
            glyf += data
            glyf += b"\0" * (-len(data) % 4)        # long loca: 4-byte alignment is customary
            offsets.append(len(glyf))
            hmtx += self.advance_lsb(gid)
        loca = array("I", offsets)
        if array("I", [1]).tobytes()[0] == 1:   # little-endian machine: loca is big-endian
            loca.byteswap()
        tables = dict(self.tables)
        tables["glyf"] = bytes(glyf)
        tables["loca"] = loca.tobytes()
        tables["hmtx"] = bytes(hmtx)
        head = bytearray(tables["head"])
        head[8:12] = b"\0\0\0\0"                      # checkSumAdjustment, set below
        head[50:52] = struct.pack(">h", 1)            # indexToLocFormat: long offsets
        tables["head"] = bytes(head)
        hhea = bytearray(tables["hhea"])
        hhea[34:36] = struct.pack(">H", len(keep))    # numberOfHMetrics: every glyph has its advance
        tables["hhea"] = bytes(hhea)
        maxp = bytearray(tables["maxp"])
        maxp[4:6] = struct.pack(">H", len(keep))      # numGlyphs
        tables["maxp"] = bytes(maxp)
        return _sfnt(tables), new_id


def _component_offsets(data: bytes):
    """(offset of the glyph index, glyph index) of each component of a composite glyph
    (OpenType glyf table, composite glyph description)."""
    pos = 10
    while True:
        flags, gid = struct.unpack_from(">HH", data, pos)
        yield pos + 2, gid
        pos += 4 + (4 if flags & 0x0001 else 2)
        if flags & 0x0008:
            pos += 2
        elif flags & 0x0040:
            pos += 4
        elif flags & 0x0080:
            pos += 8
        if not flags & 0x0020:
            return


def _components(data: bytes):
    return (gid for _, gid in _component_offsets(data))


def _renumber_components(data: bytes, new_id: dict[int, int]) -> bytes:
    out = bytearray(data)
    for at, gid in _component_offsets(data):
        struct.pack_into(">H", out, at, new_id[gid])
    return bytes(out)


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    words = array("I", data)
    if array("I", [1]).tobytes()[0] == 1:
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


def _sfnt(tables: dict[str, bytes]) -> bytes:
    """An sfnt file from its tables (OpenType font file, table directory)."""
    tags = sorted(tables)
    n = len(tags)
    entry = 1 << (n.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, n, entry * 16, entry.bit_length() - 1, n * 16 - entry * 16)
    offset = 12 + 16 * n
    directory, body = bytearray(), bytearray()
    whole = 0
    for tag in tags:
        data = tables[tag]
        checksum = _checksum(data)
        whole += checksum
        directory += struct.pack(">4sIII", tag.encode("latin-1"), checksum, offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    # The font's checksum is the sum of its 32-bit words; every table starts on a 4-byte
    # boundary and is padded with zeros, so it is the header's and directory's checksum
    # plus the tables' (not a second pass over the whole font)
    whole = (whole + _checksum(bytes(header + directory))) & 0xFFFFFFFF
    head_at = 12 + 16 * tags.index("head") + 8
    head_offset = struct.unpack_from(">I", font, head_at)[0]
    struct.pack_into(">I", font, head_offset + 8, (0xB1B0AFBA - whole) & 0xFFFFFFFF)
    return bytes(font)


def _raw_tables(path: str, index: int) -> tuple[dict[str, bytes], _GlyphData]:
    """The tables of KEEP_TABLES as bytes, but `glyf`, whose glyphs are read as they are
    used; from the sfnt table directory (OpenType font file §5; a collection's header
    first). The fonts were read and checked with fontTools when their metrics were taken
    (fonts.py); importing it again in every build only to find byte ranges cost an
    incremental build 45 ms."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        def at(offset: int, length: int) -> bytes:
            data = os.pread(fd, length, offset)
            if len(data) != length:
                raise ValueError(f"{path}: the font file is shorter than its table directory says")
            return data
        header = at(0, 12)
        start = struct.unpack(">I", at(12 + 4 * index, 4))[0] if header[:4] == b"ttcf" else 0
        count = struct.unpack(">H", at(start + 4, 2))[0]
        directory = at(start + 12, 16 * count)
        tables, glyf = {}, None
        for i in range(count):
            tag, _, offset, length = struct.unpack_from(">4sIII", directory, 16 * i)
            name = tag.decode("latin-1")
            if name == "glyf":
                glyf = (offset, length)
            elif name in KEEP_TABLES:
                tables[name] = at(offset, length)
        if glyf is None:
            raise ValueError(f"{path}: no glyf table")
    except BaseException:
        os.close(fd)
        raise
    return tables, _GlyphData(path, fd, *glyf)   # which closes `fd` when it goes


def font_program(path: str, index: int = 0) -> FontProgram:
    """The face at `path` (`index` in a collection), its glyphs read as they are used. Kept
    for the file as it is now (size, date, inode): a face replaced while `banmian watch`
    runs is read anew — kept by its path alone, the old program's glyphs went on being
    embedded with the new file's metrics."""
    st = os.stat(path)
    return _font_program(path, index, (st.st_size, st.st_mtime_ns, st.st_ino))


@functools.lru_cache(maxsize=16)
def _font_program(path: str, index: int, _identity: tuple) -> FontProgram:
    tables, glyf = _raw_tables(path, index)
    head, hhea = tables["head"], tables["hhea"]
    upm = struct.unpack_from(">H", head, 18)[0]
    bbox = struct.unpack_from(">hhhh", head, 36)
    long_loca = struct.unpack_from(">h", head, 50)[0] == 1
    loca = array("I" if long_loca else "H", tables["loca"])
    if array("I", [1]).tobytes()[0] == 1:
        loca.byteswap()
    offsets = list(loca) if long_loca else [2 * o for o in loca]
    ascent, descent = struct.unpack_from(">hh", hhea, 4)
    num_hmetrics = struct.unpack_from(">H", hhea, 34)[0]
    os2 = tables.get("OS/2", b"")
    cap = struct.unpack_from(">h", os2, 88)[0] if len(os2) >= 90 else ascent
    return FontProgram(tables, glyf, offsets, num_hmetrics, upm, bbox, ascent, descent, cap)


def to_unicode_cmap() -> bytes:
    """The identity CID → Unicode map, as 256 ranges (a range may not cross a first byte)."""
    ranges = "\n".join(f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256) if not 0xD8 <= hi <= 0xDF)
    count = 256 - 8
    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
        "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange",
    ]
    # at most 100 entries per block (PDF 32000-1 §9.10.3 refers to Adobe TN 5411)
    all_ranges = ranges.split("\n")
    for i in range(0, count, 100):
        block = all_ranges[i:i + 100]
        lines += [f"{len(block)} beginbfrange", *block, "endbfrange"]
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return ("\n".join(lines) + "\n").encode("ascii")


@dataclass
class FontUse:
    """The faces one document may draw with, and the characters it drew with each."""
    faces: list[FontFace]
    chars: dict[str, set[str]] = field(default_factory=dict)   # psname -> characters drawn

    def add(self, psname: str, text: str) -> None:
        used = self.chars.get(psname)
        if used is None:
            used = self.chars[psname] = set()
        used.update(text)

    def embedded(self, kept=None) -> list[EmbeddedFont]:
        """The faces drawn with, embedded; `kept` (get/put by face and characters) keeps
        them between builds: the reader edition's fonts change only with its characters."""
        out = []
        for face in self.faces:
            chars = self.chars.get(face.psname)
            if chars:
                chars = frozenset(chars)
                ef = kept.get(face, chars) if kept is not None else None
                if ef is None:
                    ef = embed(face, chars)
                    if kept is not None:
                        kept.put(face, chars, ef)
                out.append(ef)
        return out


@dataclass(frozen=True)
class EmbeddedFont:
    """Everything a PDF writer needs for one face: names, numbers and finished (Flate) streams."""
    psname: str
    base_font: str               # subset tag + PostScript name
    widths: tuple                # (cid, width in 1/1000 em) of every glyph not 1 em wide
    font_file: bytes             # FlateDecode-compressed TrueType program
    font_file_length: int        # Length1: its uncompressed size
    cid_to_gid: bytes            # FlateDecode-compressed CIDToGIDMap
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int


def _deflate_runs(data: bytes) -> bytes:
    """Flate data that is mostly long runs of zeros, as a CIDToGIDMap is (two bytes for every
    code point up to the highest used, ~80 KB for a page of hanzi, ~1,000 of them non-zero):
    deflate's run-length strategy (RFC 1951 streams like any other) took a third of the
    default's time on 64 synthetic pages' maps, for a smaller result (44 against 55 KB)."""
    runs = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    return runs.compress(data) + runs.flush()


@functools.lru_cache(maxsize=256)
def embed(face: FontFace, chars: frozenset[str]) -> EmbeddedFont:
    """The embedded form of `face` for the characters `chars` (same input, same bytes)."""
    program = font_program(str(face.path), face.index)
    used = sorted(c for c in chars if c in face.gids)
    data, new_id = program.subset({face.gids[c] for c in used})
    scale = 1000 / program.units_per_em
    top = max((ord(c) for c in used), default=0)
    cid_to_gid = bytearray(2 * (top + 1))
    widths = []
    for c in used:
        cid, gid = ord(c), new_id[face.gids[c]]
        struct.pack_into(">H", cid_to_gid, 2 * cid, gid)
        w = face.widths[c] * 1000
        if w != 1000:
            widths.append((cid, round(w, 3)))
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(
        (face.psname + "".join(used)).encode("utf-8")).digest()[:6])
    return EmbeddedFont(
        psname=face.psname, base_font=f"{tag}+{face.psname}", widths=tuple(widths),
        font_file=flate(data), font_file_length=len(data),
        cid_to_gid=_deflate_runs(bytes(cid_to_gid)),
        bbox=tuple(round(v * scale) for v in program.bbox), ascent=round(program.ascent * scale),
        descent=round(program.descent * scale), cap_height=round(program.cap_height * scale))
