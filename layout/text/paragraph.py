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

import contextlib
import os
import re
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate, compress, count, repeat
from operator import add, mul, ne, not_, sub
from types import ModuleType
from typing import Any, NamedTuple

from ..fonts import FontFace, FontRegistry
from .breaks import BreakRules
from .classes import CLOSING, OPENING, SENTENCE_END, is_ideograph

EPS = 1e-6


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


class Run(NamedTuple):
    """Glyphs drawn from x with `tracking` pt added after each glyph (PDF Tc).
    (A NamedTuple: immutable like a frozen dataclass, and cheap to make by the hundred thousand.)"""
    font: str        # PostScript name of the face
    size: float
    x: float         # from the line's start (the column's left edge)
    text: str
    tracking: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {"font": self.font, "size": self.size, "x": round(self.x, 4), "text": self.text,
                "tracking": round(self.tracking, 5)}


class TypesetLine(NamedTuple):
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


class _Faces(dict[str, "FontFace | None"]):
    """char -> face, looked up along the font chain the first time a character is asked
    for (`__missing__`, so that mapping a paragraph's characters stays one C-level pass),
    noting its advance in pt beside."""

    def __init__(self, resolve: Callable[[str], tuple[FontFace | None, float]], size: float,
                 advances: dict[str, float]) -> None:
        super().__init__()
        self._resolve, self._size, self._advances = resolve, size, advances

    def __missing__(self, ch: str) -> FontFace | None:
        face, em = self._resolve(ch)
        self[ch] = face
        self._advances[ch] = em * self._size
        return face


class _Tables:
    """Per (role, size): char -> face and char -> advance in pt, filled on first use."""

    def __init__(self, resolve: Callable[[str], tuple[FontFace | None, float]], size: float) -> None:
        self.advances: dict[str, float] = {}
        self.faces = _Faces(resolve, size, self.advances)
        self.size_of_em = size
        self._full_re: re.Pattern[str] | None = None
        self._by_code_point: object | None = None   # the compiled core's view (_core.CharTable)

    def fill(self, text: str) -> None:
        """Look up the characters of `text` not seen before."""
        for ch in text:
            self.faces[ch]

    def full_mark_re(self) -> re.Pattern[str]:
        """The full-width punctuation marks of this face and size (a Kai face's
        proportional quotes are not among them: they are not compressed)."""
        if self._full_re is None:
            marks = "".join(sorted(_MARKS))
            self.fill(marks)
            full = [re.escape(ch) for ch in marks if self._full_width(ch)]
            self._full_re = re.compile("[" + "".join(full) + "]" if full else "(?!)")
        return self._full_re

    def _full_width(self, mark: str) -> bool:
        return self.advances[mark] >= 0.9 * self.size_of_em

    def entry(self, ch: str) -> tuple[FontFace | None, float, bool]:
        """What the compiled core keeps of a character: face, advance, and whether it is a
        full-width mark (`full_mark_re`'s condition)."""
        face = self.faces[ch]
        return face, self.advances[ch], ch in _MARKS and self._full_width(ch)

    def by_code_point(self) -> Any:
        """These tables as the compiled core reads them (`_core.CharTable`), made once."""
        if self._by_code_point is None:
            assert _compiled is not None
            self._by_code_point = _compiled.CharTable(self.entry)
        return self._by_code_point


class _Measure:
    reports_missing = True

    def __init__(self) -> None:
        self._tables: dict[tuple[str, float], _Tables] = {}

    def _resolve(self, ch: str, role: str) -> tuple[FontFace | None, float]:
        raise NotImplementedError

    def tables(self, role: str, size: float) -> _Tables:
        key = (role, size)
        t = self._tables.get(key)
        if t is None:
            t = self._tables[key] = _Tables(lambda ch: self._resolve(ch, role), size)
        return t

    def face_and_advance(self, ch: str, role: str, size: float) -> tuple[FontFace | None, float]:
        t = self.tables(role, size)
        t.fill(ch)
        return t.faces[ch], t.advances[ch]


