"""Set one paragraph into justified lines of positioned glyph runs.

The four stages, each plain data in and out:

    items      characters → measured items (advance, punctuation trims, gaps)
    breaks     greedy line filling: squeeze first (挤进), then push out (推出)
    orphans    a last line of one hanzi pulls a character down (clreq)
    justify    slack distributed in clreq's priority order; runs for the renderer

Widths come from real font metrics through the registry (`FontMeasure`) or
from the test model of cjk-typesetting.md §0 (`ModelMeasure`: 1 em for
non-ASCII, ½ em for ASCII, no compression) which `tests/test_linebreak_cases`
uses.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..fonts import FontFace, FontRegistry
from .breaks import BreakRules
from .classes import CLOSING, OPENING, SENTENCE_END, is_ideograph, is_latin

EPS = 1e-6
_NOSTRETCH_PAIRS = frozenset("—…⋯")


@dataclass(frozen=True)
class Settings:
    """How a paragraph is set. `Settings.model()` is the test model."""
    punctuation: str = "quanjiao"     # 全角式 | 开明式 kaiming | 半角式 banjiao
    compress: bool = True             # adjacent-pair compression and line-end ½ em (GB 5.1.10)
    cjk_latin_space: float = 0.25     # em between hanzi and Latin letters/digits (clreq)
    cjk_latin_min: float = 0.125      # em it may shrink to
    cjk_latin_max: float = 1 / 3      # em it may grow to when justifying
    orphans: bool = True              # clreq #adjustments_of_orphans_and_widows
    justify: bool = True
    rules: BreakRules = field(default_factory=BreakRules)

    @classmethod
    def model(cls) -> Settings:
        return cls(compress=False, cjk_latin_space=0.0, cjk_latin_min=0.0, cjk_latin_max=0.0,
                   orphans=False, justify=False, rules=BreakRules.model())


@dataclass(frozen=True)
class Segment:
    """A stretch of a paragraph in one style: text, font role (chain) and size."""
    text: str
    role: str
    size: float


@dataclass(frozen=True)
class Run:
    """Glyphs drawn from x with `tracking` pt added after each glyph (PDF Tc)."""
    font: str        # PostScript name of the face
    size: float
    x: float         # from the line's start (the column's left edge)
    text: str
    tracking: float = 0.0

    def to_json(self) -> dict:
        return {"font": self.font, "size": self.size, "x": round(self.x, 4), "text": self.text,
                "tracking": round(self.tracking, 5)}


@dataclass(frozen=True)
class TypesetLine:
    text: str
    runs: tuple[Run, ...]
    width: float          # set width from the line start, trims included
    measure: float        # the width the line was set to
    last: bool            # a paragraph's last line: set solid, flush start
    indent: float = 0.0


@dataclass
class ParagraphResult:
    lines: list[TypesetLine]
    missing: list[str] = field(default_factory=list)     # characters no face has
    long_units: list[str] = field(default_factory=list)  # units broken by force
    orphan_fixes: int = 0


class ModelMeasure:
    """cjk-typesetting.md §0: every ASCII char ½ em, every other char 1 em."""

    def face_and_advance(self, ch: str, role: str, size: float) -> tuple[FontFace | None, float]:
        return None, (0.5 if " " <= ch <= "~" else 1.0) * size


class FontMeasure:
    """Real advances along the role's fallback chain; missing characters measure 1 em."""

    def __init__(self, registry: FontRegistry):
        self.registry = registry

    def face_and_advance(self, ch: str, role: str, size: float) -> tuple[FontFace | None, float]:
        face = self.registry.resolve(ch, role)
        if face is None:
            return None, size
        return face, face.widths[ch] * size


class ColumnTooNarrow(ValueError):
    pass


@dataclass
class _Items:
    chars: str
    faces: list
    sizes: list
    adv: list       # advance, pt
    tl: list        # natural trim of the blank left half, pt
    tr: list        # natural trim of the blank right half, pt
    endtrim: list   # extra trim when the item ends a line (GB 5.1.10), pt
    sq: list        # further squeeze available on the item's left (pairs to 1 em), pt
    gap: list       # natural gap after item i (CJK–Latin space), pt
    gapmin: list
    gapmax: list
    stretch: list   # may the gap after item i be stretched when justifying?


def _is_mark(ch: str) -> bool:
    return ch in CLOSING or ch in OPENING


