"""Display lines: headlines, kickers, subheads, bylines, folios — set solid.

`set_line` sets one line of text without justification (punctuation still
adjusted: adjacent pairs and the GB line-end half width); `fit_headline`
fits a headline to a width: one line, else two balanced lines broken at a
legal break (never inside a word or number), else a smaller size. A `|` in
the headline is a manual break and is honoured.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..text.breaks import BreakRules
from ..text.classes import CLOSING, OPENING
from ..text.paragraph import Run, Segment, Settings, font_measure, set_line, typeset_paragraph

_SOLID = Settings(justify=False, orphans=False)
_RULES = BreakRules()
MANUAL_BREAK = "|"


@dataclass(frozen=True)
class SetLine:
    text: str
    runs: tuple[Run, ...]
    width: float
    size: float
    missing: tuple[str, ...] = ()
    cells: tuple[int, ...] = ()    # a table row: runs per cell


class Setter:
    """Sets display lines with one font registry; remembers missing characters."""

    def __init__(self, registry):
        self.registry = registry
        self.measure = font_measure(registry)
        self._lines: dict[tuple, SetLine] = {}
        self._headlines: dict[tuple, list[SetLine]] = {}
        self._wrapped: dict[tuple, list[SetLine]] = {}

    def line(self, text: str, role: str, size: float) -> SetLine:
        key = (text, role, size)
        hit = self._lines.get(key)
        if hit is None:
            hit = self._lines[key] = self._line(text, role, size)
        return hit

    def _line(self, text: str, role: str, size: float) -> SetLine:
        if not text:
            return SetLine("", (), 0.0, size)
        ln, missing = set_line([Segment(text, role, size)], _SOLID, self.measure)
        return SetLine(ln.text, ln.runs, ln.width, size, tuple(missing))

    def wrapped(self, text: str, role: str, size: float, width: float) -> list[SetLine]:
        """Several solid lines no wider than `width` (kickers, subheads, bylines, captions).
        Remembered: automatic placement asks for every article's deck at every span."""
        key = (text, role, size, width)
        hit = self._wrapped.get(key)
        if hit is None:
            hit = self._wrapped[key] = self._wrap(text, role, size, width)
        return list(hit)

    def _wrap(self, text: str, role: str, size: float, width: float) -> list[SetLine]:
        result = typeset_paragraph([Segment(text, role, size)], width, Settings(justify=False, orphans=True),
                                   self.measure)
        return [SetLine(ln.text, ln.runs, ln.width, size, tuple(result.missing)) for ln in result.lines]

    def headline(self, text: str, role: str, size: float, width: float, floor: float = 9.0) -> list[SetLine]:
        """One line, or two balanced lines, at the largest size ≤ `size` that fits `width`;
        a headline never runs past its block (below `floor` pt it is set anyway)."""
        key = (text, role, size, width, floor)
        hit = self._headlines.get(key)
        if hit is None:
            hit = self._headlines[key] = self._headline(text, role, size, width, floor)
        return hit

    def _headline(self, text: str, role: str, size: float, width: float, floor: float) -> list[SetLine]:
        parts = [p.strip() for p in text.split(MANUAL_BREAK) if p.strip()] if MANUAL_BREAK in text else None
        s = size
        while True:
            if parts:
                lines = [self.line(p, role, s) for p in parts]
            else:
                lines = [self.line(text, role, s)]
                if lines[0].width > width:
                    lines = self._balanced(text, role, s) or lines
            if max(ln.width for ln in lines) <= width or s * 0.95 < floor:
                return lines
            s = round(s * 0.95, 2)

    def _balanced(self, text: str, role: str, size: float) -> list[SetLine] | None:
        """Two lines as equal as may be — but a break at a space, after a closing mark or
        before an opening one is worth 1.5 em of imbalance: it falls between phrases,
        where a plain hanzi break may cut a word in two (特|展)."""
        brk = _RULES.opportunities(text)
        best = None
        for k in range(1, len(text)):
            if not brk[k]:
                continue
            a, b = self.line(text[:k].rstrip(), role, size), self.line(text[k:].lstrip(), role, size)
            phrase = text[k - 1] == " " or text[k] == " " or text[k - 1] in CLOSING or text[k] in OPENING
            score = max(a.width, b.width) - (1.5 * size if phrase else 0.0)
            if best is None or score < best[0] - 1e-6:
                best = (score, [a, b])
        return best[1] if best else None
