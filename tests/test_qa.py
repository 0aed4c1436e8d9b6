"""QA: `banmian check`, `banmian proof` and `banmian diff`, as QA staff use them."""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from layout.build import build_edition, compose, layout_json, write_atomic
from layout.problems import Problems
from layout.qa.diff import DiffError, diff
from layout.qa.preflight import check_edition, check_layout
from layout.qa.proof import parse_pages, proof
from layout.render.edition import reader_pdf
from layout.render.pdf import RenderOptions
from layout.units import mm

from .conftest import FIXTURES, ROOT


def build_copy(tmp_path: Path, name: str, edit=None) -> Path:
    """Copy the mini edition to tmp/<name>/mini, apply `edit(folder)`, build; return OUT/mini."""
    folder = tmp_path / name / "src" / "mini"
    shutil.copytree(FIXTURES / "mini", folder)
    if edit:
        edit(folder)
    result = build_edition(folder, tmp_path / name / "out")
    assert result.ok, [str(p) for p in result.problems.errors]
    return result.out_dir


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return build_copy(tmp_path_factory.mktemp("qa"), "a")


# -- diff -------------------------------------------------------------------------

def test_identical_builds_diff_clean_without_rendering_a_page(base, tmp_path):
    again = build_copy(tmp_path, "b")
    result = diff(base, again)
    assert result.data["exit"] == 0 and result.data["changed_pages"] == 0
    assert result.rendered_pages == 0


def test_one_character_changed_names_that_article_and_page_only(base, tmp_path):
    b = build_copy(tmp_path, "b", lambda f: replace_in(f / "articles" / "c.md", "八个月", "九个月"))
    data = diff(base, b).data
    assert data["exit"] == 1
    assert data["changed"] == [2]
    assert list(data["articles"]) == ["c"]
    (edit,) = data["articles"]["c"]["edits"]
    assert (edit["a"], edit["b"]) == ("八", "九") and data["articles"]["c"]["pages"] == [2]
    (page,) = [p for p in data["pages"] if p["status"] == "changed"]
    assert {c["article"] for c in page["layout"]} == {"c"}
    assert page["regions"] and all(lbl.startswith("c:") for r in page["regions"] for lbl in r["blocks"])


def _moved_copy(base: Path, dest: Path, article: str, dy_pt: float) -> Path:
    """The base build with one article nudged down by dy_pt, re-rendered (a layout tool's nudge)."""
    folder = FIXTURES / "mini"
    tree = compose(folder).tree

    def shift_block(b):
        if b.article != article:
            return b
        box = dataclasses.replace(b.box, y=b.box.y + dy_pt)
        lines = tuple(ln._replace(baseline=ln.baseline + dy_pt) for ln in b.lines)
        rules = tuple(dataclasses.replace(r, y0=r.y0 + dy_pt, y1=r.y1 + dy_pt) for r in b.rules)
        return dataclasses.replace(b, box=box, lines=lines, rules=rules)

    pages = []
    for page in tree.pages:
        arts = tuple(dataclasses.replace(a, box=dataclasses.replace(a.box, y=a.box.y + dy_pt))
                     if a.id == article else a for a in page.articles)
        pages.append(dataclasses.replace(page, blocks=tuple(shift_block(b) for b in page.blocks), articles=arts))
    tree = dataclasses.replace(tree, pages=tuple(pages))
    out = dest / "mini"
    write_atomic(out / "layout.json", layout_json(tree))
    from layout.fonts import FontRegistry
    write_atomic(out / "mini.pdf", reader_pdf(tree, FontRegistry(), RenderOptions(edition_root=folder), "moved"))
    return out


def test_an_article_moved_2mm_reads_as_one_move_of_one_article(base, tmp_path):
    moved = _moved_copy(base, tmp_path, "b", mm(2))
    data = diff(base, moved).data
    assert data["exit"] == 1 and data["changed"] == [1]
    (page,) = [p for p in data["pages"] if p["status"] == "changed"]
    moves = [c for c in page["layout"] if c["change"] == "moved"]
    assert len(moves) == 1, page["layout"]
    assert moves[0]["article"] == "b" and moves[0]["kind"] == "article"
    assert abs(moves[0]["dy_mm"] - 2.0) < 0.05 and abs(moves[0]["dx_mm"]) < 0.05
    assert not [c for c in page["layout"] if c["change"] != "moved"]
    labels = {lbl.split(":")[0] for r in page["regions"] for lbl in r["blocks"]}
    assert labels <= {"b"}, "every changed area belongs to the moved article"