def _items(segments: list[Segment], measure_fn, s: Settings, missing: list[str]) -> _Items:
    chars = "".join(seg.text for seg in segments)
    n = len(chars)
    faces, sizes, adv = [None] * n, [0.0] * n, [0.0] * n
    i = 0
    seen_missing = set()
    for seg in segments:
        for ch in seg.text:
            face, a = measure_fn.face_and_advance(ch, seg.role, seg.size)
            if face is None and not isinstance(measure_fn, ModelMeasure) and ch not in seen_missing:
                seen_missing.add(ch)
                missing.append(ch)
            faces[i], sizes[i], adv[i] = face, seg.size, a
            i += 1
    tl, tr, endtrim, sq = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n
    gap, gapmin, gapmax = [0.0] * n, [0.0] * n, [0.0] * n
    stretch = [True] * n
    if n:
        stretch[n - 1] = False
    full = [adv[k] >= 0.9 * sizes[k] for k in range(n)]
    if s.compress:
        half_all = s.punctuation == "banjiao"
        half_kaiming = s.punctuation == "kaiming"
        for k in range(n):
            ch = chars[k]
            if not full[k]:
                continue
            half = adv[k] / 2
            if ch in CLOSING:
                endtrim[k] = half
                if half_all or (half_kaiming and ch not in SENTENCE_END):
                    tr[k], endtrim[k] = half, 0.0
            elif ch in OPENING and (half_all or half_kaiming):
                tl[k] = half
        # 全角式: two adjacent marks take 1.5 em, and may go to 1 em when
        # squeezing (clreq #h-adjustment_of_adjacent_punctuation_marks).
        for k in range(n - 1):
            a, b = chars[k], chars[k + 1]
            if not (full[k] and full[k + 1]) or not _is_mark(a) or not _is_mark(b):
                continue
            if a in CLOSING:
                if tr[k] == 0.0:
                    tr[k], endtrim[k] = adv[k] / 2, 0.0
                if b in OPENING and tl[k + 1] == 0.0:
                    sq[k + 1] = adv[k + 1] / 2
            elif b in OPENING and a in OPENING and tl[k + 1] == 0.0:
                tl[k + 1] = adv[k + 1] / 2
    for k in range(n - 1):
        a, b = chars[k], chars[k + 1]
        if a == b and a in _NOSTRETCH_PAIRS:
            stretch[k] = False           # never inside —— or …… (clreq)
        elif a.isascii() and b.isascii() and a != " " and b != " ":
            stretch[k] = False           # never letter-space a Latin word or a number
        elif s.cjk_latin_space and ((is_ideograph(a) and is_latin(b)) or (is_latin(a) and is_ideograph(b))):
            em = max(sizes[k], sizes[k + 1])
            gap[k] = s.cjk_latin_space * em
            gapmin[k] = s.cjk_latin_min * em
            gapmax[k] = s.cjk_latin_max * em
    return _Items(chars, faces, sizes, adv, tl, tr, endtrim, sq, gap, gapmin, gapmax, stretch)


def _trim_edges(chars: str, s: int, e: int) -> tuple[int, int]:
    while s < e and chars[s] == " ":
        s += 1
    while e > s and chars[e - 1] == " ":
        e -= 1
    return s, e


def _width(it: _Items, s: int, e: int) -> tuple[float, float]:
    """(natural width, narrowest width after squeezing) of a line of items s..e-1."""
    s, e = _trim_edges(it.chars, s, e)
    if s >= e:
        return 0.0, 0.0
    w = 0.0
    squeeze = 0.0
    adv, tl, tr, gap, gapmin, sq = it.adv, it.tl, it.tr, it.gap, it.gapmin, it.sq
    for k in range(s, e):
        w += adv[k] - tl[k] - tr[k]
        if k < e - 1:
            w += gap[k]
            squeeze += gap[k] - gapmin[k]
        if k > s:
            squeeze += sq[k]
    w -= it.endtrim[e - 1]
    return w, w - squeeze


