"""The compiled line-setting core (layout/text/_core.c) sets every paragraph exactly as the
Python reference does: the same lines, runs and floats to the last bit.

Skipped where the core was not built (no C compiler at install): the Python then sets alone.
"""
from __future__ import annotations

import random

import pytest

from layout.text import paragraph
from layout.text.paragraph import FontMeasure, ModelMeasure, Segment, Settings, typeset_paragraph

core = paragraph._compiled
pytestmark = pytest.mark.skipif(core is None, reason="the compiled core was not built (no C compiler)")

# what news copy holds: hanzi, every kind of mark, Latin words and numbers, spaces, dashes,
# ellipses, URLs, characters beyond the 黑体 subset (a fallback face mid-line) and one no
# face has (𪚥, reported missing)
POOL = ("中文新闻报道记者今天表示经济发展城市建设堃镕赟𪚥" * 3 + "，。、；：？！“”‘’（）《》【】——……"
        + "ab Python 2026 12.5% https://x.org/a/b " + "·／～")


def both_ways(monkeypatch, *args, **kw):
    compiled = typeset_paragraph(*args, **kw)
    monkeypatch.setattr(paragraph, "_compiled", None)
    pure = typeset_paragraph(*args, **kw)
    monkeypatch.setattr(paragraph, "_compiled", core)
    return compiled, pure


def same(a, b) -> bool:
    """Equal to the last bit: repr tells 0.0 from -0.0 and shows every digit of a float."""
    return repr(a) == repr(b)


def random_text(rng: random.Random) -> str:
    n = rng.choice((1, 2, 5, 30, 120, 400))
    return "".join(rng.choice(POOL) for _ in range(n))


SETTINGS = [Settings(), Settings(punctuation="kaiming"), Settings(punctuation="banjiao"),
            Settings(compress=False), Settings(justify=False, orphans=False), Settings.model()]


@pytest.mark.parametrize("seed", range(6))
def test_random_paragraphs_are_set_alike(monkeypatch, registry, seed):
    rng = random.Random(seed)
    fm = FontMeasure(registry)
    for _ in range(250):
        size = rng.choice((9.0, 10.5, 14.0))
        segments = [Segment(random_text(rng), rng.choice(("body", "hei", "kai", "bold")), size)
                    for _ in range(rng.choice((1, 1, 2, 3)))]
        if rng.random() < 0.3:   # a run of another size mid-paragraph
            segments.insert(1, Segment(random_text(rng), "body", size * 0.8))
        measure = rng.choice((7, 11, 13, 17, 23)) * size + rng.choice((0.0, 0.37, 2.9))
        indent = rng.choice((0.0, 0.0, 2 * size))
        settings = rng.choice(SETTINGS)
        measure_fn = ModelMeasure() if settings.rules.no_start != Settings().rules.no_start else fm
        compiled, pure = both_ways(monkeypatch, segments, measure, settings, measure_fn, first_indent=indent)
        assert same(compiled, pure), (segments, measure, indent, settings)


def test_the_news_copy_of_the_typesetting_tests_is_set_alike(monkeypatch, registry):
    from .test_typesetting import NEWS
    fm = FontMeasure(registry)
    for width in range(8, 40):
        for settings in SETTINGS[:5]:
            compiled, pure = both_ways(monkeypatch, [Segment(NEWS * 3, "body", 9.0)], width * 9.0, settings, fm,
                                       first_indent=18.0)
            assert same(compiled, pure), (width, settings)


def test_over_long_units_and_orphans_are_reported_alike(monkeypatch, registry):
    fm = FontMeasure(registry)
    text = "详见https://example.org/" + "very/long/path/" * 40 + "网站。他说：“好。”今天天气很好，大家都来了我"
    compiled, pure = both_ways(monkeypatch, [Segment(text, "body", 9.0)], 11 * 9.0, Settings(), fm)
    assert compiled.long_units == pure.long_units and compiled.long_units
    assert same(compiled, pure)
    orphan = "今天天气很好，大家都来了，我们一起去公园里散步看花。好"
    fixed = [both_ways(monkeypatch, [Segment(orphan, "body", 9.0)], w * 9.0, Settings(), fm) for w in range(5, 30)]
    assert any(c.orphan_fixes for c, _ in fixed), "some width leaves a lone 好 to pull a character down"
    assert all(same(c, p) for c, p in fixed)


def test_an_empty_paragraph_and_spaces_alone_are_set_alike(monkeypatch, registry):
    fm = FontMeasure(registry)
    for text in ("", " ", "   ", " 中 ", "中", "。", "“", "a b  c"):
        compiled, pure = both_ways(monkeypatch, [Segment(text, "body", 9.0)], 99.0, Settings(), fm)
        assert same(compiled, pure), text


@pytest.mark.parametrize("rules", [Settings().rules, Settings.model().rules], ids=["production", "model"])
def test_break_opportunities_are_found_alike(rules):
    # spaces beside marks (`他说 ”`, `（ 注`) forbid breaks around them: the hardest case
    rng = random.Random(3)
    pool = POOL + "     ()$"
    texts = ["", " ", "  ", "“ ", " ”", "a b", "他说 ” 好", "（  注", "中", "——", "……", "ab12"]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 60))) for _ in range(3000)]
    for text in texts:
        assert core.opportunities(text, *rules.sorted_sets()) == rules.opportunities(text), text


def test_an_edition_built_by_the_python_alone_is_byte_identical(tmp_path):
    """The whole build both ways (BANMIAN_PURE=1 turns every compiled twin off): every
    output file the same, byte for byte."""
    import os
    import subprocess
    import sys

    from .conftest import FIXTURES, ROOT
    outs = {}
    for name, pure in (("compiled", None), ("pure", "1")):
        env = {k: v for k, v in os.environ.items() if k != "BANMIAN_PURE"}
        if pure:
            env["BANMIAN_PURE"] = pure
        out = tmp_path / name
        subprocess.run([sys.executable, "-m", "layout", "build", str(FIXTURES / "mini"), "-o", str(out), "-q"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        outs[name] = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
                      if p.is_file() and ".cache" not in p.parts and p.name != ".lock"}
    assert len(outs["pure"]) >= 4 and outs["pure"].keys() == outs["compiled"].keys()
    assert [k for k in outs["pure"] if outs["pure"][k] != outs["compiled"][k]] == []