class ModelMeasure(_Measure):
    """cjk-typesetting.md §0: every ASCII char ½ em, every other char 1 em."""

    reports_missing = False

    def _resolve(self, ch: str, role: str) -> tuple[FontFace | None, float]:
        return None, (0.5 if " " <= ch <= "~" else 1.0)


class FontMeasure(_Measure):
    """Real advances along the role's fallback chain; missing characters measure 1 em."""

    def __init__(self, registry: FontRegistry) -> None:
        super().__init__()
        self.registry = registry

    def _resolve(self, ch: str, role: str) -> tuple[FontFace | None, float]:
        face = self.registry.resolve(ch, role)
        return (face, face.widths[ch]) if face is not None else (None, 1.0)


_FONT_MEASURES: weakref.WeakKeyDictionary[FontRegistry, FontMeasure] = weakref.WeakKeyDictionary()


def font_measure(registry: FontRegistry) -> FontMeasure:
    """The registry's measure: one per registry, shared by every display setter of it and by
    the workers forked after it, so that its tables — filled as characters are met, ~1 ms a
    (role, size) and body text's thousands of characters — are filled once, not once per run
    of pages a process composes, nor once per build of `watch`. (They are caches of what the
    registry's faces say: sharing them changes no result.)"""
    measure = _FONT_MEASURES.get(registry)
    if measure is None:
        measure = _FONT_MEASURES[registry] = FontMeasure(registry)
    return measure


class ColumnTooNarrow(ValueError):
    pass


# The compiled core (_core.c; setup.py builds it where there is a C compiler) sets a paragraph
# as the Python below does, to the last bit, several times as fast; BANMIAN_PURE=1 turns it off.
# The Python is the reference: the core follows it line by line, and tests set thousands of
# random paragraphs both ways.
_compiled: ModuleType | None = None
if os.environ.get("BANMIAN_PURE") != "1":
    with contextlib.suppress(ImportError):   # not built: no C compiler where it was installed
        from . import _core as _compiled
if _compiled is not None:
    _compiled.classes("".join(sorted(CLOSING)), "".join(sorted(OPENING)), "".join(sorted(SENTENCE_END)),
                      Run, TypesetLine)
_PUNCTUATION = {"quanjiao": 0, "kaiming": 1, "banjiao": 2}


@dataclass
class _Items:
    chars: str
    faces: list[FontFace | None]
    sizes: list[float]
    adv: list[float]       # advance, pt
    tl: list[float]        # natural trim of the blank left half, pt
    tr: list[float]        # natural trim of the blank right half, pt
    endtrim: list[float]   # extra trim when the item ends a line (GB 5.1.10), pt
    sq: list[float]        # further squeeze available on the item's left (pairs to 1 em), pt
    gap: list[float]       # natural gap after item i (CJK–Latin space), pt
    gapmin: list[float]
    gapmax: list[float]
    stretch: list[bool]    # may the gap after item i be stretched when justifying?
    # prefix sums, so a line's width is O(1): T[e] = Σ_{k<e} (advance − trims + gap)
    T: list[float] = field(default_factory=list)
    SQ: list[float] = field(default_factory=list)   # Σ sq
    GS: list[float] = field(default_factory=list)   # Σ (gap − gapmin)
    NS: list[int] = field(default_factory=list)     # Σ [gap k may not stretch]
    spaces: list[int] = field(default_factory=list)       # positions of ASCII spaces
    latin_gaps: list[int] = field(default_factory=list)   # positions k with a CJK–Latin gap after k
    w: list[float] = field(default_factory=list)    # advance − trims
    trl: list[float] = field(default_factory=list)  # tr[k] + tl[k+1]
    TL: list[float] = field(default_factory=list)   # Σ tl