def _break_lines(it: _Items, brk: list[bool], measures: list[float], long_units: list[str]) -> list[tuple[int, int]]:
    """Greedy filling; returns (start, end) item ranges of the lines."""
    chars, n = it.chars, len(it.chars)
    adv, tl, tr, gap, endtrim = it.adv, it.tl, it.tr, it.gap, it.endtrim
    lines: list[tuple[int, int]] = []
    s = 0
    while s < n and chars[s] == " ":
        s += 1
    while s < n:
        measure = measures[min(len(lines), len(measures) - 1)]
        # 1. longest prefix whose width (trailing spaces ignored) fits
        running = 0.0
        k_nat = s
        e = s
        last_solid = s  # end of the prefix without trailing spaces
        while e < n:
            w_item = adv[e] - tl[e] - tr[e]
            if chars[e] == " ":
                running += w_item + gap[e]
                e += 1
                continue
            width_here = running + w_item - endtrim[e]
            if width_here > measure + EPS and e > s:
                break
            running += w_item + gap[e]
            e += 1
            last_solid = e
            k_nat = e
        if e >= n:
            k_nat = n  # the rest fits (trailing spaces included)
        elif chars[e - 1] == " " and e > last_solid:
            k_nat = e  # break after the spaces
        if brk[k_nat]:
            end = k_nat
        else:
            end = 0
            # 2. squeeze: the next legal break, if compression makes it fit (先挤进)
            k = k_nat + 1
            while k <= n:
                if brk[k]:
                    if _width(it, s, k)[1] <= measure + EPS:
                        end = k
                    break
                k += 1
            # 3. push out: the nearest legal break before (后推出)
            if not end:
                k = k_nat - 1
                while k > s and not brk[k]:
                    k -= 1
                if k > s and any(c != " " for c in chars[s:k]):
                    end = k
            # 4. a unit longer than the line: break it by force, at a sensible point
            if not end:
                end = _force_break(chars, s, max(k_nat, s + 1))
                unit_end = end
                while unit_end < n and not brk[unit_end]:
                    unit_end += 1
                long_units.append(chars[s:unit_end])
        lines.append((s, end))
        s = end
        while s < n and chars[s] == " ":
            s += 1
    return lines


