"""Page templates and text styles.

PageTemplate   trim, margins, columns, gutter, body size and line pitch from
               layout/templates/<name>.yaml, overridable per edition; it yields
               the page grid (whole characters per column, whole lines per page)
HEADLINE_SIZES headline deck sizes by article rank (号 sizes, clreq table)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from .units import mm

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# field -> accepted type(s) for edition overrides
TEMPLATE_FIELDS: dict[str, type | tuple] = {
    "trim_width_mm": (int, float), "trim_height_mm": (int, float),
    "margin_top_mm": (int, float), "margin_bottom_mm": (int, float), "margin_side_mm": (int, float),
    "columns": int, "gutter_chars": (int, float), "body_size": (int, float),
    "line_pitch": (int, float), "masthead_lines": int, "folio_lines": int,
    "bleed_mm": (int, float), "crop_marks": bool, "page_label_prefix": str, "ink_limit": (int, float),
    "icc_profile": str,
}


def template_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in TEMPLATES_DIR.glob("*.yaml")))


@dataclass(frozen=True)
class PageTemplate:
    name: str
    trim_width_mm: float
    trim_height_mm: float
    margin_top_mm: float
    margin_bottom_mm: float
    margin_side_mm: float
    columns: int
    gutter_chars: float
    body_size: float
    line_pitch: float
    masthead_lines: int
    folio_lines: int
    bleed_mm: float = 0.0
    crop_marks: bool = False
    page_label_prefix: str = ""
    ink_limit: float = 240.0
    icc_profile: str = ""     # a CMYK output profile (path in the edition folder): print pages become PDF/X-4

    @property
    def width(self) -> float:
        return mm(self.trim_width_mm)

    @property
    def height(self) -> float:
        return mm(self.trim_height_mm)

    @property
    def gutter(self) -> float:
        return self.gutter_chars * self.body_size

    @property
    def column_chars(self) -> int:
        """Whole characters per column line (clreq: line length = n × body size)."""
        avail = self.width - 2 * mm(self.margin_side_mm) - (self.columns - 1) * self.gutter
        return int(math.floor(avail / self.columns / self.body_size + 1e-9))

    @property
    def column_width(self) -> float:
        return self.column_chars * self.body_size

    @property
    def type_width(self) -> float:
        return self.columns * self.column_width + (self.columns - 1) * self.gutter

    @property
    def left(self) -> float:
        """Left edge of the type area: the grid is centred between the side margins."""
        return (self.width - self.type_width) / 2

    @property
    def lines(self) -> int:
        """Body lines per column: the page's rows."""
        avail = self.height - mm(self.margin_top_mm) - mm(self.margin_bottom_mm)
        return int(math.floor(avail / self.line_pitch + 1e-9))

    @property
    def top(self) -> float:
        """y (from the top of the trim) of the top of the first grid line."""
        return mm(self.margin_top_mm)

    def column_x(self, column: int) -> float:
        """x of the left edge of 1-based grid column `column`."""
        return self.left + (column - 1) * (self.column_width + self.gutter)

    def span_width(self, span: int) -> float:
        return span * self.column_width + (span - 1) * self.gutter

    def row_top(self, row: int) -> float:
        """Distance from the top of the trim to the top of 1-based grid row `row`."""
        return self.top + (row - 1) * self.line_pitch

    def baseline(self, row: int) -> float:
        """Distance from the top of the trim to the baseline of grid row `row`.
        The body face sits with its em box centred in the line pitch; the
        baseline is 0.88 em below the em box top (CJK ideographic em box:
        ascent 0.88, descent 0.12 of the Noto/Source Han design)."""
        return self.row_top(row) + (self.line_pitch - self.body_size) / 2 + 0.88 * self.body_size


def load_template(name: str, overrides: dict | None = None) -> PageTemplate:
    data = yaml.safe_load((TEMPLATES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    data.update(overrides or {})
    return PageTemplate(name=name, **data)


# 号 → pt (clreq): 初号 42, 一号 27.5, 小一 24, 二号 22, 小二 18, 三号 16, 四号 14, 小四 12, 五号 10.5
@dataclass(frozen=True)
class DeckSizes:
    headline: float
    kicker: float          # 引题 and 副题: two steps below the 主题 (newspaper.md)
    headline_role: str = "hei"


HEADLINE_SIZES = {
    "lead": DeckSizes(42.0, 18.0, "song-bold"),
    "major": DeckSizes(27.5, 14.0, "hei"),
    "normal": DeckSizes(22.0, 12.0, "hei"),
    "brief": DeckSizes(16.0, 10.5, "hei"),
}
