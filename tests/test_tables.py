"""Tables in articles: a Markdown pipe table is set as a newspaper data table on the grid —
head in 黑体, rules above, under the head and below, figures flush right, one grid line
a row, kept in one column when it fits one."""
from __future__ import annotations

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


def test_a_listing_of_tables_alone_is_an_article_but_subheads_alone_are_not(edition_copy):
    folder = edition_copy("mini")
    _story(folder, "| 时间 | 节目 |\n|---|---|\n| 18:30 | 清河新闻联播 |\n")
    problems = Problems()
    assert load_article(folder / "articles" / "c.md", folder, problems) is not None and not problems.errors
    _story(folder, "## 今日荧屏\n")
    problems = Problems()
    assert load_article(folder / "articles" / "c.md", folder, problems) is None
    assert problems.errors[0].kind == "empty-body"
