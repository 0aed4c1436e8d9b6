"""Tables in articles: a Markdown pipe table is set as a newspaper data table on the grid —
head in 黑体, rules above, under the head and below, figures flush right, one grid line
a row, kept in one column when it fits one."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layout.build import build_edition
from layout.edition.article import load_article
from layout.edition.model import Table
from layout.problems import Problems

ECONOMY = """记者从市统计局获悉，前三季度全市主要经济指标如下表。

| 指标 | 数值 | 同比 |
|---|---|---|
| 地区生产总值（亿元） | 4,862.7 | 5.6% |
| 规上工业增加值 | — | 6.1% |
| 社会消费品零售总额 | 1,938.5 | 6.3% |
| 进出口总额 | 612.4 | 8.9% |

统计局有关负责人表示，全市经济运行总体平稳。
"""


def _story(folder, body: str) -> None:
    (folder / "articles" / "c.md").write_text(f"---\nheadline: 前三季度主要经济指标\n---\n{body}", encoding="utf-8")


def _table_lines(result):
    page = next(p for p in result.tree.pages if any(a.id == "c" for a in p.articles))
    return [(b, ln) for b in page.blocks if b.article == "c" and b.kind == "body" for ln in b.lines if ln.table]


def test_a_pipe_table_is_read_with_figures_flush_right(edition_copy):
    folder = edition_copy("mini")
    _story(folder, ECONOMY)
    problems = Problems()
    article = load_article(folder / "articles" / "c.md", folder, problems)
    (table,) = [b for b in article.body if isinstance(b, Table)]
    assert table.head == ("指标", "数值", "同比")
    assert table.rows[0] == ("地区生产总值（亿元）", "4,862.7", "5.6%")
    assert table.align == ("left", "right", "right"), "unmarked columns of figures (and —) go right"
    assert table.line == 6 and not problems.errors


def test_a_table_is_set_a_row_a_grid_line_with_its_rules(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _story(folder, ECONOMY)
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems.errors]
    rows = _table_lines(result)
    assert [ln.table for _, ln in rows] == ["head"] + ["row"] * 4
    assert len({b for b, _ in rows}) == 1, "a table that fits a column is not broken"
    block = rows[0][0]
    pitch = result.template.line_pitch
    baselines = [ln.baseline for _, ln in rows]
    assert all(abs(b - a - pitch) < 0.01 for a, b in zip(baselines, baselines[1:])), "one grid line a row"
    widths = sorted({round(r.width, 2) for r in block.rules})
    assert widths == [0.3, 0.75] and len(block.rules) == 3, "rule above, hairline under the head, rule below"
    # the head is in 黑体, the cells in 书宋, and every figure in a column ends at one x
    assert {r.font for r in rows[0][1].runs} == {"BanmianHei-Bold"}
    assert "BanmianSong-Regular" in {r.font for _, ln in rows[1:] for r in ln.runs}
    registry = result.registry
    ends = {}
    for _, ln in rows[1:]:
        for r in ln.runs:
            if r.text[0].isdigit():
                face = registry.faces[next(k for k, f in registry.faces.items() if f.psname == r.font)]
                width = sum(face.widths[c] for c in r.text) * r.size + r.tracking * len(r.text)
                ends.setdefault(r.text.endswith("%"), set()).add(round(ln.x + r.x + width, 1))
    assert all(len(v) == 1 for v in ends.values()), ends


def test_a_table_longer_than_a_column_breaks_with_rules_on_both_sides_and_its_head_at_a_top(edition_copy,
                                                                                            tmp_path):
    folder = edition_copy("mini")
    rows = "".join(f"| 第{i}名 | 选手{i} | {60 + i}.{i % 10} |\n" for i in range(1, 90))
    _story(folder, f"本届市民运动会男子百米成绩如下。\n\n| 名次 | 姓名 | 成绩 |\n|---|---|---:|\n{rows}\n完。\n")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems.errors]
    lines = _table_lines(result)
    blocks = []
    for b, _ in lines:
        if b not in blocks:
            blocks.append(b)
    assert len(blocks) >= 2, "89 rows do not fit one column"
    for b in blocks:
        table_rows = [ln for ln in b.lines if ln.table]
        assert sum(1 for r in b.rules if r.width == 0.75) == 2, "each column's part is opened and closed"
        assert table_rows[-1].table == "row", "the head never ends a column"


def test_a_table_too_wide_for_its_column_is_an_error_that_says_by_how_much(edition_copy, tmp_path):
    folder = edition_copy("mini")
    head = "| " + " | ".join(f"第{i}列标题" for i in range(1, 9)) + " |\n"
    rule = "|" + "---|" * 8 + "\n"
    row = "| " + " | ".join("一二三四五" for _ in range(8)) + " |\n"
    _story(folder, f"正文。\n\n{head}{rule}{row}")
    result = build_edition(folder, tmp_path / "out")
    errors = [p for p in result.problems.errors if p.kind == "table-too-wide"]
    assert errors and "8 columns" in errors[0].message and "em" in errors[0].message


def test_a_row_with_the_wrong_number_of_cells_is_an_error_on_its_line(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _story(folder, "正文。\n\n| 甲 | 乙 |\n|---|---|\n| 1 | 2 |\n| 3 |\n")
    result = build_edition(folder, tmp_path / "out")
    (error,) = result.problems.errors
    assert error.kind == "table" and error.line == 9 and "1 cells, the head has 2" in error.message


def test_the_reader_pdf_gives_a_table_back_row_by_row_and_tags_its_cells(edition_copy, tmp_path):
    import pypdfium2
    folder = edition_copy("mini")
    _story(folder, ECONOMY)
    result = build_edition(folder, tmp_path / "out")
    text = pypdfium2.PdfDocument(str(result.out_dir / "mini.pdf"))[1].get_textpage().get_text_range()
    import re
    assert re.search(r"地区生产总值（亿元）\s?4,862\.7\s?5\.6%", text), "the cells of a row, in order"
    import pikepdf

    from tests.pdftags import elements
    with pikepdf.open(result.out_dir / "mini.pdf") as pdf:
        (table,) = elements(pdf, "Table")
        rows = [r for r in table.K if r.S == "/TR"]
        assert len(rows) == 5
        assert [str(c.S) for c in rows[0].K] == ["/TH"] * 3 and rows[0].K[0].A.Scope == "/Column"
        assert [str(c.S) for c in rows[1].K] == ["/TD"] * 3


def test_a_subhead_goes_to_the_next_column_with_the_table_it_introduces():
    from layout.compose.body import FlowLine, Frame, flow_into
    lines = [FlowLine("text")] * 6 + [FlowLine("blank"), FlowLine("subhead"), FlowLine("blank"),
                                      FlowLine("tablehead")] + [FlowLine("tablerow")] * 4
    cols, rest = flow_into([Frame(1, 1, 10), Frame(2, 1, 10)], lines)
    assert rest == len(lines)
    assert [ln.kind for ln in cols[0]] == ["text"] * 6
    assert [ln.kind for ln in cols[1]] == ["subhead", "blank", "tablehead"] + ["tablerow"] * 4
    # a column that is only the subhead keeps it: moving it would leave the column empty
    cols, _ = flow_into([Frame(1, 1, 3), Frame(2, 1, 10)], lines[7:])
    assert [ln.kind for ln in cols[0]] == ["subhead"]


def _kinds(*parts: tuple[str, int]) -> list:
    """A flow of distinct lines: ("text", 3), ("blank", 1), … (each its own object)."""
    from layout.compose.body import FlowLine
    return [FlowLine(kind) for kind, count in parts for _ in range(count)]


def _short(col) -> list[str]:
    return [ln.kind for ln in col]


def test_a_table_that_does_not_fit_under_the_text_floats_to_the_next_column_and_the_text_after_it_fills_the_gap():
    from layout.compose.body import Frame, flow_into
    # 3 lines of text, a table of a head and 5 rows, 2 lines of text after it; columns of 9
    lines = _kinds(("text", 3), ("blank", 1), ("tablehead", 1), ("tablerow", 5), ("blank", 1), ("text", 2))
    cols, rest = flow_into([Frame(1, 1, 9), Frame(2, 1, 9)], lines)
    assert rest == len(lines)
    assert cols[0] == lines[:3] + lines[11:13], "the text after the table, under the text before it"
    assert cols[1] == lines[4:10], "the table heads the next column"
    # the same when the blank before the table is what meets the column's foot
    cols, rest = flow_into([Frame(1, 1, 5), Frame(2, 1, 9)], lines)
    assert rest == len(lines) and cols[0] == lines[:3] + lines[11:13] and cols[1] == lines[4:10]


def test_no_text_floats_above_a_table_its_subhead_introduces_or_one_the_next_column_cannot_hold():
    from layout.compose.body import Frame, flow_into
    lines = _kinds(("text", 3), ("blank", 1), ("subhead", 1), ("blank", 1), ("tablehead", 1), ("tablerow", 5),
                   ("blank", 1), ("text", 2))
    cols, _ = flow_into([Frame(1, 1, 9), Frame(2, 1, 11)], lines)
    assert _short(cols[0]) == ["text"] * 3, "the text after the table belongs to the subhead's section"
    lines = _kinds(("text", 3), ("blank", 1), ("tablehead", 1), ("tablerow", 5), ("blank", 1), ("text", 2))
    cols, rest = flow_into([Frame(1, 1, 9), Frame(2, 1, 5), Frame(3, 1, 9)], lines)
    assert _short(cols[0]) == ["text"] * 3, "the next column is shallower than the table: nothing floats"
    assert _short(cols[1]) == ["tablehead"] + ["tablerow"] * 4 and rest == len(lines), "it breaks, as before"


def test_a_floated_table_lets_the_columns_balance_shorter():
    from layout.compose.body import Frame, balanced
    lines = _kinds(("text", 3), ("blank", 1), ("tablehead", 1), ("tablerow", 5), ("blank", 1), ("text", 2))
    cols, rest, limit = balanced([Frame(1, 1, 9), Frame(2, 1, 9)], lines)
    assert rest == len(lines) and limit == 6 and [len(c) for c in cols] == [5, 6]


def _placed_story(folder, body: str, place: str) -> None:
    yaml = folder / "edition.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace(
        "      - source: articles/c.md", f"      - source: articles/c.md\n        place: {place}"), encoding="utf-8")
    _story(folder, body)


PRICES = "| 品种 | 价格 |\n|---|---|\n" + "".join(f"| 品种{i} | {i}.00 |\n" for i in range(8))
AFTER = ("价格监测人员分析，降温天气将推高露地蔬菜的采收和运输成本，预计下周叶菜类价格仍将小幅上行，"
         "随着本地大棚蔬菜集中上市，月中以后价格有望趋稳。\n")


@pytest.mark.parametrize("subhead", [True, False])
def test_a_column_left_short_above_a_table_its_subhead_takes_along_is_reported_as_a_hole(
        edition_copy, tmp_path, subhead):
    folder = edition_copy("mini")
    body = "今日本市主要农产品批发价格平稳。\n\n" + ("## 价格一览\n\n" if subhead else "") + PRICES + "\n" + AFTER
    _placed_story(folder, body, "{column: 1, span: 3, row: 10, rows: 14}")
    result = build_edition(folder, tmp_path / "out")
    holes = [p for p in result.problems.warnings if p.kind == "hole"]
    assert result.ok
    if subhead:   # the section goes whole to the next column: 7 of column 1's lines stay white
        (hole,) = holes
        assert hole.page == 2 and hole.article == "c" and "grid column 1 ends 7 lines short" in hole.message
        assert hole.field == "pages[1].articles[0]"
    else:         # the table floats to the next column, the text after it filling column 1
        assert not holes


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(["text", "blank", "subhead", "table"]), st.integers(1, 9)), max_size=14),
       st.lists(st.integers(1, 14), min_size=1, max_size=5), st.integers(0, 14))
def test_pouring_a_flow_never_loses_or_repeats_a_line(parts, depths, limit):
    from layout.compose.body import FlowLine, Frame, flow_into
    lines = []
    for kind, count in parts:
        if kind == "table":
            lines += [FlowLine("blank"), FlowLine("tablehead")] + [FlowLine("tablerow") for _ in range(count)]
            lines.append(FlowLine("blank"))
        else:
            lines += [FlowLine(kind) for _ in range(1 if kind == "blank" else count)]
    cols, rest = flow_into([Frame(c + 1, 1, d) for c, d in enumerate(depths)], lines, limit)
    placed = [id(ln) for col in cols for ln in col] + [id(ln) for ln in lines[rest:]]
    assert len(placed) == len(set(placed)), "a line both placed and left over, or placed twice"
    wanted = [id(ln) for ln in lines if ln.kind != "blank"]
    assert sorted(i for i in placed if i in set(wanted)) == sorted(wanted), "every line placed or left over"
    for col, depth in zip(cols, depths):
        assert len(col) <= (min(depth, limit) if limit else depth)


def test_a_listing_of_tables_alone_is_an_article_but_subheads_alone_are_not(edition_copy):
    folder = edition_copy("mini")
    _story(folder, "| 时间 | 节目 |\n|---|---|\n| 18:30 | 清河新闻联播 |\n")
    problems = Problems()
    assert load_article(folder / "articles" / "c.md", folder, problems) is not None and not problems.errors
    _story(folder, "## 今日荧屏\n")
    problems = Problems()
    assert load_article(folder / "articles" / "c.md", folder, problems) is None
    assert problems.errors[0].kind == "empty-body"
