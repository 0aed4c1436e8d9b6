"""Page composition and the layout manifest, as production staff rely on them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from layout.build import build_edition, compose
from layout.compose.display import Setter

from .conftest import ROOT, SAMPLE

CONTENT_KINDS = {"masthead", "folio", "kicker", "headline", "subhead", "byline", "body", "image", "caption", "jump"}


@pytest.fixture(scope="module")
def manifest(sample_build):
    return json.loads((sample_build.out_dir / "layout.json").read_text(encoding="utf-8"))


def test_layout_json_validates_against_the_documented_schema(manifest):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "layout.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(manifest, schema)


def test_a_page_line_is_exactly_the_json_of_the_page(sample_build):
    """layout.json's lines are written directly, not through dicts: they must stay the
    text json.dumps makes of `to_json()` — for every kind of line the sample has
    (vertical, rotated, table rows, subheads) and for strings and numbers at the edges."""
    from layout.text.paragraph import Run
    from layout.tree import Block, Box, TextLine, page_line

    def dumped(value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    pages = compose(SAMPLE).tree.pages
    assert all(page_line(p) == dumped(p.to_json()) for p in pages)
    kinds = {k for p in pages for b in p.blocks for ln in b.lines for k in ("vertical", "rotated", "table", "heading")
             if getattr(ln, k)}
    assert kinds == {"vertical", "rotated", "table", "heading"}
    runs = (Run("F", 9, -0.0, '"', -1e-9), Run("G", 9.5, 1e20, "", 0.1))
    odd = TextLine('引"号\\与\n控制\x01符\u2028', -0.0, 1e-7, runs, 3.14159, False, table="row", cells=(1, 1))
    block = Block("body", Box(0.1, 2, 3, 4), "a-\"1", (odd,), rules=(), image="x.jpg", image_sha256="00",
                  colour="red", link=3, column=2, crop=(0.1, 0, 1, 1), label="广告", fill=(0, 0.5, 0, 1))
    assert block.json_text() == dumped(block.to_json())
    assert Block("rule", Box(0, 0, 1, 1)).json_text() == dumped(Block("rule", Box(0, 0, 1, 1)).to_json())
    plain = odd._replace(table="", cells=(), vertical=True, heading=True)
    assert Block("body", Box(0, 0, 1, 1), lines=(plain, odd)).json_text() == dumped(
        Block("body", Box(0, 0, 1, 1), lines=(plain, odd)).to_json())


def test_the_compiled_line_writer_writes_what_the_python_writes():
    """_treejson.c against tree.py's reference: floats at rounding ties and at the edges of
    repr (exponents, -0.0, ints), every escaped character, astral hanzi."""
    import random

    from layout import tree
    from layout.text.paragraph import Run
    from layout.tree import TextLine
    if tree._lines_json is tree._lines_json_py:
        pytest.skip("the compiled line writer was not built (no C compiler)")
    rng = random.Random(11)
    floats = [0.0, -0.0, 1.0, 2.675, 0.0005, 0.00015, -0.00049, 1e16, 1.5e-7, 123456.78949, 1e22, -3.0, 9, 0,
              10.5, 9.0]

    def number():
        return rng.choice(floats) if rng.random() < 0.3 else rng.uniform(-1e3, 1e3) * rng.choice((1, 1e-4, 1e-6))

    def text():
        return "".join(rng.choice('中文。“”\\"\n\t\x00\x1f\x7f\u2028é𠀀 a') for _ in range(rng.randint(0, 12)))
    lines = []
    for _ in range(3000):
        runs = tuple(Run(rng.choice(("BanmianSong-Regular", "F\"")), number(), number(), text(), number())
                     for _ in range(rng.randint(0, 3)))
        lines.append(TextLine(text(), number(), number(), runs, number(), rng.random() < 0.5,
                              rng.random() < 0.1, rng.random() < 0.1, rng.random() < 0.1))
    for i in range(0, len(lines), 7):
        assert tree._lines_json(lines[i:i + 7], tree._json_text) == tree._lines_json_py(lines[i:i + 7])


def test_every_body_baseline_sits_on_the_page_grid(manifest):
    checked = 0
    for page in manifest["pages"]:
        grid = page["grid"]
        for block in page["blocks"]:
            if block["kind"] != "body":
                continue
            for line in block["lines"]:
                steps = (line["baseline"] - grid["first_baseline"]) / grid["line_pitch"]
                assert abs(steps - round(steps)) < 1e-3, (page["number"], line["text"])
                checked += 1
    assert checked > 1000


def _overlap(a, b, tol=0.01):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw - tol and bx < ax + aw - tol and ay < by + bh - tol and by < ay + ah - tol


def test_no_two_blocks_overlap(manifest):
    for page in manifest["pages"]:
        blocks = [b for b in page["blocks"] if b["kind"] in CONTENT_KINDS]
        for i, a in enumerate(blocks):
            for b in blocks[i + 1:]:
                assert not _overlap(a["box"], b["box"]), (page["number"], a["kind"], a.get("article"),
                                                          b["kind"], b.get("article"))
        arts = page["articles"]
        for i, a in enumerate(arts):
            for b in arts[i + 1:]:
                assert not _overlap(a["box"], b["box"]), (page["number"], a["id"], b["id"])


def test_the_front_page_has_a_masthead_and_the_others_a_folio(manifest):
    kinds = [{b["kind"] for b in p["blocks"]} for p in manifest["pages"]]
    assert "masthead" in kinds[0] and "folio" not in kinds[0]
    assert all("folio" in k and "masthead" not in k for k in kinds[1:])
    head = [b for b in manifest["pages"][0]["blocks"] if b["kind"] in ("nameplate", "masthead")]
    assert [b["kind"] for b in head] == ["nameplate", "masthead"]
    assert head[0]["lines"][0]["text"] == "清河日报"
    text = " ".join(line["text"] for b in head for line in b["lines"])
    for part in ("清河日报", "2026年11月28日 星期六", "农历丙午年十月二十", "第12345期", "今日6版", "CN 00-0000"):
        assert part in text
    head = [b for b in manifest["pages"][1]["blocks"] if b["kind"] in ("folio", "section")]
    text = " ".join(line["text"] for b in head for line in b["lines"])
    assert "第02版" in text and "要闻" in text and "责任编辑：李文博" in text   # 版名 on its section bar


def test_the_lead_jumps_with_both_jump_lines_recorded(manifest):
    p1, p2 = manifest["pages"][0], manifest["pages"][1]
    down = [b for b in p1["blocks"] if b["kind"] == "jump" and b["article"] == "railway"]
    up = [b for b in p2["blocks"] if b["kind"] == "jump" and b["article"] == "railway"]
    assert [b["lines"][0]["text"] for b in down] == ["（下转第2版）"] and down[0]["link"] == 2
    assert [b["lines"][0]["text"] for b in up] == ["（上接第1版）"] and up[0]["link"] == 1
    part2 = next(a for a in p2["articles"] if a["id"] == "railway")
    assert part2["part"] == 2 and part2["continued_from"] == 1
    assert next(a for a in p1["articles"] if a["id"] == "railway")["continued_on"] == 2


def test_automatic_pages_tile_the_content_area(manifest):
    auto = [p for p in manifest["pages"] if p["auto_placed"]]
    assert auto, "the sample has automatically placed pages"
    for page in auto:
        grid = page["grid"]
        area = sum(a["box"][2] * a["box"][3] for a in page["articles"])
        width = grid["columns"] * grid["column_width"] + (grid["columns"] - 1) * grid["gutter"]
        top = min(a["box"][1] for a in page["articles"])
        # down to the ads at the foot (and the grid line above them), else the imprint, else the type area
        ads = [b["box"][1] - grid["line_pitch"] for b in page["blocks"] if b["kind"] == "ad"]
        imprint = [b["box"][1] for b in page["blocks"] if b["kind"] == "imprint"]
        foot = (ads or imprint or [grid["top"] + grid["lines"] * grid["line_pitch"]])[0]
        height = min(foot, *ads) - top if ads else foot - top
        # rectangles plus the gutters between them cover the type area
        gutters = sum(grid["gutter"] * a["box"][3] for a in page["articles"] if a["box"][0] > grid["left"] + 1)
        assert abs(area + gutters - width * height) < 1.0, page["number"]


def test_the_sample_has_no_overset_and_no_line_break_violation(manifest):
    from layout.text.classes import NO_END, NO_START
    for page in manifest["pages"]:
        assert not [b for b in page["blocks"] if b["kind"] == "overset"]
        for block in page["blocks"]:
            if block["kind"] != "body":
                continue
            for line in block["lines"]:
                t = line["text"]
                assert t[0] not in NO_START or t.startswith(("——", "……")), t
                assert t[-1] not in NO_END, t


def test_every_non_final_body_line_is_flush_at_both_edges(manifest, registry):
    faces = {f.psname: f for f in registry.faces.values()}
    for page in manifest["pages"]:
        for block in page["blocks"]:
            if block["kind"] != "body":
                continue
            for line in block["lines"]:
                if line["last"]:
                    continue
                run = line["runs"][-1]
                end = run["x"] + sum(faces[run["font"]].widths[c] * run["size"] + run["tracking"]
                                     for c in run["text"]) - run["tracking"]
                last = run["text"][-1]
                if last in "，。、；：？！”’）》〉】〕〗」』］｝":
                    end -= 0.5 * run["size"]   # the blank half of a line-end mark (GB/T 15834 §5.1.10)
                assert abs(end - line["measure"]) < 0.01, (page["number"], line["text"], end)


def _set_up(edition_copy, yaml_tail: str) -> Path:
    folder = edition_copy("mini")
    ed = folder / "edition.yaml"
    text = ed.read_text(encoding="utf-8")
    ed.write_text(text[: text.index("pages:")] + yaml_tail, encoding="utf-8")
    return folder


ONE_PAGE = """pages:
  - number: 1
    section: 要闻
    articles:
      - source: articles/a.md
        place: {column: 1, span: 2, row: 13, rows: 12}
      - source: articles/b.md
        place: %s
