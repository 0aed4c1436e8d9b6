"""Text wrap (绕排) on the grid: a picture marked `wrap=` or a pull quote (`> `) is set
inside the body, whole columns wide; the columns it covers are cut into a frame above it
and one below, the text keeping its measure and its order."""
from __future__ import annotations

import json

import pikepdf
import pytest

from layout.build import build_edition
from layout.render.pdf import page_ops

from .pdftags import elements
from .test_pictures import _picture

PARAGRAPH = "滨河公园的初雪来得比往年早了十天，清晨六点，园林工人已经在主路上撒下防滑砂。" * 4
QUOTE = "“雪天路滑，我们每两小时巡一遍。”"


def _edition(edition_copy, middle: str, accent: bool = False, paragraphs: int = 10):
    """The mini edition, its page 2 one long story with `middle` after its third paragraph."""
    folder = edition_copy("mini")
    (folder / "images").mkdir(exist_ok=True)
    _picture(folder / "images" / "snow.png", (1200, 1000))
    body = "\n\n".join([PARAGRAPH] * 3 + [middle] + [PARAGRAPH] * (paragraphs - 3))
    (folder / "articles" / "c.md").write_text(f"---\nheadline: 初雪中的滨河公园\n---\n{body}\n", encoding="utf-8")
    if accent:
        ed = folder / "edition.yaml"
        ed.write_text(ed.read_text(encoding="utf-8").replace(
            "issue: 101", "issue: 101\naccent: {cmyk: [0, 95, 100, 0]}"), encoding="utf-8")
    return folder


def _story(result) -> list[dict]:
    layout = json.loads((result.out_dir / "layout.json").read_text(encoding="utf-8"))
    return [b for p in layout["pages"] for b in p["blocks"] if b.get("article") == "c"]


def _body_lines(blocks):
    return [(b, ln) for b in blocks if b["kind"] == "body" for ln in b["lines"]]


def _inside(x, y, box) -> bool:
    bx, by, bw, bh = box
    return bx - 0.01 <= x <= bx + bw + 0.01 and by - 0.01 <= y <= by + bh + 0.01


def _covered(blocks, kinds) -> tuple[float, float, float, float]:
    """The rectangle (x0, y0, x1, y1) the blocks of `kinds` cover together."""
    boxes = [b["box"] for b in blocks if b["kind"] in kinds]
    return (min(x for x, _, _, _ in boxes), min(y for _, y, _, _ in boxes),
            max(x + w for x, _, w, _ in boxes), max(y + h for _, y, _, h in boxes))


def test_a_wrapped_picture_sits_inside_the_body_with_text_above_and_below_it(edition_copy, tmp_path):
    folder = _edition(edition_copy, '![公园里的雪人](images/snow.png "本报记者 孟川 摄"){wrap=center columns=2}')
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    blocks = _story(result)
    x0, y0, x1, y1 = _covered(blocks, ("image", "caption", "credit"))
    (image,) = [b for b in blocks if b["kind"] == "image"]
    headline = next(b for b in blocks if b["kind"] == "headline")
    assert image["box"][1] > headline["box"][1] + headline["box"][3] + 20, "in the body, not on top of it"
    body = [b for b in blocks if b["kind"] == "body"]
    beside = [b for b in body if x0 - 0.01 <= b["box"][0] < x1 - 1]
    assert len(beside) == 4, "the two columns it covers are each cut in two frames"
    assert all(b["box"][1] + b["box"][3] <= y0 + 0.01 or b["box"][1] >= y1 - 0.01 for b in beside)
    for _, line in _body_lines(blocks):
        assert not (x0 - 0.01 <= line["x"] < x1 - 1 and y0 < line["baseline"] < y1 + 1), line["text"]
    assert len([b for b in body if b["box"][0] < x0 - 1 or b["box"][0] >= x1 - 1]) >= 1, "text beside it too"
    # the text reads on in order: above the picture, then below it, then the next column
    text = "".join(ln["text"] for _, ln in _body_lines(blocks))
    assert text == PARAGRAPH * 10


