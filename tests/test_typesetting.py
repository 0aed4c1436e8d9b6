"""The production line composer: real font metrics, compression, justification.

Each test states one rule of cjk-typesetting.md as the engine must keep it.
"""
from __future__ import annotations

import random

import pytest

from layout.text.classes import NO_END, NO_START
from layout.text.paragraph import (
    ColumnTooNarrow,
    FontMeasure,
    ModelMeasure,
    Segment,
    Settings,
    break_text,
    typeset_paragraph,
)

SIZE = 9.0
MEASURE = 17 * SIZE   # a 17-character broadsheet column
NEWS = ("本报北京11月28日电 记者从国家统计局获悉，今年前三季度，全国规模以上工业增加值同比增长5.2%，"
        "比上半年加快0.3个百分点。“我们的判断是：经济运行总体平稳，稳中有进。”国家统计局新闻发言人说，"
        "《报告》显示，新能源汽车、集成电路等产品产量保持较快增长——这表明产业升级步伐加快……专家认为，"
        "Python等开源工具的普及，也在推动数字经济发展。他说：“这就是所谓的‘新常态’。”大家都笑了。")


_FACES: dict = {}


@pytest.fixture(scope="module")
def fm(registry):
    _FACES.update({f.psname: f for f in registry.faces.values()})
    return FontMeasure(registry)


def setp(fm, text, measure=MEASURE, indent=0.0, **kw):
    return typeset_paragraph([Segment(text, "body", SIZE)], measure, Settings(**kw), fm, first_indent=indent)


def glyph_positions(line):
    """(char, x) of every glyph, from the runs alone (as the renderer draws them)."""
    out = []
    for run in line.runs:
        x = run.x
        for ch in run.text:
            out.append((ch, x))
            x += _adv(run.font, ch) * run.size + run.tracking
    return out


def _adv(font, ch):
    return _FACES[font].widths[ch]


def test_every_line_but_the_last_fills_the_measure_exactly(fm, registry):
    result = setp(fm, NEWS * 3, indent=2 * SIZE)
    for line in result.lines[:-1]:
        assert abs(line.indent + line.width - MEASURE) < 0.01, line.text
    assert result.lines[-1].width < MEASURE + 0.01


def test_the_last_line_is_set_solid_flush_left(fm):
    result = setp(fm, "国务院新闻办公室今天举行新闻发布会，介绍有关情况。")
    last = result.lines[-1]
    assert last.last
    assert all(r.tracking <= 0 for r in last.runs), "a last line is not spread"
    assert last.runs[0].x == 0.0


def test_no_line_starts_with_a_closing_mark_or_ends_with_an_opening_one(fm):
    rng = random.Random(7)
    text = NEWS * 4
    for width in range(6, 24):
        result = setp(fm, text, measure=width * SIZE)
        for line in result.lines:
            assert line.text[0] not in NO_START or line.text.startswith(("——", "……")), line.text
            assert line.text[-1] not in NO_END, line.text
    assert rng  # deterministic


def test_a_full_width_mark_at_line_end_takes_half_an_em(fm):
    # 16 hanzi + ， fill a 16.5-em line exactly when the comma takes ½ em (GB/T 15834 §5.1.10)
    text = "一二三四五六七八九十一二三四五六，七八九十"
    result = setp(fm, text, measure=16.5 * SIZE)
    assert result.lines[0].text.endswith("，")
    assert abs(result.lines[0].width - 16.5 * SIZE) < 0.01


def test_adjacent_punctuation_is_compressed_to_one_and_a_half_em(fm):
    # 。” : the full stop gives up its blank right half, so the pair takes 1.5 em
    result = setp(fm, "他说好。”我们走", measure=100 * SIZE, justify=False)
    pos = dict((ch, x) for ch, x in glyph_positions(result.lines[0]))
    assert abs((pos["我"] - pos["。"]) - 1.5 * SIZE) < 0.01