_MARKS = CLOSING | OPENING
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_LATIN = "A-Za-z0-9%"
# gaps that never stretch: inside —— / …… / ⋯⋯, and inside a Latin word or number
_NOSTRETCH = re.compile(r"——+|……+|⋯⋯+|[!-~]{2,}")
# clreq: ¼ em between a hanzi and a Latin letter or European digit. A match is the character
# before the boundary (a zero-width pattern with look-behinds is tried at every position:
# 1.4× as slow over news copy)
_CJK_LATIN = re.compile(f"[{_HAN}](?=[{_LATIN}])|[{_LATIN}](?=[{_HAN}])")
_SPACE = re.compile(" ")
_MARK_CLASS = "[" + re.escape("".join(sorted(_MARKS))) + "]"
_MARK_PAIR_RE = re.compile(f"{_MARK_CLASS}(?={_MARK_CLASS})")   # the first mark of two adjacent ones


class _Looked(NamedTuple):
    """A paragraph's characters as looked up along the font chains."""
    chars: str
    faces: list[FontFace | None]
    sizes: list[float]
    adv: list[float]       # advance, pt
    full: set[int]         # positions of full-width punctuation marks (when compressing)


def _look_up(segments: list[Segment], measure_fn: _Measure, s: Settings, missing: list[str]) -> _Looked:
    chars = "".join(seg.text for seg in segments)
    faces: list[FontFace | None] = []
    sizes: list[float] = []
    adv: list[float] = []
    full: set[int] = set()
    offset = 0
    for seg in segments:
        t = measure_fn.tables(seg.role, seg.size)
        end = offset + len(seg.text)
        if _compiled is not None:
            # (the same lists, looked up by code point: no str made a character)
            none = t.by_code_point().look(seg.text, faces, adv, full if s.compress else None, offset)
        else:
            faces.extend(map(t.faces.__getitem__, seg.text))
            adv.extend(map(t.advances.__getitem__, seg.text))
            none = None in faces[offset:end]
            if s.compress:
                # proportional quotes (a Kai face's “ ”) are not compressed: only full-width marks
                full.update(offset + m.start() for m in t.full_mark_re().finditer(seg.text))
        # (a size given as an int — 9 from a template — is set as the float it is typed as:
        # what a compiled core does, so that both write 9.0 into layout.json)
        sizes.extend(repeat(float(seg.size), len(seg.text)))
        if measure_fn.reports_missing and none:
            for ch, f in zip(seg.text, faces[offset:end]):
                if f is None and ch not in missing:
                    missing.append(ch)
        offset = end
    return _Looked(chars, faces, sizes, adv, full)


