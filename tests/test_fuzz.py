"""Fuzzing: thousands of generated inputs, and not one may crash.

The loader takes generated edition.yaml files and articles — valid skeletons
with fields replaced by anything YAML can say, and plain noise — and must
answer every one with an edition or with problems, never an exception. The
line breaker takes generated paragraphs of hanzi, marks, Latin, digits and
spaces at any measure and must lose no character and break no rule it was
not forced to. `derandomize` makes CI run the same examples every time.
"""
from __future__ import annotations

import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layout.edition.load import load_edition
from layout.text.classes import CLOSING, NO_END, NO_START, OPENING
from layout.text.paragraph import ColumnTooNarrow, ModelMeasure, Segment, Settings, typeset_paragraph

FUZZ = settings(max_examples=2000, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- the loader -------------------------------------------------------------------

YAML_VALUES = st.one_of(
    st.sampled_from(["", "~", "null", "true", "no", "0", "-1", "1e400", ".nan", ".inf", "-.inf", "0x1F", "0o17",
                     "2026-02-30", "2026-11-28", "1850-01-01", "12:30:00", "9" * 30, "[]", "{}", "[1, [2, [3]]]",
                     "{a: 1}", "&a [1]", "*a", "*nowhere", "!!binary aGVsbG8=", "!!python/object:os.system x",
                     "|\n  multi\n  line", "'quoted", '"unterminated', "? [x]\n  : y", "<<: {a: 1}",
                     "articles/a.md", "../../etc/passwd", "/etc/passwd", "articles/nothere.md",
                     "{column: 1, span: 2, row: 4, rows: 20}", "{column: 0, span: 99, row: -1, rows: 1e9}"]),
    st.integers(min_value=-10 ** 6, max_value=10 ** 6).map(str),
    st.text(alphabet=string.printable + "中文标题，。“”《》——", max_size=30).map(lambda s: repr(s)),
)

SKELETON = """paper: {{name: {name}, publisher: {publisher}}}
date: {date}
issue: {issue}
template: {template}
pages:
  - number: {n1}
    section: {section}
    articles:
      - source: articles/a.md
        rank: {rank}
        continue_on: {jump}
      - {slot}
  - number: {n2}
    section: 城事
    articles: {articles}
"""

FIELDS = ("name", "publisher", "date", "issue", "template", "n1", "section", "rank", "jump", "slot", "n2",
          "articles")
DEFAULTS = {"name": "示例晚报", "publisher": "示例社", "date": "2026-11-28", "issue": "1", "template": "tabloid",
            "n1": "1", "section": "要闻", "rank": "lead", "jump": "2", "slot": "articles/b.md", "n2": "2",
            "articles": "[articles/c.md]"}

ARTICLE_BODIES = st.text(alphabet="中文字，。“”‘’（）《》!?,.:;()\"' \n#*![]|—…A1", max_size=400)
FRONT = st.lists(st.tuples(st.sampled_from(["headline", "kicker", "subhead", "byline", "dateline",
                                            "short_headline", "vertical_headline", "frame", "punctuation",
                                            "colour"]), YAML_VALUES), max_size=5)


def _write_edition(root: Path, values: dict, front: list, body: str, noise: str | None) -> None:
    (root / "articles").mkdir(parents=True)
    (root / "edition.yaml").write_text(noise if noise is not None else SKELETON.format(**values),
                                       encoding="utf-8")
    head = "".join(f"{k}: {v}\n" for k, v in front) or "headline: 标题\n"
    for name in "abc":
        (root / "articles" / f"{name}.md").write_text(f"---\n{head}---\n{body}\n", encoding="utf-8")


@FUZZ
@given(replaced=st.dictionaries(st.sampled_from(FIELDS), YAML_VALUES, max_size=4), front=FRONT,
       body=ARTICLE_BODIES, noise=st.none() | st.text(max_size=300))
def test_the_loader_answers_every_input_with_an_edition_or_problems(replaced, front, body, noise):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "fuzz"
        _write_edition(root, DEFAULTS | replaced, front, body, noise)
        edition, problems = load_edition(root)
    if edition is None:
        assert problems.has_errors()
        assert all(p.message and (p.file or p.kind in ("font",)) for p in problems.errors)
    else:
        assert not problems.has_errors() and edition.pages


# -- the line breaker --------------------------------------------------------------

HANZI = "中国新闻报道城市发展记者今日全面"
PARAGRAPHS = st.lists(st.sampled_from(list(HANZI) * 4 + sorted(CLOSING) + sorted(OPENING) +
                                      ["——", "……", " ", "A", "b", "1", "2", "%", ".", ",", "/", "-", "·"]),
                      min_size=1, max_size=300).map("".join)


@FUZZ
@given(text=PARAGRAPHS, width=st.integers(min_value=1, max_value=40), production=st.booleans())
def test_the_line_breaker_loses_nothing_and_breaks_no_rule_it_was_not_forced_to(text, width, production):
    rules = Settings() if production else Settings.model()
    try:
        result = typeset_paragraph([Segment(text, "body", 1.0)], float(width), rules, ModelMeasure())
    except ColumnTooNarrow:
        assert width < 2
        return
    lines = [ln.text for ln in result.lines]
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    forced = bool(result.long_units)
    for a, b in zip(lines, lines[1:]):
        if not forced and a and b:
            assert b[0] not in rules.rules.no_start or a[-1] == b[0] == " ", (a, b)
            assert a[-1] not in rules.rules.no_end, (a, b)
    assert rules.rules.no_start <= NO_START and rules.rules.no_end <= NO_END