def test_a_pair_may_squeeze_to_one_em_rather_than_push_a_character_out(fm):
    # 14 hanzi + ，“好” overflow a 16.5-em line by ½ em with the pair at 1.5 em; ” may not
    # start a line, so squeezing the pair to 1 em (先挤进) beats pushing 好” down (后推出)
    text = "一二三四五六七八九十一二三四，“好”说完了"
    result = setp(fm, text, measure=16.5 * SIZE)
    assert result.lines[0].text == "一二三四五六七八九十一二三四，“好”"
    assert abs(result.lines[0].width - 16.5 * SIZE) < 0.01


def test_hanzi_and_latin_are_separated_by_a_quarter_em(fm):
    result = setp(fm, "使用Python开发", measure=100 * SIZE, justify=False)
    pos = glyph_positions(result.lines[0])
    xs = {ch: x for ch, x in pos}
    gap_before = xs["P"] - (xs["用"] + SIZE)
    assert abs(gap_before - 0.25 * SIZE) < 0.01
    after_n = xs["开"] - (xs["n"] + _adv(result.lines[0].runs[0].font, "n") * SIZE)
    assert abs(after_n - 0.25 * SIZE) < 0.01


def test_no_cjk_latin_space_at_the_edges_of_a_line(fm):
    result = setp(fm, "一二三四五六七八九十一二三四五六七Python语言开发很方便", measure=17 * SIZE)
    assert result.lines[1].text.startswith("Python")
    assert result.lines[1].runs[0].x == 0.0


def test_dashes_and_ellipses_are_never_split_nor_spread(fm):
    for width in range(5, 20):
        result = setp(fm, "这是一条新路——一条改革开放之路。山那边是什么……谁也说不清楚。" * 2, measure=width * SIZE)
        for a, b in zip(result.lines, result.lines[1:]):
            assert not (a.text.endswith("—") and b.text.startswith("—") and not a.text.endswith("——")), (a.text, b.text)
            assert not (a.text.endswith("…") and b.text.startswith("…") and not a.text.endswith("……")), (a.text, b.text)
        for line in result.lines:
            for ch1, ch2, gap in _gaps(line):
                if ch1 == ch2 and ch1 in "—…":
                    assert abs(gap) < 1e-6, line.text


def _gaps(line):
    pos = glyph_positions(line)
    font = line.runs[0].font
    for (a, xa), (b, xb) in zip(pos, pos[1:]):
        yield a, b, xb - xa - _adv(font, a) * SIZE


def test_a_single_hanzi_never_stands_alone_on_a_last_line(fm):
    # 17 + 1 hanzi: without orphan control 了 (with 。) would sit alone on the last line
    text = "一二三四五六七八九十一二三四五六七了。"
    result = setp(fm, text, measure=17 * SIZE)
    assert len(result.lines) == 2
    assert len(result.lines[-1].text.rstrip("。")) >= 2
    assert result.orphan_fixes == 1
    assert abs(result.lines[0].width - 17 * SIZE) < 0.01


def test_the_first_line_is_indented_two_em(fm):
    result = setp(fm, NEWS, indent=2 * SIZE)
    assert result.lines[0].runs[0].x == pytest.approx(2 * SIZE)
    assert result.lines[0].indent == 2 * SIZE


@pytest.mark.parametrize("style,comma_em", [("quanjiao", 1.0), ("kaiming", 0.5), ("banjiao", 0.5)])
def test_punctuation_styles_set_an_in_line_comma(fm, style, comma_em):
    result = setp(fm, "甲，乙。丙", measure=100 * SIZE, justify=False, punctuation=style)
    xs = {ch: x for ch, x in glyph_positions(result.lines[0])}
    assert abs((xs["乙"] - xs["，"]) - comma_em * SIZE) < 0.01


@pytest.mark.parametrize("style,stop_em", [("quanjiao", 1.0), ("kaiming", 1.0), ("banjiao", 0.5)])
def test_kaiming_keeps_the_full_stop_full_width(fm, style, stop_em):
    result = setp(fm, "甲，乙。丙", measure=100 * SIZE, justify=False, punctuation=style)
    xs = {ch: x for ch, x in glyph_positions(result.lines[0])}
    assert abs((xs["丙"] - xs["。"]) - stop_em * SIZE) < 0.01