def _items(looked: _Looked, s: Settings) -> _Items:
    chars, faces, sizes, adv, full = looked
    n = len(chars)
    zeros = [0.0] * n
    tl, tr, endtrim, sq = zeros[:], zeros[:], zeros[:], zeros[:]
    gap, gapmin, gapmax = zeros[:], zeros[:], zeros[:]
    stretch = [True] * n
    if n:
        stretch[n - 1] = False
    if s.compress:
        half_all = s.punctuation == "banjiao"
        half_kaiming = s.punctuation == "kaiming"
        for k in full:
            ch = chars[k]
            half = adv[k] / 2
            if ch in CLOSING:
                endtrim[k] = half
                if half_all or (half_kaiming and ch not in SENTENCE_END):
                    tr[k], endtrim[k] = half, 0.0
            elif half_all or half_kaiming:
                tl[k] = half
        # 全角式: two adjacent marks take 1.5 em, and may go to 1 em when
        # squeezing (clreq #h-adjustment_of_adjacent_punctuation_marks).
        for m in _MARK_PAIR_RE.finditer(chars):
            k = m.start()
            if k not in full or k + 1 not in full:
                continue
            a, b = chars[k], chars[k + 1]
            if a in CLOSING:
                if tr[k] == 0.0:
                    tr[k], endtrim[k] = adv[k] / 2, 0.0
                if b in OPENING and tl[k + 1] == 0.0:
                    sq[k + 1] = adv[k + 1] / 2
            elif b in OPENING and tl[k + 1] == 0.0:
                tl[k + 1] = adv[k + 1] / 2
    for m in _NOSTRETCH.finditer(chars):
        start, end = m.span()
        stretch[start:end - 1] = repeat(False, end - 1 - start)
    latin_gaps: list[int] = []
    if s.cjk_latin_space:
        for m in _CJK_LATIN.finditer(chars):
            k = m.start()
            em = max(sizes[k], sizes[k + 1])
            gap[k] = s.cjk_latin_space * em
            gapmin[k] = s.cjk_latin_min * em
            gapmax[k] = s.cjk_latin_max * em
            latin_gaps.append(k)
    # (the sums skip what is all zeros — no trims, no left halves, no pairs squeezed, no
    # CJK–Latin gaps are the common cases — adding 0.0 changes no float)
    w = list(map(sub, map(sub, adv, tl), tr)) if full else adv[:]
    left = any(tl)
    trl = list(map(add, tr, tl[1:])) if left else tr[:-1]   # blank halves trimmed between item k and k+1
    TL = list(accumulate(tl, initial=0.0)) if left else [0.0] * (n + 1)
    T = list(accumulate(map(add, w, gap) if latin_gaps else w, initial=0.0))
    SQ = list(accumulate(sq, initial=0.0)) if any(sq) else [0.0] * (n + 1)
    GS = list(accumulate(map(sub, gap, gapmin), initial=0.0)) if latin_gaps else [0.0] * (n + 1)
    NS = list(accumulate(map(not_, stretch), initial=0))
    spaces = [m.start() for m in _SPACE.finditer(chars)]
    return _Items(chars, faces, sizes, adv, tl, tr, endtrim, sq, gap, gapmin, gapmax, stretch,
                  T, SQ, GS, NS, spaces, latin_gaps, w, trl, TL)


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
    w = it.T[e] - it.T[s] - it.gap[e - 1] - it.endtrim[e - 1]
    squeeze = (it.GS[e - 1] - it.GS[s]) + (it.SQ[e] - it.SQ[s + 1])
    return w, w - squeeze


def _break_lines(it: _Items, brk: list[bool], measures: list[float], long_units: list[str]) -> list[tuple[int, int]]:
    """Greedy filling; returns (start, end) item ranges of the lines."""
    chars, n = it.chars, len(it.chars)
    gap, endtrim = it.gap, it.endtrim
    lines: list[tuple[int, int]] = []
    s = unit_end = 0
    while s < n and chars[s] == " ":
        s += 1
    while s < n:
        measure = measures[min(len(lines), len(measures) - 1)]
        # 1. longest prefix whose width (trailing spaces ignored) fits: a lower bound by
        #    bisection on the prefix sums, then forward while the exact width still fits
        T = it.T
        e = max(s + 1, bisect_right(T, T[s] + measure + EPS) - 1)
        while e < n and (chars[e] == " " or T[e + 1] - T[s] - gap[e] - endtrim[e] <= measure + EPS):
            e += 1
        k_nat = e
        if brk[k_nat]:
            end = k_nat
        else:
            end = 0
            # 2. squeeze: the next legal break, if compression makes it fit (先挤进)
            k = k_nat + 1
            while k <= n:
                narrowest = _width(it, s, k)[1]
                if brk[k]:
                    if narrowest <= measure + EPS:
                        end = k
                    break
                if narrowest > measure + EPS:
                    break   # wider still further on: no squeezing fits it (and a long unit is not scanned to its end)
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
                if s >= unit_end:
                    # a new over-long unit, reported once (its later lines are the same unit;
                    # scanning to its end once per line was quadratic in its length)
                    unit_end = end
                    while unit_end < n and not brk[unit_end]:
                        unit_end += 1
                    long_units.append(_clip(chars[s:unit_end]))
        lines.append((s, end))
        s = end
        while s < n and chars[s] == " ":
            s += 1
    return lines


def _clip(unit: str, most: int = 60) -> str:
    """An over-long unit as a message shows it: a 200,000-character run is not repeated whole."""
    return unit if len(unit) <= most else f"{unit[:most - 12]}…{unit[-8:]} ({len(unit):,} characters)"


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


def _space_room(it: _Items, k: int) -> float:
    return max(0.0, 0.5 * it.sizes[k] - it.adv[k])   # a word space may grow to ½ em


