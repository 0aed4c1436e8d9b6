#!/usr/bin/env python3
"""Line composition speed: 500,000 characters of synthetic news copy set into
11- and 17-em columns with the shipped fonts (compression, justification and
orphan control on). Prints characters per second, median of 5 after a warm-up.

    python bench/typeset.py [CHARS]
"""
from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.newscopy import news_copy  # noqa: E402
from layout.fonts import FontRegistry  # noqa: E402
from layout.text.paragraph import FontMeasure, Segment, Settings, typeset_paragraph  # noqa: E402

SIZE = 9.0


def run(paras: list[str], ems: int, fm: FontMeasure) -> tuple[float, int]:
    settings = Settings()
    gc.disable()   # as `build_edition` runs (see layout/build.py)
    t0 = time.perf_counter()
    lines = 0
    for p in paras:
        lines += len(typeset_paragraph([Segment(p, "body", SIZE)], ems * SIZE, settings, fm,
                                       first_indent=2 * SIZE).lines)
    elapsed = time.perf_counter() - t0
    gc.enable()
    return elapsed, lines


def main() -> None:
    chars = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    paras = news_copy(chars)
    n = sum(len(p) for p in paras)
    fm = FontMeasure(FontRegistry())
    for ems in (11, 17):
        run(paras[:200], ems, fm)  # warm-up: caches, imports
        times = []
        lines = 0
        for _ in range(5):
            dt, lines = run(paras, ems, fm)
            times.append(dt)
        med = statistics.median(times)
        print(f"{ems}-em column: {n:,} chars, {lines:,} lines, median {med:.3f} s "
              f"→ {n / med:,.0f} chars/s (target ≥ 400,000)")


if __name__ == "__main__":
    main()