def test_nothing_ever_overhangs_the_measure(fm):
    for width in (11, 13, 17, 23):
        result = setp(fm, NEWS * 2, measure=width * SIZE)
        for line in result.lines:
            assert line.width <= width * SIZE + 0.01


def test_every_glyph_is_drawn_in_the_face_its_chain_gives_it(fm, registry):
    # 堃 and 镕 are beyond the 黑体 subset (GB2312) and fall back to the 书宋; a fallback
    # glyph alone between two others once rode in its neighbour's run, drawn in 黑体
    rng = random.Random(7)
    pool = "中文新闻报道堃镕，。“”（）ab12 "
    for _ in range(300):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 40)))
        result = typeset_paragraph([Segment(text, "hei", SIZE)], 7 * SIZE, Settings(), fm)
        for line in result.lines:
            for run in line.runs:
                for ch in run.text:
                    assert registry.resolve(ch, "hei").psname == run.font, (text, line.runs)


def test_a_url_longer_than_the_line_is_broken_and_reported(fm):
    text = "详见https://example.org/very/long/path/to/a/report/2026/index.html网站"
    result = setp(fm, text, measure=11 * SIZE)
    assert result.long_units and "example.org" in result.long_units[0]
    assert "".join(line.text for line in result.lines) == text


def test_empty_and_punctuation_only_paragraphs_do_not_crash(fm):
    assert setp(fm, "").lines == []
    result = setp(fm, "。。。，，，！！！？？？" * 3, measure=5 * SIZE)
    assert "".join(line.text for line in result.lines) == "。。。，，，！！！？？？" * 3


def test_a_column_narrower_than_two_characters_is_a_clear_error(fm):
    with pytest.raises(ColumnTooNarrow):
        setp(fm, "新闻", measure=1.5 * SIZE)


def test_characters_no_font_has_are_reported(fm):
    result = setp(fm, "一个\U000e0100罕见字𪚥")
    assert "𪚥" in result.missing


def test_the_model_mode_uses_one_em_for_every_non_ascii_character():
    assert ModelMeasure().face_and_advance("，", "body", 1.0)[1] == 1.0
    assert ModelMeasure().face_and_advance("a", "body", 1.0)[1] == 0.5
    assert break_text("一二三四五六七八九十", 4) == ["一二三四", "五六七八", "九十"]


@pytest.mark.parametrize("text,width,expected", [
    ("我们的（草案）", 4, ["我们的", "（草案）"]),              # （ never ends a line
    ("甲乙丙丁“戊己”庚", 5, ["甲乙丙丁", "“戊己”庚"]),            # “ moves down
    ("价格为$100元", 4, ["价格为", "$100元"]),                     # $ stays with its number
    ("温度38℃左右", 3, ["温度", "38℃左", "右"]),                   # ℃ never starts a line
    ("他说：“好。”", 4, ["他说：", "“好。”"]),
    ("一二三……四五", 4, ["一二三", "……四五"]),
])
def test_more_cases_of_the_same_rules(text, width, expected):
    assert break_text(text, width) == expected


def test_the_line_breaking_core_is_fully_typed(tmp_path):
    """layout/text (character classes, break opportunities, the paragraph setter) passes
    mypy --strict: every value's type is declared, as a compiler would need it."""
    import subprocess
    import sys

    from .conftest import ROOT
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                          "--cache-dir", str(tmp_path / "mypy"), "layout/text"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_setter_of_a_registry_shares_its_measure_and_a_new_registry_gets_its_own():
    """The per-(role, size) tables fill as characters are met: one measure per registry
    fills them once for every run of pages, worker and build of `watch` that sets with it."""
    from layout.compose.display import Setter
    from layout.fonts import FontRegistry
    registry = FontRegistry()
    first = Setter(registry)
    first.line("清河日报", "hei", 20.0)
    assert Setter(registry).measure is first.measure and first.measure.tables("hei", 20.0).advances
    assert Setter(FontRegistry()).measure is not first.measure