def _latin_room(it: _Items, k: int) -> float:
    return it.gapmax[k] - it.gap[k]                   # CJK–Latin space may grow to ⅓ em


def _justify(it: _Items, s: int, e: int, measure: float, last: bool, justify: bool) -> list[float]:
    """Final gaps after each item of the line s..e-1 (spaces at its edges already trimmed;
    the last gap unused)."""
    gaps = it.gap[s:e]
    if s >= e:
        return gaps
    natural = it.T[e] - it.T[s] - it.gap[e - 1] - it.endtrim[e - 1]
    slack = measure - natural
    if slack < -EPS:
        # squeeze in clreq's reduction order: pairs to 1 em, then CJK–Latin space to ⅛ em
        need = -slack
        total = it.SQ[e] - it.SQ[s + 1]
        if total > 0:
            take = min(need, total)
            for k in range(s + 1, e):
                if it.sq[k] > 0:
                    gaps[k - 1 - s] -= take * it.sq[k] / total
            need -= take
        total = it.GS[e - 1] - it.GS[s]
        if need > EPS and total > 0:
            take = min(need, total)
            for k in range(s, e - 1):
                room = it.gap[k] - it.gapmin[k]
                if room > 0:
                    gaps[k - s] -= take * room / total
        return gaps
    if last or not justify or slack <= EPS:
        return gaps
    # expand in clreq's order: word spaces to ½ em, CJK–Latin space to ⅓ em, then every gap equally
    for positions, room_of in ((it.spaces, _space_room), (it.latin_gaps, _latin_room)):
        if not positions:
            continue
        inside = positions[bisect_left(positions, s):bisect_left(positions, e - 1)]
        if not inside:
            continue
        rooms = [(k, room_of(it, k)) for k in inside]
        total = 0.0
        for _, r in rooms:   # left to right, as the compiled core adds (3.12's sum() compensates)
            total += r
        if total > EPS:
            take = min(slack, total)
            for k, r in rooms:
                gaps[k - s] += take * r / total
            slack -= take
        if slack <= EPS:
            return gaps
    eligible = (e - 1 - s) - (it.NS[e - 1] - it.NS[s])
    if eligible > 0:
        each = slack / eligible
        gaps = list(map(add, gaps, map(mul, it.stretch[s:e], repeat(each))))
    return gaps


def _runs(it: _Items, s: int, e: int, gaps: list[float], x0: float, last_trim: bool) -> tuple[tuple[Run, ...], float]:
    """Glyph positions of the line s..e-1 (edges trimmed), grouped into runs of one face
    and size with a constant step (PDF Tc) between their glyphs."""
    s2, e2 = s, e
    if s2 >= e2:
        return (), 0.0
    m = e2 - s2
    # box left edges, then glyph origins (a trimmed opening mark's glyph starts ½ em left of its box)
    w = it.w
    boxes = list(accumulate(map(add, w[s2:e2], gaps), initial=x0))   # boxes[m] includes an unused gap
    # glyph origins: a trimmed opening mark's glyph starts ½ em left of its box
    xs = boxes if it.TL[e2] == it.TL[s2] else list(map(sub, boxes[:m], it.tl[s2:e2]))
    width = boxes[m - 1] + w[e2 - 1] - x0 - (it.endtrim[e2 - 1] if last_trim else 0.0)
    # the step between glyph i and i+1 (PDF Tc): the gap, less the blank halves trimmed
    steps = list(map(sub, gaps[:m - 1], it.trl[s2:e2 - 1]))
    faces, sizes = it.faces[s2:e2], it.sizes[s2:e2]
    # a run ends where the step changes: at glyph c when steps[c] != steps[c-1] (a change
    # just before a run's first glyph lies between runs). Steps come straight from the gaps
    # (not from differences of positions), so equal steps are equal floats
    cuts = list(compress(count(1), map(ne, steps[1:], steps[:-1])))
    # ... and always before a glyph of another face or size, be the run one glyph long
    changes: list[int] = []
    if faces.count(faces[0]) != m or sizes.count(sizes[0]) != m:
        changes = [i for i in range(1, m) if faces[i] is not faces[i - 1] or sizes[i] != sizes[i - 1]]
    chars = it.chars
    runs: list[Run] = []
    a, ci, nc, fi, nf = 0, 0, len(cuts), 0, len(changes)
    while a < m:
        while ci < nc and cuts[ci] <= a:
            ci += 1
        b = cuts[ci] if ci < nc else m - 1   # the run is glyphs a..b
        while fi < nf and changes[fi] <= a:
            fi += 1
        if fi < nf and changes[fi] - 1 < b:
            b = changes[fi] - 1
        face = faces[a]
        runs.append(Run(face.psname if face is not None else "", sizes[a], xs[a], chars[s2 + a:s2 + b + 1],
                        steps[a] if b > a else 0.0))
        a = b + 1
    return tuple(runs), width