def test_a_pull_quote_is_set_large_between_accent_rules_and_the_text_wraps_round_it(edition_copy, tmp_path):
    folder = _edition(edition_copy, f"> {QUOTE} {{wrap=right}}", accent=True)
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    blocks = _story(result)
    (quote,) = [b for b in blocks if b["kind"] == "quote"]
    assert "".join(ln["text"] for ln in quote["lines"]) == QUOTE
    body_size = _body_lines(blocks)[0][1]["runs"][0]["size"]
    assert quote["lines"][0]["runs"][0]["size"] >= 1.4 * body_size
    (rules,) = [b for b in blocks if b["kind"] == "rule"]
    assert rules["colour"] == "accent" and len(rules["rules"]) == 2
    (top, _, _, _, _), (bottom, _, _, _, _) = [(r[1], r[0], r[2], r[3], r[4]) for r in rules["rules"]]
    assert all(top < ln["baseline"] < bottom for ln in quote["lines"]), "the quote between its rules"
    x0, y0, x1, y1 = _covered(blocks, ("quote", "rule"))
    assert x1 == pytest.approx(max(b["box"][0] + b["box"][2] for b in blocks if b["kind"] == "body"), abs=0.5), \
        "wrap=right: in the block's last columns"
    for _, line in _body_lines(blocks):
        assert not (x0 - 0.01 <= line["x"] < x1 - 1 and y0 - 1 < line["baseline"] < y1 + 1), line["text"]
    assert "".join(ln["text"] for _, ln in _body_lines(blocks)) == PARAGRAPH * 10, "the quote is not body text"


def test_a_pull_quote_is_black_on_a_black_only_page_and_an_artifact_for_readers(edition_copy, tmp_path):
    folder = _edition(edition_copy, f"> {QUOTE}")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    (rules,) = [b for b in _story(result) if b["kind"] == "rule"]
    assert "colour" not in rules, "K"
    # what the reader edition tags: the quote's sequence is an artifact (it repeats the copy:
    # a screen reader reads it once, in the text), the story's paragraphs are P
    page = next(p for p in result.tree.pages if any(b.kind == "quote" for b in p.blocks))
    marks = page_ops(page, result.registry).marks
    assert [m.role for m in marks if m.text == QUOTE] == ["Artifact"]
    with pikepdf.open(result.out_dir / f"{result.edition.slug}.pdf") as pdf:
        assert len(elements(pdf, "P")) >= 10


def test_a_pull_quote_with_a_wrong_attribute_is_an_error_naming_file_line_and_field(edition_copy, tmp_path):
    folder = _edition(edition_copy, f"> {QUOTE} {{wrap=middle}}")
    result = build_edition(folder, tmp_path / "out")
    (err,) = result.problems.errors
    assert err.kind == "quote" and err.field == "quote.wrap" and err.file.endswith("c.md") and err.line == 10
    assert "left, center, right" in err.message


def test_an_inset_deeper_than_its_block_is_an_error_not_a_silent_drop(edition_copy, tmp_path):
    folder = _edition(edition_copy, "![公园里的雪人](images/snow.png){wrap=left rows=40}", paragraphs=4)
    ed = folder / "edition.yaml"
    slot = "      - source: articles/c.md"
    ed.write_text(ed.read_text(encoding="utf-8").replace(
        slot, slot + "\n        place: {column: 1, span: 4, row: 4, rows: 30}"), encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    errors = [p for p in result.problems.errors if p.kind == "inset-too-big"]
    assert errors and errors[0].article == "c" and "give the article more rows" in errors[0].message


def test_a_pull_quote_in_a_one_column_block_is_left_out_with_a_warning(edition_copy, tmp_path):
    folder = _edition(edition_copy, f"> {QUOTE}", paragraphs=4)
    ed = folder / "edition.yaml"
    slot = "      - source: articles/c.md"
    ed.write_text(ed.read_text(encoding="utf-8").replace(
        slot, slot + "\n        place: {column: 1, span: 1, row: 4, rows: 60}"), encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    assert not [b for b in _story(result) if b["kind"] == "quote"]
    (warning,) = [p for p in result.problems.warnings if p.kind == "pull-quote"]
    assert warning.article == "c" and "one-column" in warning.message
