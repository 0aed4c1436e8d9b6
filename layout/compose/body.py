"""An article's body as a flow of grid lines, and its flow through column frames.

`body_flow` sets every paragraph at the column measure (2 em first-line
indent, dateline run in at the start of the first paragraph in 黑体) and
returns one `FlowLine` per grid line: text lines, block section subheads
(小标题, 黑体, centred, a blank grid line above) and blanks.

`flow_into(frames, lines)` pours the flow down a chain of column frames (the
rinohtype idea: a chain of rectangles): a blank line at the top of a column
is dropped, a subhead never stays alone at the foot of a column, and a table
that fits in a column is not broken: one that does not fit under a column's text
floats to the next column's head, the text after it filling the column.

Tables (Markdown pipe tables) are set one grid line per row (`table_lines`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..edition.model import Article, Paragraph, Subhead, Table
from ..text.paragraph import Run, Segment, Settings, TypesetLine, typeset_paragraph
from .display import SetLine, Setter

TABLE_SIZE = 0.9        # table text against the body size: data tables set a size smaller
MIN_TABLE_SIZE = 6.5    # and no smaller than this to fit (print minimum is 6 pt)
CELL_GAP = 0.6          # em between columns, at the least
TABLE_KINDS = ("tablehead", "tablerow")


class FlowLine(NamedTuple):
    """One line of a body's flow. (A NamedTuple: one is made for every line of an edition.)"""
    kind: str                       # "text" | "subhead" | "blank" | "tablehead" | "tablerow"
    line: TypesetLine | SetLine | None = None

    @property
    def text(self) -> str:
        return self.line.text if self.line is not None else ""


@dataclass
class BodyFlow:
    lines: list[FlowLine]
    missing: list[str] = field(default_factory=list)
    long_units: list[str] = field(default_factory=list)
    orphan_fixes: int = 0
    too_wide: list[str] = field(default_factory=list)   # tables that do not fit the column


class Frame(NamedTuple):
    """One column of an article block, or the part of one above or below an inset (绕排):
    grid column, first grid row, rows, and `skip`, the rows of its column above it
    (earlier frames and the inset), against which a balancing limit is counted. (A
    NamedTuple: every pour that automatic placement tries makes its frames.)"""
    column: int
    row: int
    rows: int
    skip: int = 0


def body_flow(article: Article, measure: float, body_size: float, registry, setter: Setter) -> BodyFlow:
    settings = Settings(punctuation=article.punctuation)
    out = BodyFlow([])
    first = True
    for block in article.body:
        if isinstance(block, Subhead):
            lines = setter.wrapped(block.text, "hei", body_size, measure)
            out.lines.append(FlowLine("blank"))
            out.lines.extend(FlowLine("subhead", ln) for ln in lines)
            for ln in lines:
                out.missing.extend(c for c in ln.missing if c not in out.missing)
            continue
        if isinstance(block, Table):
            lines, problem = table_lines(block, measure, body_size, setter)
            if problem:
                out.too_wide.append(problem)
            out.lines.append(FlowLine("blank"))
            out.lines.extend(FlowLine(kind, ln) for kind, ln in lines)
            out.lines.append(FlowLine("blank"))
            for _, ln in lines:
                out.missing.extend(c for c in ln.missing if c not in out.missing)
            continue
        if not isinstance(block, Paragraph):
            continue
        segments = []
        if first and article.dateline:
            # run-in dateline (本报北京11月28日电) in 黑体, the text following at once
            segments.append(Segment(article.dateline, "hei", body_size))
        first = False
        for span in block.spans:
            segments.append(Segment(span.text, "bold" if span.bold else "body", body_size))
        # the setter's measure: each character is looked up in the font chains once per
        # process, not once per article (~70,000 lookups for 64 pages)
        result = typeset_paragraph(segments, measure, settings, setter.measure, first_indent=2 * body_size)
        out.lines.extend(FlowLine("text", ln) for ln in result.lines)
        out.missing.extend(c for c in result.missing if c not in out.missing)
        out.long_units.extend(result.long_units)
        out.orphan_fixes += result.orphan_fixes
    return out