def typeset_paragraph(segments: list[Segment], measure: float, settings: Settings, measure_fn: _Measure,
                      first_indent: float = 0.0) -> ParagraphResult:
    """Break and justify a paragraph into lines of `measure` pt (the first line
    `first_indent` pt narrower and shifted right)."""
    if measure <= 0 or any(measure < 2 * seg.size - EPS for seg in segments if seg.text):
        raise ColumnTooNarrow(f"a column of {measure:.2f} pt is narrower than two characters")
    measure, first_indent = float(measure), float(first_indent)   # typed floats, as for `sizes` in _items
    missing: list[str] = []
    looked = _look_up(segments, measure_fn, settings, missing)
    if _compiled is not None:
        brk = _compiled.opportunities(looked.chars, *settings.rules.sorted_sets())
        set_lines, units, orphan_fixes = _compiled.set_paragraph(
            *looked, brk, measure, first_indent, settings.compress, _PUNCTUATION.get(settings.punctuation, 0),
            settings.cjk_latin_space, settings.cjk_latin_min, settings.cjk_latin_max, settings.orphans,
            settings.justify)
        return ParagraphResult(set_lines, missing, [_clip(looked.chars[s:e]) for s, e in units], orphan_fixes)
    brk = settings.rules.opportunities(looked.chars)
    it = _items(looked, settings)
    measures = [measure - first_indent, measure]
    long_units: list[str] = []
    ranges = _break_lines(it, brk, measures, long_units)
    fixes = 0
    if settings.orphans and _fix_orphan(it, brk, ranges, measures):
        fixes = 1
    lines: list[TypesetLine] = []
    chars = it.chars
    for i, (s, e) in enumerate(ranges):
        last = i == len(ranges) - 1
        m = measures[min(i, 1)]
        x0 = first_indent if i == 0 else 0.0
        s, e = _trim_edges(chars, s, e)
        gaps = _justify(it, s, e, m, last, settings.justify)
        runs, width = _runs(it, s, e, gaps, x0, True)
        lines.append(TypesetLine(chars[s:e], runs, width, m, last, x0))
    return ParagraphResult(lines, missing, long_units, fixes)


def set_line(segments: list[Segment], settings: Settings, measure_fn: _Measure) -> tuple[TypesetLine, list[str]]:
    """One line set solid at its natural width, never broken: a headline's, a kicker's,
    a folio's. (Punctuation is still adjusted: pairs, and the line-end half width.)"""
    missing: list[str] = []
    it = _items(_look_up(segments, measure_fn, settings, missing), settings)
    s, e = _trim_edges(it.chars, 0, len(it.chars))
    runs, width = _runs(it, s, e, it.gap[s:e], 0.0, True)
    return TypesetLine(it.chars[s:e], runs, width, width, True, 0.0), missing


def break_text(text: str, width_em: float, settings: Settings | None = None) -> list[str]:
    """Lines of `text` at `width_em` under the test model (cjk-typesetting.md §0)."""
    settings = settings or Settings.model()
    result = typeset_paragraph([Segment(text, "body", 1.0)], float(width_em), settings, ModelMeasure())
    return [line.text for line in result.lines]