def test_a_restyled_headline_is_reported_as_restyled(base, tmp_path):
    b = build_copy(tmp_path, "b", lambda f: replace_in(f / "edition.yaml", "      - source: articles/b.md",
                                                          "      - source: articles/b.md\n        rank: major"))
    data = diff(base, b).data
    changes = [c for p in data["pages"] for c in p.get("layout", [])]
    restyled = [c for c in changes if c["change"] == "restyled" and c["article"] == "b" and c["kind"] == "headline"]
    assert restyled and restyled[0]["style_a"] != restyled[0]["style_b"]


def test_a_swapped_image_is_reported(tmp_path):
    from PIL import Image

    def with_image(colour):
        def edit(f):
            (f / "images").mkdir(exist_ok=True)
            Image.new("RGB", (1600, 1000), colour).save(f / "images" / "pic.png")
            replace_in(f / "articles" / "c.md", "经过八个月", "![图说](images/pic.png)\n\n经过八个月")
        return edit

    a = build_copy(tmp_path, "a", with_image((200, 40, 40)))
    b = build_copy(tmp_path, "b", with_image((40, 40, 200)))
    data = diff(a, b).data
    changes = [c for p in data["pages"] for c in p.get("layout", [])]
    assert [c["change"] for c in changes] == ["image"] and changes[0]["article"] == "c"


def test_a_page_added_is_reported(base, tmp_path):
    def add_page(f):
        (f / "articles" / "d.md").write_text("---\nheadline: 新增一版\n---\n第三版的正文。\n", encoding="utf-8")
        with (f / "edition.yaml").open("a", encoding="utf-8") as fh:
            fh.write("  - number: 3\n    section: 副刊\n    articles:\n      - source: articles/d.md\n")
    b = build_copy(tmp_path, "b", add_page)
    data = diff(base, b).data
    # page 1: 今日N版 on the masthead; page 2: the imprint moved on to the new last page
    assert [p["status"] for p in data["pages"]] == ["changed", "changed", "added"]
    assert data["exit"] == 1


def test_a_pdf_can_be_compared_with_a_build_folder(base, tmp_path):
    b = build_copy(tmp_path, "b", lambda f: replace_in(f / "articles" / "c.md", "八个月", "九个月"))
    same = diff(base / "mini.pdf", base)
    assert same.data["mode"] == "pdf" and same.data["exit"] == 0
    changed = diff(base / "mini.pdf", b).data
    assert changed["changed"] == [2] and changed["exit"] == 1 and changed["pages"][1]["regions"]


def test_allowed_articles_and_a_page_budget_let_ci_pass(base, tmp_path):
    b = build_copy(tmp_path, "b", lambda f: replace_in(f / "articles" / "c.md", "八个月", "九个月"))
    assert diff(base, b, allow=("c",)).data["exit"] == 0
    assert diff(base, b, allow=("a",)).data["exit"] == 1
    assert diff(base, b, max_changed_pages=1).data["exit"] == 0
    assert diff(base, b, max_changed_pages=0).data["exit"] == 1


def test_what_cannot_be_compared_is_an_error(base, tmp_path):
    with pytest.raises(DiffError, match="no layout.json"):
        diff(base, tmp_path)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\nnot a pdf at all")
    with pytest.raises(DiffError, match="corrupt"):
        diff(base / "mini.pdf", bad)
    other = tmp_path / "other" / "mini"
    shutil.copytree(base, other)
    manifest = json.loads((other / "layout.json").read_text(encoding="utf-8"))
    manifest["slug"] = "another-paper"
    (other / "layout.json").write_text(json.dumps(manifest), encoding="utf-8")
    (other / "mini.pdf").rename(other / "another-paper.pdf")
    with pytest.raises(DiffError, match="different editions"):
        diff(base, other)