def table_lines(table: Table, measure: float, body_size: float,
                setter: Setter) -> tuple[list[tuple[str, SetLine]], str]:
    """The table as one grid line per row, cells at their columns: the head in 黑体, the
    rows in 书宋, at 0.9 of the body size — smaller, down to MIN_TABLE_SIZE, when the
    columns' widest cells and the gaps between them need more than the measure. Slack
    is shared among the gaps. Returns the lines and, when even the smallest size is too
    wide, what to say (the lines are then set at that size and run over)."""
    size = round(body_size * TABLE_SIZE, 2)
    while True:
        head = [setter.line(c, "hei", size) for c in table.head]
        rows = [[setter.line(c, "body", size) for c in row] for row in table.rows]
        widths = [max(ln.width for ln in column) for column in zip(head, *rows)]
        gaps = len(widths) - 1
        need = sum(widths) + gaps * CELL_GAP * size
        if need <= measure + 0.01 or size <= MIN_TABLE_SIZE:
            break
        size = max(MIN_TABLE_SIZE, int(size * measure / need * 10) / 10)
    problem = ""
    if need > measure + 0.01:
        problem = (f"a table of {len(widths)} columns needs {need / body_size:.1f} em at {size:g} pt; the column "
                   f"is {measure / body_size:.1f} em: shorten its cells or give the article a wider block")
    gap = CELL_GAP * size + (max(0.0, measure - need) / gaps if gaps else 0.0)
    starts = []
    x = 0.0
    for w in widths:
        starts.append(x)
        x += w + gap
    out = []
    for kind, cells in [("tablehead", head)] + [("tablerow", r) for r in rows]:
        runs, texts, missing, counts = [], [], [], []
        for ln, x0, w, align in zip(cells, starts, widths, table.align):
            shift = x0 + (w - ln.width if align == "right" else (w - ln.width) / 2 if align == "center" else 0.0)
            runs.extend(Run(r.font, r.size, r.x + shift, r.text, r.tracking) for r in ln.runs)
            texts.append(ln.text)
            missing.extend(ln.missing)
            counts.append(len(ln.runs))
        out.append((kind, SetLine(" ".join(texts), tuple(runs), measure, size, tuple(missing), tuple(counts))))
    return out, problem


def specials(lines: list[FlowLine]) -> list[int]:
    """Indices of the lines that are not plain text (blanks, subheads): the only places
    where pouring a flow has a rule to apply."""
    return [i for i, ln in enumerate(lines) if ln.kind != "text"]


def flow_into(frames: list[Frame], lines: list[FlowLine], limit: int = 0,
              marks: list[int] | None = None) -> tuple[list[list[FlowLine]], int]:
    """Fill frames in order, each column at most `limit` rows deep when limit > 0.
    Returns (lines per frame, index of the first line that did not fit: `lines[i:]` is
    what is left, never a line already placed).
    `marks` are `specials(lines)` when the caller pours the same lines often: runs of
    text lines between them are taken whole.

    A table that does not fit under the text of a column starts the next one, and the
    text that follows it fills the column first: the table floats to the next column's
    head, as a figure does, rather than leaving a hole the depth of the table above it.
    Not when a subhead introduces the table (the text after it belongs to that section),
    nor when the next column cannot hold the whole table — which it then heads, so the
    text taken from after it is never left over too."""
    if marks is None:
        marks = specials(lines)
    out: list[list[FlowLine]] = []
    i, n = 0, len(lines)
    m = 0                                   # index into marks: the next mark at or after i
    pulled: dict[int, int] = {}             # text lines placed above the table they follow: start -> end
    for f, frame in enumerate(frames):
        cap = _cap(frame, limit)
        col: list[FlowLine] = []
        i = pulled.get(i, i)
        while i < n and lines[i].kind == "blank":
            i = pulled.get(i + 1, i + 1)  # no blank line at a column's top
        while i < n and len(col) < cap:
            while m < len(marks) and marks[m] < i:
                m += 1
            nxt = marks[m] if m < len(marks) else n
            if nxt > i:                     # plain text up to the next mark: as much as fits
                k = min(cap - len(col), nxt - i)
                col.extend(lines[i:i + k])
                i = pulled.get(i + k, i + k)
                continue
            ln = lines[i]
            if ln.kind == "subhead" and len(col) == cap - 1 and col:
                break   # a subhead never ends a column
            if ln.kind == "tablehead":
                rows = _table_rows(lines, i)
                if len(col) + rows > cap and (rows <= frame.rows or (col and len(col) >= cap - 1)):
                    # a table that fits a column is never broken (at this column limit it starts
                    # the next column, or does not fit); a longer one breaks, but its head never
                    # ends a column. The subhead that introduces it goes with it.
                    introduced = _introduction(col)
                    i -= introduced
                    if not introduced and f + 1 < len(frames):
                        _float_table(lines, i, rows, col, cap, _cap(frames[f + 1], limit), pulled)
                    break
            if ln.kind == "blank" and len(col) >= cap - 2 and col:
                # a blank before a subhead at the foot: start the next column; a blank after
                # one (before its table): the subhead starts the next column too
                taken = _introduction(col)
                i = i - taken if taken else pulled.get(i + 1, i + 1)
                if not taken and i < n and lines[i].kind == "tablehead" and f + 1 < len(frames):
                    # a blank before a table at the foot: the table starts the next column
                    _float_table(lines, i, _table_rows(lines, i), col, cap, _cap(frames[f + 1], limit), pulled)
                break
            col.append(ln)
            i = pulled.get(i + 1, i + 1)
        while col and col[-1].kind == "blank":
            col.pop()
        out.append(col)
    i = pulled.get(i, i)
    while i < n and lines[i].kind == "blank":
        i = pulled.get(i + 1, i + 1)
    return out, i