def _force_break(chars: str, s: int, limit: int) -> int:
    """Break an over-long unit (a URL, a long number) after / . - _ ? & = if one is in the
    last two thirds of the line, else at the line's end."""
    for k in range(limit - 1, s + (limit - s) // 3, -1):
        if chars[k - 1] in "/.-_?&=#":
            return k
    return limit


def _fix_orphan(it: _Items, brk: list[bool], lines: list[tuple[int, int]], measures: list[float]) -> bool:
    """clreq: a last line holding a single hanzi (with its punctuation) takes one
    more character from the line before, which is then spread evenly."""
    if len(lines) < 2:
        return False
    s, e = lines[-1]
    body = [c for c in it.chars[s:e] if c != " " and not (c in CLOSING or c in OPENING)]
    if len(body) != 1 or not is_ideograph(body[0]):
        return False
    ps, pe = lines[-2]
    k = pe - 1
    while k > ps and not brk[k]:
        k -= 1
    if k <= ps + 1:
        return False
    measure_last = measures[min(len(lines) - 1, len(measures) - 1)]
    if _width(it, k, e)[0] > measure_last + EPS:
        return False
    # do not open the previous line wider than ¼ em per gap
    measure_prev = measures[min(len(lines) - 2, len(measures) - 1)]
    slack = measure_prev - _width(it, ps, k)[0]
    gaps = sum(1 for j in range(ps, k - 1) if it.stretch[j])
    if gaps == 0 or slack / gaps > 0.25 * it.sizes[k - 1]:
        return False
    lines[-2] = (ps, k)
    lines[-1] = (k, e)
    return True


def _justify(it: _Items, s: int, e: int, measure: float, last: bool, justify: bool) -> list[float]:
    """Final gaps after each item of the line (the last one unused)."""
    s, e = _trim_edges(it.chars, s, e)
    gaps = [it.gap[k] for k in range(s, e)]
    if s >= e:
        return gaps
    natural = _width(it, s, e)[0]
    slack = measure - natural
    if slack < -EPS:
        # squeeze in clreq's reduction order: pairs to 1 em, then CJK–Latin space to ⅛ em
        need = -slack
        pair_room = [(k, it.sq[k]) for k in range(s + 1, e) if it.sq[k] > 0]
        total = sum(r for _, r in pair_room)
        if total > 0:
            take = min(need, total)
            for k, r in pair_room:
                gaps[k - 1 - s] -= take * r / total
            need -= take
        if need > EPS:
            room = [(k, it.gap[k] - it.gapmin[k]) for k in range(s, e - 1) if it.gap[k] > it.gapmin[k]]
            total = sum(r for _, r in room)
            if total > 0:
                take = min(need, total)
                for k, r in room:
                    gaps[k - s] -= take * r / total
        return gaps
    if last or not justify or slack <= EPS:
        return gaps
    # expand in clreq's order: word spaces to ½ em, CJK–Latin space to ⅓ em, then every gap equally
    for kind in ("space", "cjk-latin"):
        room = []
        for k in range(s, e - 1):
            if kind == "space" and it.chars[k] == " ":
                room.append((k, max(0.0, 0.5 * it.sizes[k] - it.adv[k])))
            elif kind == "cjk-latin" and it.gapmax[k] > it.gap[k]:
                room.append((k, it.gapmax[k] - it.gap[k]))
        total = sum(r for _, r in room)
        if total > EPS:
            take = min(slack, total)
            for k, r in room:
                gaps[k - s] += take * r / total
            slack -= take
        if slack <= EPS:
            return gaps
    eligible = [k for k in range(s, e - 1) if it.stretch[k]]
    if eligible:
        each = slack / len(eligible)
        for k in eligible:
            gaps[k - s] += each
    return gaps


def _runs(it: _Items, s: int, e: int, gaps: list[float], x0: float, last_trim: bool) -> tuple[tuple[Run, ...], float]:
    s2, e2 = _trim_edges(it.chars, s, e)
    runs: list[Run] = []
    x = x0
    cur_font = None
    cur_size = 0.0
    cur_x = 0.0
    cur_text: list[str] = []
    cur_track: float | None = None
    prev_end = 0.0   # where the previous glyph's advance ends, for the tracking test

    def flush():
        if cur_text:
            runs.append(Run(cur_font, cur_size, cur_x, "".join(cur_text), cur_track or 0.0))

    for k in range(s2, e2):
        face = it.faces[k]
        font = face.psname if face is not None else ""
        gx = x - it.tl[k]
        if cur_text and font == cur_font and it.sizes[k] == cur_size:
            track = gx - prev_end
            if cur_track is None and len(cur_text) == 1:
                cur_track = track
            if cur_track is not None and abs(track - cur_track) < 1e-4:
                cur_text.append(it.chars[k])
                prev_end = gx + it.adv[k]
                x += it.adv[k] - it.tl[k] - it.tr[k] + (gaps[k - s2] if k < e2 - 1 else 0.0)
                continue
        flush()
        cur_font, cur_size, cur_x, cur_text, cur_track = font, it.sizes[k], gx, [it.chars[k]], None
        prev_end = gx + it.adv[k]
        x += it.adv[k] - it.tl[k] - it.tr[k] + (gaps[k - s2] if k < e2 - 1 else 0.0)
    flush()
    width = x - x0 - (it.endtrim[e2 - 1] if e2 > s2 and last_trim else 0.0)
    return tuple(runs), width


def typeset_paragraph(segments: list[Segment], measure: float, settings: Settings, measure_fn,
                      first_indent: float = 0.0) -> ParagraphResult:
    """Break and justify a paragraph into lines of `measure` pt (the first line
    `first_indent` pt narrower and shifted right)."""
    if measure <= 0 or any(measure < 2 * seg.size - EPS for seg in segments if seg.text):
        raise ColumnTooNarrow(f"a column of {measure:.2f} pt is narrower than two characters")
    missing: list[str] = []
    it = _items(segments, measure_fn, settings, missing)
    brk = settings.rules.opportunities(it.chars)
    measures = [measure - first_indent, measure]
    long_units: list[str] = []
    ranges = _break_lines(it, brk, measures, long_units)
    fixes = 0
    if settings.orphans and _fix_orphan(it, brk, ranges, measures):
        fixes = 1
    lines: list[TypesetLine] = []
    for i, (s, e) in enumerate(ranges):
        last = i == len(ranges) - 1
        m = measures[min(i, 1)]
        x0 = first_indent if i == 0 else 0.0
        gaps = _justify(it, s, e, m, last, settings.justify)
        runs, width = _runs(it, s, e, gaps, x0, True)
        s2, e2 = _trim_edges(it.chars, s, e)
        lines.append(TypesetLine(it.chars[s2:e2], runs, width, m, last, x0))
    return ParagraphResult(lines, missing, long_units, fixes)


def break_text(text: str, width_em: float, settings: Settings | None = None) -> list[str]:
    """Lines of `text` at `width_em` under the test model (cjk-typesetting.md §0)."""
    settings = settings or Settings.model()
    result = typeset_paragraph([Segment(text, "body", 1.0)], float(width_em), settings, ModelMeasure())
    return [line.text for line in result.lines]