"""


def test_overset_text_is_an_error_naming_article_page_and_size(edition_copy, tmp_path):
    folder = _set_up(edition_copy, ONE_PAGE % "{column: 3, span: 3, row: 13, rows: 20}")
    result = compose(folder)
    (err,) = [p for p in result.problems.errors if p.kind == "overset"]
    assert err.article == "a" and err.page == 1
    assert "characters" in err.message and "lines" in err.message
    assert err.field == "pages[0].articles[0]"


def test_allow_overset_renders_with_a_visible_mark(edition_copy, tmp_path):
    folder = _set_up(edition_copy, ONE_PAGE % "{column: 3, span: 3, row: 13, rows: 20}")
    result = build_edition(folder, tmp_path / "out", allow_overset=True)
    assert result.ok
    marks = [b for b in result.tree.pages[0].blocks if b.kind == "overset"]
    assert len(marks) == 1 and marks[0].colour == "red" and marks[0].article == "a"


@pytest.mark.parametrize("place,message", [
    ("{column: 5, span: 2, row: 13, rows: 10}", "runs off the page"),
    ("{column: 1, span: 9, row: 13, rows: 10}", "wider than the page"),
    ("{column: 2, span: 2, row: 15, rows: 10}", "overlaps article a"),
    ("{column: 3, span: 2, row: 2, rows: 10}", "covers the masthead"),
])
def test_a_bad_placement_is_a_clear_error(edition_copy, place, message):
    folder = _set_up(edition_copy, ONE_PAGE % place)
    errs = [p for p in compose(folder).problems.errors if p.kind in ("placement", "overlap")]
    assert len(errs) == 1 and message in errs[0].message
    assert errs[0].article == "b" and errs[0].field.startswith("pages[0].articles[1]")


def test_placing_only_some_articles_of_a_page_is_an_error(edition_copy):
    folder = _set_up(edition_copy, ONE_PAGE.replace("        place: %s\n", ""))
    errs = compose(folder).problems.errors
    assert any("places some articles by hand" in e.message and e.article == "b" for e in errs)


def test_a_long_headline_breaks_into_two_balanced_lines_never_inside_a_number(registry):
    setter = Setter(registry)
    lines = setter.headline("全市2026年新能源汽车产量突破128000辆创历史新高", "hei", 27.5, 400)
    assert len(lines) == 2
    assert all("128000" in ln.text or "128" not in ln.text for ln in lines)
    widths = [ln.width for ln in lines]
    assert max(widths) <= 400 and min(widths) > 0.6 * max(widths)


def test_a_manual_break_in_a_headline_is_honoured(registry):
    lines = Setter(registry).headline("清河至东港城际铁路|全线贯通", "song-bold", 42, 600)
    assert [ln.text for ln in lines] == ["清河至东港城际铁路", "全线贯通"]


def test_a_headline_too_wide_for_its_span_is_made_smaller(registry):
    lines = Setter(registry).headline("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十", "hei", 42, 300)
    assert all(ln.width <= 300 for ln in lines) and lines[0].size < 42


def test_automatic_placement_is_deterministic(sample_build, tmp_path, edition_copy):
    from layout.build import layout_json
    again = compose(sample_build.edition.root)
    assert layout_json(again.tree) == layout_json(sample_build.tree)


def test_a_vertical_headline_runs_top_to_bottom_with_vertical_punctuation(edition_copy):
    folder = _set_up(edition_copy, ONE_PAGE % "{column: 3, span: 3, row: 13, rows: 30}")
    art = folder / "articles" / "b.md"
    art.write_text(art.read_text(encoding="utf-8").replace(
        "headline: 社区图书馆延长开放时间", "headline: 图书馆，延长AI开放\nvertical_headline: true"), encoding="utf-8")
    (folder / "articles" / "a.md").write_text("---\nheadline: 短讯\n---\n短讯正文。\n", encoding="utf-8")
    result = compose(folder)
    assert not result.problems.has_errors(), [str(p) for p in result.problems.errors]
    page = result.tree.pages[0]
    (head,) = [b for b in page.blocks if b.kind == "headline" and b.article == "b"]
    assert all(line.vertical for line in head.lines)
    assert "".join(line.text for line in head.lines) == "图书馆，延长AI开放"
    assert [ln.text for ln in head.lines if ln.rotated] == ["A", "I"], "Latin turns 90° clockwise"
    baselines = [line.baseline for line in head.lines if not line.rotated]
    assert baselines == sorted(baselines) and len(set(round(ln.x) for ln in head.lines if not ln.rotated)) <= 2
    comma = next(line for line in head.lines if line.text == "，")
    assert comma.runs[0].text == "︐", "the vertical presentation form of ，"
    # the body does not run under the headline's column until the headline ends
    grid_col = 5
    bodies = [b for b in page.blocks if b.kind == "body" and b.article == "b" and b.column == grid_col]
    assert bodies and bodies[0].box.y >= head.box.bottom - 0.01


def test_a_full_page_is_reordered_before_it_is_declared_overset():
    from layout.compose.place import Item, auto_place
    # rows needed at a span of 3 columns (no other span fits): in page order
    # (30, 10, 40, 10, 20) no two 3-column strips of 60 rows hold them, nor does the lead
    # in a corner; with the others longest first (30, 40 | 20, 10, 10) they fit
    rows = {0: 30, 1: 10, 2: 40, 3: 10, 4: 20}
    need = lambda key, span: rows[key] if span == 3 else 999  # noqa: E731
    items = [Item(k, "lead" if k == 0 else "normal") for k in rows]
    rects = auto_place(items, 6, 1, 60, need)
    assert rects is not None and rects[0].row == 1 and rects[0].column == 1
    for col in (1, 4):
        assert sum(r.rows for r in rects.values() if r.column == col) == 60


def test_a_lead_stretched_beside_a_taller_story_counts_its_white_rows():
    """The cost is the sum over articles of (extra rows)²: a lead given 24 rows more than it
    needs, to stand as tall as the story beside it, pays for them like any other article —
    it had cost nothing, and synthetic leads stood 20 lines short in every column."""
    from layout.compose.place import Item, _lead_corner
    need = lambda key, span: {0: 20, 1: 44}[key] if span == 4 else 999  # noqa: E731
    items = [Item(0, "lead"), Item(1, "normal")]
    layouts = _lead_corner(items, 8, 1, 44, need, {})
    (cost, rects), = [(c, r) for c, r in layouts if r[0].rows == 44]
    assert rects[1].rows == 44 and rects[1].column == 5
    assert cost >= 24 * 24


def test_the_last_page_closes_with_the_imprint(manifest):
    last = manifest["pages"][-1]
    (imprint,) = [b for b in last["blocks"] if b["kind"] == "imprint"]
    text = imprint["lines"][0]["text"]
    for part in ("清河日报社出版", "地址：清河市滨河路1号", "CN 00-0000", "印刷：清河日报印务中心"):
        assert part in text
    bottom = max(a["box"][1] + a["box"][3] for a in last["articles"])
    assert bottom <= imprint["box"][1] + 0.01, "no article runs into the imprint rows"
    assert not [b for p in manifest["pages"][:-1] for b in p["blocks"] if b["kind"] == "imprint"]


def test_a_headline_breaks_between_phrases_rather_than_inside_a_word(registry):
    lines = Setter(registry).headline("《山河万里》特展讲述千年清河", "song-bold", 42, 320)
    assert [ln.text for ln in lines] == ["《山河万里》", "特展讲述千年清河"]


def test_every_picture_of_a_story_reaches_the_page_with_its_caption_in_order(edition_copy, tmp_path):
    """Before, only a story's first picture was placed and the others vanished silently."""
    from PIL import Image as PILImage
    folder = edition_copy("mini")
    (folder / "images").mkdir()
    for name, size in (("one.png", (1600, 1000)), ("two.png", (1600, 900)), ("three.png", (1600, 1200))):
        PILImage.new("L", size, 128).save(folder / "images" / name)
    article = folder / "articles" / "c.md"
    text = article.read_text(encoding="utf-8")
    head, body = text.split("---\n", 2)[1:]
    pictures = "".join(f"![第{n}张图片的说明](images/{name})\n\n"
                       for n, name in ((1, "one.png"), (2, "two.png"), (3, "three.png")))
    article.write_text(f"---\n{head}---\n{pictures}{body}", encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems.errors]
    page = next(p for p in result.tree.pages if any(a.id == "c" for a in p.articles))
    blocks = [b for b in page.blocks if b.article == "c" and b.kind in ("image", "caption")]
    assert [b.kind for b in blocks] == ["image", "caption"] * 3
    assert [b.image for b in blocks if b.kind == "image"] == ["images/one.png", "images/two.png", "images/three.png"]
    captions = ["第1张图片的说明", "第2张图片的说明", "第3张图片的说明"]
    assert [b.lines[0].text for b in blocks if b.kind == "caption"] == captions
    for upper, lower in zip(blocks, blocks[1:]):
        assert upper.box.bottom <= lower.box.y + 0.01, "stacked, not overlapping"
    body = [b for b in page.blocks if b.article == "c" and b.kind == "body" and b.box.x == blocks[0].box.x]
    assert body and all(b.box.y >= blocks[-1].box.bottom for b in body), "the body starts below the pictures"
    # each picture is a Figure of the reader's structure tree, its caption as alternative text
    import pikepdf

    from tests.pdftags import elements
    with pikepdf.open(result.out_dir / "mini.pdf") as pdf:
        assert [str(f.Alt) for f in elements(pdf, "Figure")] == captions


def test_pictures_too_tall_for_the_block_are_an_error_not_a_silent_loss(edition_copy, tmp_path):
    from PIL import Image as PILImage
    folder = edition_copy("mini")
    (folder / "images").mkdir()
    PILImage.new("L", (400, 2400), 128).save(folder / "images" / "tall.png")
    article = folder / "articles" / "a.md"
    text = article.read_text(encoding="utf-8")
    head, body = text.split("---\n", 2)[1:]
    article.write_text(f"---\n{head}---\n" + "![高图](images/tall.png)\n\n" * 4 + body, encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    (error,) = result.problems.errors
    assert error.kind == "overset" and "4 pictures" in error.message and "drop a picture" in error.message