def _table_rows(lines: list[FlowLine], head: int) -> int:
    """The lines of the table whose head is at `head`: the head and its rows."""
    end = head + 1
    while end < len(lines) and lines[end].kind == "tablerow":
        end += 1
    return end - head


def _float_table(lines: list[FlowLine], at: int, rows: int, col: list[FlowLine], cap: int, next_cap: int,
                 pulled: dict[int, int]) -> None:
    """The table of `rows` lines at `at` goes to the head of the next column (which holds
    `next_cap` lines): the text lines after it fill `col` up to `cap`, and are recorded in
    `pulled` (their start -> their end) to be passed over when the flow reaches them."""
    if rows > next_cap:
        return
    while col and col[-1].kind == "blank":
        col.pop()
    if not col:
        return
    start = at + rows
    if start < len(lines) and lines[start].kind == "blank":
        start += 1
    end = start
    while end < len(lines) and lines[end].kind == "text" and len(col) + end - start < cap:
        end += 1
    if end > start:
        col.extend(lines[start:end])
        pulled[start] = end


def _cap(frame: Frame, limit: int) -> int:
    """The rows of `frame` that text may take under a balancing limit (0: no limit)."""
    return max(0, min(frame.rows, limit - frame.skip)) if limit > 0 else frame.rows


def _introduction(col: list[FlowLine]) -> int:
    """Take a subhead (and the blank after it) off the foot of `col` when something stays
    above it; returns how many lines were taken."""
    k = 0
    while k < len(col) and col[-1 - k].kind == "blank":
        k += 1
    if k == len(col) or col[-1 - k].kind != "subhead":
        return 0
    while k < len(col) and col[-1 - k].kind == "subhead":
        k += 1
    if k == len(col):
        return 0      # the column is only the subhead: moving it would leave nothing
    del col[len(col) - k:]
    return k


def balanced(frames: list[Frame], lines: list[FlowLine]) -> tuple[list[list[FlowLine]], int, int]:
    """Flow with the columns balanced: the smallest per-column limit at which
    everything fits (clreq: equalise lines per column, the last may be short).
    Returns (lines per frame, first line that did not fit, limit used)."""
    marks = specials(lines)
    full, rest = flow_into(frames, lines, 0, marks)
    if rest < len(lines) or not frames:
        return full, rest, max((f.skip + f.rows for f in frames), default=0)
    lo, hi = 1, max(f.skip + f.rows for f in frames)
    while lo < hi:
        mid = (lo + hi) // 2
        if flow_into(frames, lines, mid, marks)[1] >= len(lines):
            hi = mid
        else:
            lo = mid + 1
    cols, rest = flow_into(frames, lines, lo, marks)
    return cols, rest, lo
