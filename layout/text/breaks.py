"""Break opportunities between two characters (clreq GB-style level).

A break between a and b is allowed if either is an ASCII space — unless the
spaces only separate a mark from its text: a line may not start with a
closing mark or end with an opening one however many spaces stand between
(`他说 ”`, `（ 注`), since the spaces at a break are dropped. Otherwise it
is forbidden when b may not start a line, a may not end a line, a and b are
the two halves of —— or ……, or both are non-space ASCII (a Latin word, a
number such as 1,234.5 / 12.5% / 10:30 / 2024-05-31, a URL: one unit);
everything else (hanzi÷hanzi, hanzi÷Latin, ”÷“, ——÷hanzi …) is allowed.
"""
from __future__ import annotations

import functools
import re

from .classes import ASCII_SPACE, MODEL_NO_END, MODEL_NO_START, NO_END, NO_START, UNSPLITTABLE_PAIRS


class BreakRules:
    """The prohibited sets in use: `BreakRules()` for production, `.model()` for the test model."""

    def __init__(self, no_start: frozenset[str] = NO_START, no_end: frozenset[str] = NO_END) -> None:
        self.no_start = no_start
        self.no_end = no_end
        self._pattern: re.Pattern[str] | None = None
        self._spaced_pattern: re.Pattern[str] | None = None
        self._sorted: tuple[str, str] | None = None

    def sorted_sets(self) -> tuple[str, str]:
        """(no_start, no_end) as strings of sorted characters, as the compiled core takes them."""
        if self._sorted is None:
            self._sorted = ("".join(sorted(self.no_start)), "".join(sorted(self.no_end)))
        return self._sorted

    @classmethod
    def model(cls) -> BreakRules:
        return cls(MODEL_NO_START, MODEL_NO_END)

    def allowed(self, a: str, b: str) -> bool:
        if a == ASCII_SPACE or b == ASCII_SPACE:
            return True
        if b in self.no_start or a in self.no_end:
            return False
        if a == b and a in UNSPLITTABLE_PAIRS:
            return False
        if a.isascii() and b.isascii():
            return False
        return True

    def opportunities(self, chars: str) -> list[bool]:
        """brk[i] is True when a line may break before chars[i]; brk[len] is True."""
        n = len(chars)
        out = [True] * (n + 1)
        out[0] = False
        for m in self._forbidden().finditer(chars):
            out[m.start()] = False
        if " " in chars:
            # spaces between a mark and its text: no break anywhere in or around them
            for m in self._spaced().finditer(chars):
                out[m.start():m.end() + 1] = [False] * (m.end() + 1 - m.start())
            out[0] = False
            out[n] = True
        return out

    def _spaced(self) -> re.Pattern[str]:
        if self._spaced_pattern is None:
            s = "".join(re.escape(c) for c in sorted(self.no_start))
            e = "".join(re.escape(c) for c in sorted(self.no_end))
            self._spaced_pattern = re.compile(f"(?<=[{e}]) +| +(?=[{s}])")
        return self._spaced_pattern

    def _forbidden(self) -> re.Pattern[str]:
        """One pattern whose (empty) matches are the positions where a break is forbidden."""
        if self._pattern is None:
            self._pattern = _forbidden_pattern(self.no_start, self.no_end)
        return self._pattern


@functools.lru_cache(maxsize=8)
def _forbidden_pattern(no_start: frozenset[str], no_end: frozenset[str]) -> re.Pattern[str]:
    s = "".join(re.escape(c) for c in sorted(no_start))
    e = "".join(re.escape(c) for c in sorted(no_end))
    pairs = "|".join(f"(?<={re.escape(c)})(?={re.escape(c)})" for c in sorted(UNSPLITTABLE_PAIRS))
    return re.compile(
        f"(?<=[^ ])(?=[{s}])"           # b may not start a line (and a is not a space)
        f"|(?<=[{e}])(?=[^ ])"          # a may not end a line (and b is not a space)
        f"|{pairs}"                     # the halves of —— and ……
        f"|(?<=[!-~])(?=[!-~])")        # inside a Latin word or number
