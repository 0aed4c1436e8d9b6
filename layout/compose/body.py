"""An article's body as a flow of grid lines, and its flow through column frames.

`body_flow` sets every paragraph at the column measure (2 em first-line
indent, dateline run in at the start of the first paragraph in 黑体) and
returns one `FlowLine` per grid line: text lines, block section subheads
(小标题, 黑体, centred, a blank grid line above) and blanks.

`flow_into(frames, lines)` pours the flow down a chain of column frames (the
rinohtype idea: a chain of rectangles): a blank line at the top of a column
is dropped, and a subhead never stays alone at the foot of a column.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..edition.model import Article, Paragraph, Subhead
from ..text.paragraph import FontMeasure, Segment, Settings, TypesetLine, typeset_paragraph
from .display import SetLine, Setter


@dataclass(frozen=True)
class FlowLine:
    kind: str                       # "text" | "subhead" | "blank"
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


@dataclass(frozen=True)
class Frame:
    """One column of an article block: grid column, first grid row, rows."""
    column: int
    row: int
    rows: int


def body_flow(article: Article, measure: float, body_size: float, registry, setter: Setter) -> BodyFlow:
    settings = Settings(punctuation=article.punctuation)
    fm = FontMeasure(registry)
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
        if not isinstance(block, Paragraph):
            continue
        segments = []
        if first and article.dateline:
            # run-in dateline (本报北京11月28日电) in 黑体, the text following at once
            segments.append(Segment(article.dateline, "hei", body_size))
        first = False
        for span in block.spans:
            segments.append(Segment(span.text, "bold" if span.bold else "body", body_size))
        result = typeset_paragraph(segments, measure, settings, fm, first_indent=2 * body_size)
        out.lines.extend(FlowLine("text", ln) for ln in result.lines)
        out.missing.extend(c for c in result.missing if c not in out.missing)
        out.long_units.extend(result.long_units)
        out.orphan_fixes += result.orphan_fixes
    return out


def specials(lines: list[FlowLine]) -> list[int]:
    """Indices of the lines that are not plain text (blanks, subheads): the only places
    where pouring a flow has a rule to apply."""
    return [i for i, ln in enumerate(lines) if ln.kind != "text"]


def flow_into(frames: list[Frame], lines: list[FlowLine], limit: int = 0,
              marks: list[int] | None = None) -> tuple[list[list[FlowLine]], int]:
    """Fill frames in order, each at most `limit` rows when limit > 0.
    Returns (lines per frame, index of the first line that did not fit).
    `marks` are `specials(lines)` when the caller pours the same lines often: runs of
    text lines between them are taken whole."""
    if marks is None:
        marks = specials(lines)
    out: list[list[FlowLine]] = []
    i, n = 0, len(lines)
    m = 0                                   # index into marks: the next mark at or after i
    for frame in frames:
        cap = min(frame.rows, limit) if limit > 0 else frame.rows
        col: list[FlowLine] = []
        while i < n and lines[i].kind == "blank":
            i += 1  # no blank line at a column's top
        while i < n and len(col) < cap:
            while m < len(marks) and marks[m] < i:
                m += 1
            nxt = marks[m] if m < len(marks) else n
            if nxt > i:                     # plain text up to the next mark: as much as fits
                k = min(cap - len(col), nxt - i)
                col.extend(lines[i:i + k])
                i += k
                continue
            ln = lines[i]
            if ln.kind == "subhead" and len(col) == cap - 1 and col:
                break   # a subhead never ends a column
            if ln.kind == "blank" and len(col) >= cap - 2 and col:
                i += 1
                break   # a blank before a subhead at the foot: start the next column
            col.append(ln)
            i += 1
        while col and col[-1].kind == "blank":
            col.pop()
        out.append(col)
    while i < n and lines[i].kind == "blank":
        i += 1
    return out, i


def balanced(frames: list[Frame], lines: list[FlowLine]) -> tuple[list[list[FlowLine]], int, int]:
    """Flow with the columns balanced: the smallest per-column limit at which
    everything fits (clreq: equalise lines per column, the last may be short).
    Returns (lines per frame, first line that did not fit, limit used)."""
    marks = specials(lines)
    full, rest = flow_into(frames, lines, 0, marks)
    if rest < len(lines) or not frames:
        return full, rest, max((f.rows for f in frames), default=0)
    lo, hi = 1, max(f.rows for f in frames)
    while lo < hi:
        mid = (lo + hi) // 2
        if flow_into(frames, lines, mid, marks)[1] >= len(lines):
            hi = mid
        else:
            lo = mid + 1
    cols, rest = flow_into(frames, lines, lo, marks)
    return cols, rest, lo