def test_the_cli_writes_json_and_html_and_exits_by_the_result(base, tmp_path):
    b = build_copy(tmp_path, "b", lambda f: replace_in(f / "articles" / "c.md", "八个月", "九个月"))
    proc = subprocess.run([sys.executable, "-m", "layout", "diff", str(base), str(b), "-o", str(tmp_path / "d")],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    data = json.loads((tmp_path / "d" / "diff.json").read_text(encoding="utf-8"))
    html = (tmp_path / "d" / "report.html").read_text(encoding="utf-8")
    assert data["articles"]["c"]["pages"] == [2]
    assert "<del>八</del><ins>九</ins>" in html and "data:image/png;base64," in html
    proc = subprocess.run([sys.executable, "-m", "layout", "diff", str(base), str(tmp_path / "nothing")],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 2


# -- check ------------------------------------------------------------------------

def test_check_passes_a_clean_edition(tmp_path):
    problems, summary = check_edition(FIXTURES / "mini")
    assert not problems.has_errors(), [str(p) for p in problems.errors]
    assert summary["pages"] == 2


def test_check_fails_on_overset_naming_article_and_page(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", folder)
    replace_in(folder / "edition.yaml", "      - source: articles/c.md",
               "      - source: articles/c.md\n        place: {column: 1, span: 2, row: 4, rows: 6}")
    problems, _ = check_edition(folder)
    (err,) = [p for p in problems.errors if p.kind == "overset"]
    assert err.article == "c" and err.page == 2


def test_check_fails_on_a_character_no_font_has(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", folder)
    replace_in(folder / "articles" / "b.md", "延长开放时间后", "延长𪚥开放时间后")
    problems, _ = check_edition(folder)
    (err,) = [p for p in problems.errors if p.kind == "missing-glyph"]
    assert err.article == "b" and err.page == 1 and "U+2A6A5" in err.message


def test_check_fails_on_a_glyph_drawn_in_a_face_that_lacks_it():
    # the composer once let a fallback character ride in its neighbour's run: 堃, beyond
    # the 黑体 subset, drawn in 黑体 would print as a blank. The check reads the runs alone
    tree = compose(FIXTURES / "mini").tree
    problems = Problems()
    check_layout(tree, problems)
    assert not [p for p in problems if p.kind == "glyph-not-in-face"]
    page = tree.pages[0]
    i, block = next((i, b) for i, b in enumerate(page.blocks) if b.kind == "body")
    line = block.lines[0]
    run = line.runs[0]._replace(font="BanmianHei-Bold", text="电堃")
    lines = (line._replace(runs=(run, *line.runs[1:])), *block.lines[1:])
    blocks = list(page.blocks)
    blocks[i] = dataclasses.replace(block, lines=lines)
    pages = (dataclasses.replace(page, blocks=tuple(blocks)), *tree.pages[1:])
    check_layout(dataclasses.replace(tree, pages=pages), problems)
    (err,) = [p for p in problems.errors if p.kind == "glyph-not-in-face"]
    assert err.page == page.number and err.article == block.article
    assert "堃" in err.message and "电" not in err.message and "BanmianHei-Bold" in err.message


def test_the_check_cli_exits_1_and_writes_report_json(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", folder)
    replace_in(folder / "articles" / "b.md", "延长开放时间后", "延长𪚥开放时间后")
    proc = subprocess.run([sys.executable, "-m", "layout", "check", str(folder), "-o", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    report = json.loads((tmp_path / "out" / "mini" / "report.json").read_text(encoding="utf-8"))
    assert report["errors"] >= 1 and any(p["kind"] == "missing-glyph" for p in report["problems"])
    assert "missing-glyph" in proc.stdout


# -- proof ------------------------------------------------------------------------

def test_proofs_are_deterministic_pngs_per_page(base, tmp_path):
    first = proof(base / "mini.pdf", tmp_path / "p1", None, 40)
    second = proof(base / "mini.pdf", tmp_path / "p2", [2], 40)
    assert [p.name for p in first] == ["01.png", "02.png"] and [p.name for p in second] == ["02.png"]
    assert first[1].read_bytes() == second[0].read_bytes()
    assert parse_pages("1,3-4", 5) == [1, 3, 4]
    with pytest.raises(ValueError):
        parse_pages("9", 2)


def test_pages_of_different_sizes_are_labelled_not_pixel_compared(base, tmp_path):
    b = build_copy(tmp_path, "b", lambda f: replace_in(f / "edition.yaml", "template: tabloid",
                                                          "template: broadsheet"))
    data = diff(base, b).data
    assert data["exit"] == 1
    for page in data["pages"]:
        assert page["status"] == "changed" and page["size_changed"]["a"] != page["size_changed"]["b"]
        assert page["regions"] == []


def test_the_press_inspection_reads_every_text_operator_of_a_page(sample_build):
    """pdfinspect counts what it checks: the print page's text is all K and overprints,
    the reader page's is RGB — and neither count is zero because nothing was read."""
    from layout.qa.pdfinspect import inspect_pdf
    (press,) = inspect_pdf(sample_build.out_dir / "print" / "01.pdf")
    assert press.text_shows > 500
    assert press.text_not_k == 0 and press.text_not_overprint == 0 and press.rgb_operators == 0
    reader = inspect_pdf(sample_build.out_dir / "qinghe-ribao.pdf")[0]
    assert reader.text_shows == press.text_shows
    assert reader.text_not_k == reader.text_shows and reader.rgb_operators > 0
