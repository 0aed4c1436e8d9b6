"""Automatic placement of a page's articles as a modular layout.

The algorithm, deterministic and exhaustive over a small space:

1. Every article knows how many grid rows it needs at each span (its deck at
   that width, its image, its body balanced over `span` columns).
2. A layout is either *strips* — the page's columns cut into vertical strips
   (each at least two columns wide), articles assigned to them in order, the
   lead first, stacked top to bottom inside a strip — or a *lead band*: the
   lead across the full width at the top, the rest in strips below it.
3. Inside a strip every article gets the rows it needs; rows the strip has
   left over are shared out evenly, so the strip is filled to the page foot
   and rectangles tile the page with no gap wider than a gutter.
4. A layout where a strip needs more rows than the page has is rejected (no
   overset). Of the rest, the one with the least white is chosen: the cost is
   the sum over articles of (extra rows)², plus penalties for what a page
   editor would not do: a lead narrower than half the page or smaller than
   another block, a brief larger than a major story, a non-lead article
   running across the whole page. Ties keep the first layout in enumeration
   order, so the result is stable.
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from .article import Rect

RANK_ORDER = {"lead": 0, "major": 1, "normal": 2, "brief": 3}


@dataclass(frozen=True)
class Item:
    key: int          # index in the page's article list
    rank: str


@functools.cache
def compositions(total: int, parts: int, minimum: int = 2) -> tuple[tuple[int, ...], ...]:
    """Ordered ways to cut `total` columns into `parts` strips of at least `minimum`."""
    if parts == 1:
        return ((total,),) if total >= minimum else ()
    out = []
    for first in range(minimum, total - minimum * (parts - 1) + 1):
        out.extend((first,) + rest for rest in compositions(total - first, parts - 1, minimum))
    return tuple(out)


@functools.cache
def _groupings(n: int, k: int) -> tuple[tuple[int, ...], ...]:
    """Ways to cut n items (in order) into k non-empty consecutive groups: group sizes."""
    out = []
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0,) + cuts + (n,)
        out.append(tuple(bounds[i + 1] - bounds[i] for i in range(k)))
    return tuple(out)


# rows each article of a group needs in a strip of a width, and their sum, by (group's
# item keys, width): a group recurs in many layouts of a page
_Needs = dict[tuple[tuple[int, ...], int], tuple[list[int], int]]


def _strips(items: list[Item], columns: int, first_column: int, row: int, rows: int,
            need: Callable[[int, int], int], memo: _Needs | None = None) -> list[tuple[float, dict[int, Rect]]]:
    results = []
    n = len(items)
    if n == 0:
        return [(0.0, {})]
    keys = tuple(it.key for it in items)
    memo = {} if memo is None else memo
    for k in range(1, min(n, columns // 2) + 1):
        for widths in compositions(columns, k):
            for sizes in _groupings(n, k):
                plan = []
                idx = 0
                for width, size in zip(widths, sizes):
                    members = keys[idx: idx + size]
                    group = memo.get((members, width))
                    if group is None:
                        needs = [need(key, width) for key in members]
                        group = memo[(members, width)] = (needs, sum(needs))
                    if group[1] > rows:
                        break
                    plan.append(group)
                    idx += size
                else:
                    rects: dict[int, Rect] = {}
                    cost = 0.0
                    col = first_column
                    idx = 0
                    for width, size, (needs, total) in zip(widths, sizes, plan):
                        spare = rows - total
                        r = row
                        for j, nd in enumerate(needs):
                            ex = spare // size + (1 if j < spare % size else 0)
                            rects[keys[idx + j]] = Rect(col, width, r, nd + ex)
                            r += nd + ex
                            cost += ex * ex
                        col += width
                        idx += size
                    results.append((cost, rects))
    return results


def _rank_penalty(items: list[Item], rects: dict[int, Rect], columns: int) -> float:
    """Newspaper taste: the lead is the largest block and at least half the page wide;
    a brief never outgrows a major story; only the lead runs across the whole page."""
    penalty = 0.0
    area = {k: r.span * r.rows for k, r in rects.items()}
    for it in items:
        span = rects[it.key].span
        if it.rank == "lead" and 2 * span < columns:
            penalty += 400.0
        if it.rank != "lead" and span == columns:
            penalty += 60.0
    for a in items:
        for b in items:
            if RANK_ORDER[a.rank] < RANK_ORDER[b.rank] and area[a.key] < area[b.key]:
                penalty += 50.0 + (area[b.key] - area[a.key]) / 10
    return penalty


def _lead_corner(items: list[Item], columns: int, row: int, rows: int,
                 need: Callable[[int, int], int], memo: _Needs) -> list[tuple[float, dict[int, Rect]]]:
    """The lead in the top-left corner, `span` columns wide; the next articles in strips
    to its right (as tall as the lead), the rest in strips below both."""
    lead, rest = items[0], items[1:]
    out = []
    for span in range((columns + 1) // 2, columns + 1):
        base = need(lead.key, span)
        right_cols = columns - span
        for extra in ((0,) if right_cols == 0 else (0, 4, 8, 12, 16, 24)):
            height = base + extra
            below = rows - height
            if below < 0:
                continue
            splits = [0] if right_cols < 2 else range(0, len(rest) + 1)
            for m in splits:
                right, under = rest[:m], rest[m:]
                if (under and below == 0) or (not under and below > 0):
                    continue
                lefts = _strips(right, right_cols, span + 1, row, height, need, memo) if right else [(0.0, {})]
                if right and not lefts:
                    continue
                unders = _strips(under, columns, 1, row + height, below, need, memo) if under else [(0.0, {})]
                if not right and right_cols:
                    continue  # the corner beside the lead would stay empty
                for c1, r1 in lefts:
                    for c2, r2 in unders:
                        rects = {lead.key: Rect(1, span, row, height), **r1, **r2}
                        # the lead's rows beyond its need are white like any article's (free,
                        # they had let leads stand 20 lines short beside taller stacks)
                        out.append((c1 + c2 + extra * extra, rects))
    return out


def auto_place(items: list[Item], columns: int, row: int, rows: int,
               need: Callable[[int, int], int]) -> dict[int, Rect] | None:
    """Rectangles for every item, or None when no layout holds them all.

    The articles are tried in the page's order first. A full page may have no
    layout in that order — strips stack articles in sequence — so before giving
    up the other articles (never the lead) are tried longest first, and then
    shortest first: an editor would rather reorder a page than overset it."""
    rest = items[1:]
    by_length = sorted(rest, key=lambda it: (-need(it.key, 2), it.key))
    orders = [items, items[:1] + by_length, items[:1] + by_length[::-1]]
    memo: _Needs = {}
    for order in orders:
        best = _best(order, columns, row, rows, need, memo)
        if best is not None:
            return best
    return None


def _best(items: list[Item], columns: int, row: int, rows: int,
          need: Callable[[int, int], int], memo: _Needs) -> dict[int, Rect] | None:
    candidates: list[tuple[float, dict[int, Rect]]] = []
    candidates.extend(_strips(items, columns, 1, row, rows, need, memo))
    if len(items) > 1:  # the page's first article is its top story, lead or not
        candidates.extend(_lead_corner(items, columns, row, rows, need, memo))
    best = None
    for cost, rects in candidates:
        total = cost + _rank_penalty(items, rects, columns)
        if best is None or total < best[0] - 1e-9:
            best = (total, rects)
    return best[1] if best else None
