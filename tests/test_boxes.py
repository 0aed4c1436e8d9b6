"""Boxes and tints: a framed story on a 底纹 background, K-only or CMYK, under its text."""
from __future__ import annotations

import pikepdf
import pytest

from layout.build import build_edition


def _front(folder, extra: str) -> None:
    article = folder / "articles" / "b.md"
    article.write_text(article.read_text(encoding="utf-8").replace("---\n", "---\n" + extra, 1), encoding="utf-8")


def _built(edition_copy, tmp_path, front: str):
    """The mini edition built with `front` added to story b's front matter; it must build."""
    folder = edition_copy("mini")
    _front(folder, front)
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    return result


def _ops(pdf_path, index: int = 0) -> list[str]:
    with pikepdf.open(pdf_path) as pdf:
        return [f"{' '.join(str(o) for o in operands)} {op}".strip()
                for operands, op in pikepdf.parse_content_stream(pdf.pages[index])]


def test_a_tinted_story_has_its_background_under_its_text_in_k_for_the_press(edition_copy, tmp_path):
    result = _built(edition_copy, tmp_path, "frame: true\ntint: 10\n")
    page = result.tree.pages[0]
    kinds = [b.kind for b in page.blocks if b.article == "b"]
    assert kinds[0] == "tint" and "frame" in kinds, "the background comes first, under the deck and body"
    (tint,) = [b for b in page.blocks if b.kind == "tint"]
    entry = next(a for a in page.articles if a.id == "b")
    # (a built page's blocks are read back from layout.json: to its 0.001 pt)
    assert tint.fill == (0, 0, 0, 0.1) and tint.box.y == pytest.approx(entry.box.y, abs=1e-3)
    assert tint.box.w > entry.box.w
    press = _ops(result.out_dir / "print" / "01.pdf")
    fill = press.index("0 0 0 0.1 k")
    assert press[fill + 1].endswith(" re") and press[fill + 2] == "f"
    first_text_of_b = next(i for i, op in enumerate(press) if op.endswith("Tj") and i > fill)
    assert first_text_of_b > fill
    screen = _ops(result.out_dir / "mini.pdf")
    assert any(op.startswith("0.9") and op.endswith(" rg") and len(set(op.split()[:3])) == 1 for op in screen), \
        "on screen the same grey as RGB"


def test_a_cmyk_tint_and_a_tint_too_dark_to_read_on(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _front(folder, "tint: [0, 0, 15, 0]\n")
    result = build_edition(folder, tmp_path / "out")
    assert "0 0 0.15 0 k" in _ops(result.out_dir / "print" / "01.pdf")
    article = folder / "articles" / "b.md"
    article.write_text(article.read_text(encoding="utf-8").replace("tint: [0, 0, 15, 0]", "tint: 60"), encoding="utf-8")
    (error,) = build_edition(folder, tmp_path / "out2").problems.errors
    assert error.field == "tint" and "0–30" in error.message and error.file.endswith("b.md")


def test_a_reversed_headline_is_white_on_a_solid_bar_and_knocks_out_on_the_press(edition_copy, tmp_path):
    from layout.qa.pdfinspect import inspect_pdf
    result = _built(edition_copy, tmp_path, "reverse: true\n")
    page = result.tree.pages[0]
    blocks = [b for b in page.blocks if b.article == "b"]
    kinds = [b.kind for b in blocks]
    bar, headline = blocks[kinds.index("bar")], blocks[kinds.index("headline")]
    assert kinds.index("bar") < kinds.index("headline"), "the bar is drawn first"
    entry = next(a for a in page.articles if a.id == "b")
    assert bar.fill == (0, 0, 0, 1) and abs(bar.box.w - entry.box.w) < 0.01
    assert bar.box.y < headline.box.y and bar.box.bottom > headline.box.bottom
    assert headline.colour == "white"
    (facts,) = inspect_pdf(result.out_dir / "print" / "01.pdf")
    assert facts.text_white_overprint == 0 and facts.text_not_overprint == 0, "white knocks out, black overprints"
    assert facts.text_not_k == 0
    press = _ops(result.out_dir / "print" / "01.pdf")
    white = press.index("0 0 0 0 k")
    assert press[white - 2].endswith(" gs") and press[white + 1] == "0 0 0 0 K"
    screen = _ops(result.out_dir / "mini.pdf")
    assert "1 1 1 rg" in screen


@pytest.mark.parametrize("style, widths", [("文武线", [1.5, 0.4]), ("double", [0.5, 0.5]), ("true", [0.5])])
def test_a_box_in_wenwu_or_double_rules_draws_them_inside_one_another(edition_copy, tmp_path, style, widths):
    result = _built(edition_copy, tmp_path, f"frame: {style}\n")
    (frame,) = [b for b in result.tree.pages[0].blocks if b.kind == "frame"]
    assert [r.width for r in frame.rules[::4]] == widths               # four sides per border, outside in
    tops = [r.y0 for r in frame.rules[::4]]
    assert tops == sorted(tops) and len(set(tops)) == len(tops), "each border inside the one before"


def test_an_unknown_frame_style_is_an_error_naming_the_field(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _front(folder, "frame: 花边\n")
    result = build_edition(folder, tmp_path / "out")
    (err,) = result.problems.errors
    assert err.field == "frame" and err.file.endswith("b.md") and err.line == 2 and "文武线" in err.message
