"""Loading an edition: the happy path, copy clean-up, and every kind of bad input.

Every problem names its file, its line where there is one, and its field.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from layout.edition.load import load_edition
from layout.edition.model import Image, Paragraph, Subhead

from .conftest import SAMPLE


def errors(folder):
    edition, problems = load_edition(folder)
    assert edition is None, "a broken edition must not load"
    return problems.errors


def write(folder: Path, name: str, text: str | bytes) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# -- the happy path ----------------------------------------------------------

def test_the_sample_edition_loads_with_its_pages_and_articles():
    edition, problems = load_edition(SAMPLE)
    assert not problems.has_errors(), [str(p) for p in problems.errors]
    assert edition.slug == "qinghe-ribao"
    assert edition.paper.name == "清河日报"
    assert edition.date == dt.date(2026, 11, 28)
    assert [p.number for p in edition.pages] == [1, 2, 3, 4, 5, 6]
    assert len(edition.articles) >= 12
    assert sum(a.characters for a in edition.articles) >= 20000


def test_an_article_has_front_matter_and_a_body_of_blocks():
    edition, _ = load_edition(SAMPLE)
    railway = next(a for a in edition.articles if a.id == "railway")
    assert railway.kicker.startswith("全长186公里")
    assert railway.subhead.startswith("——")
    assert railway.dateline == "本报清河11月27日电"
    assert any(isinstance(b, Subhead) for b in railway.body)
    assert all(isinstance(b, (Paragraph, Subhead, Image)) for b in railway.body)
    ev = next(a for a in edition.articles if a.id == "ev")
    image = next(b for b in ev.body if isinstance(b, Image))
    assert image.path.is_file() and "市工业和信息化局" in image.caption


def test_bold_spans_are_kept_as_spans():
    edition, _ = load_edition(SAMPLE)
    briefs = next(a for a in edition.articles if a.id == "briefs")
    spans = [s for b in briefs.body if isinstance(b, Paragraph) for s in b.spans if s.bold]
    assert [s.text for s in spans] == ["又讯", "又讯"]


def test_copy_clean_up_converts_ascii_punctuation_and_quotes_and_warns():
    edition, problems = load_edition(SAMPLE)
    night = next(a for a in edition.articles if a.id == "nightlife")
    text = "".join(b.text for b in night.body if isinstance(b, Paragraph))
    assert "," not in text and '"' not in text
    assert "“晚饭后来这里逛一逛，吃点小吃" in text
    warning = next(p for p in problems.warnings if p.article == "nightlife")
    assert "full-width" in warning.message and "“ ”" in warning.message


def test_clean_up_keeps_latin_and_numbers_alone():
    from layout.edition.cleanup import clean_text
    assert clean_text("Python, Java 和 C") == "Python, Java 和 C"
    assert clean_text("增长3.5%,比去年") == "增长3.5%,比去年"  # a comma after a digit is not between hanzi
    assert clean_text("他说:好!") == "他说：好！"
    assert clean_text("会议(草案)通过") == "会议（草案）通过"
    assert clean_text("天气\u200b很好") == "天气很好"


# -- bad input: each names file, line and field ------------------------------

@pytest.fixture
def mini(edition_copy):
    return edition_copy("mini")


def test_invalid_yaml_names_its_line(mini):
    edit(mini, "edition.yaml", "issue: 101", "issue: [101")
    (err,) = errors(mini)
    assert err.file.endswith("edition.yaml") and err.line >= 4 and "invalid YAML" in err.message


def test_an_unknown_key_is_an_error_with_a_suggestion(mini):
    edit(mini, "edition.yaml", "    section: 城事", "    sektion: 城事")
    errs = errors(mini)
    bad = next(e for e in errs if e.kind == "unknown-key")
    assert bad.field == "pages[1].sektion" and bad.line == 14 and "section" in bad.message


def test_a_wrong_type_names_the_field(mini):
    edit(mini, "edition.yaml", "issue: 101", "issue: hundred")
    (err,) = errors(mini)
    assert err.field == "issue" and err.line == 3 and "whole number" in err.message


def test_a_missing_article_file_names_the_source_field(mini):
    edit(mini, "edition.yaml", "articles/c.md", "articles/nothere.md")
    (err,) = errors(mini)
    assert err.field == "pages[1].articles[0].source"
    assert err.line == 17 and "file not found: articles/nothere.md" in err.message
    assert str(err).startswith(f"{err.file}:17: pages[1].articles[0].source: error: file not found")


def test_a_missing_image_names_the_article_file_and_line(mini):
    write(mini, "articles/c.md", "---\nheadline: 标题\n---\n正文第一段。\n\n![图片说明](images/none.png)\n")
    (err,) = errors(mini)
    assert err.file.endswith("articles/c.md") and err.line == 6 and err.field == "image"
    assert "image not found" in err.message


def test_a_duplicate_page_number_is_an_error(mini):
    edit(mini, "edition.yaml", "  - number: 2", "  - number: 1")
    errs = errors(mini)
    assert any(e.kind == "duplicate-page" and e.field == "pages[1].number" for e in errs)


def test_an_empty_headline_is_an_error(mini):
    edit(mini, "articles/b.md", "headline: 社区图书馆延长开放时间", "headline: ''")
    (err,) = errors(mini)
    assert err.file.endswith("articles/b.md") and err.field == "headline" and err.line == 2


def test_an_unknown_template_lists_the_known_ones(mini):
    edit(mini, "edition.yaml", "template: tabloid", "template: berliner")
    (err,) = errors(mini)
    assert err.field == "template" and "broadsheet" in err.message and "tabloid" in err.message


def test_a_non_utf8_article_names_the_line_of_the_bad_byte(mini):
    write(mini, "articles/c.md", "---\nheadline: 标题\n---\n".encode() + "第一段。\n".encode("gbk"))
    (err,) = errors(mini)
    assert err.file.endswith("articles/c.md") and err.line == 4 and "UTF-8" in err.message


def test_a_path_may_not_leave_the_edition_folder(mini):
    edit(mini, "edition.yaml", "articles/c.md", "../../etc/passwd")
    (err,) = errors(mini)
    assert err.kind == "path-escape" and err.field == "pages[1].articles[0].source"


def test_a_symbolic_link_may_not_lead_out_of_the_edition_folder(mini, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.md").write_text((mini / "articles/c.md").read_text(encoding="utf-8"), encoding="utf-8")
    (mini / "articles/link.md").symlink_to(outside / "x.md")          # a file that is a link
    (mini / "elsewhere").symlink_to(outside, target_is_directory=True)  # a folder that is a link
    for source in ("articles/link.md", "elsewhere/x.md", "articles/../elsewhere/x.md"):
        edit(mini, "edition.yaml", "articles/c.md", source)
        (err,) = errors(mini)
        assert err.kind == "path-escape" and err.field == "pages[1].articles[0].source", source
        edit(mini, "edition.yaml", source, "articles/c.md")


def test_paths_resolved_with_the_folder_memo_are_those_resolve_gives(tmp_path):
    """`inside` with `dirs` (one lstat a file) answers as Path.resolve does, links included."""
    from layout.edition.source import inside
    root = (tmp_path / "ed").resolve()
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "f.md").write_text("x")
    (tmp_path / "out").mkdir()
    (root / "a" / "in.md").symlink_to(root / "a" / "f.md")
    (root / "a" / "out.md").symlink_to(tmp_path / "out")
    (root / "c").symlink_to(root / "a", target_is_directory=True)
    (root / "d").symlink_to(tmp_path / "out", target_is_directory=True)
    dirs: dict = {}
    for relative in ("a/f.md", "a/in.md", "a/out.md", "c/f.md", "c/in.md", "d/x.md", "a/b/../f.md",
                     "a/../../ed/a/f.md", "../ed", "../out/x", "a/b/..", ".", "", "a//f.md", "a/missing.md",
                     "/etc/passwd", str(root / "a/f.md"), "c/b/../in.md", "d/../ed/a/f.md"):
        assert inside(root, relative, True, dirs) == inside(root, relative, True), relative


def test_an_empty_edition_is_an_error(tmp_path):
    write(tmp_path, "edition.yaml", "# nothing yet\n")
    (err,) = errors(tmp_path)
    assert err.kind == "empty-edition"


def test_an_edition_without_pages_is_an_error(mini):
    text = (mini / "edition.yaml").read_text(encoding="utf-8")
    write(mini, "edition.yaml", text[: text.index("pages:")] + "pages: []\n")
    (err,) = errors(mini)
    assert err.field == "pages" and "no pages" in err.message


def test_a_missing_required_field_is_named(mini):
    edit(mini, "edition.yaml", "date: 2026-11-28\n", "")
    (err,) = errors(mini)
    assert err.field == "date" and "missing" in err.message


def test_a_jump_to_a_page_the_edition_does_not_have(mini):
    edit(mini, "edition.yaml", "      - source: articles/b.md", "      - source: articles/b.md\n        continue_on: 9")
    (err,) = errors(mini)
    assert err.field == "pages[0].articles[1].continue_on" and "page 9" in err.message


def test_a_jump_to_its_own_page(mini):
    edit(mini, "edition.yaml", "      - source: articles/b.md", "      - source: articles/b.md\n        continue_on: 1")
    (err,) = errors(mini)
    assert "own page" in err.message


def test_all_problems_of_a_run_are_reported_at_once(mini):
    edit(mini, "edition.yaml", "issue: 101", "issue: hundred")
    edit(mini, "edition.yaml", "articles/c.md", "articles/nothere.md")
    edit(mini, "articles/b.md", "headline: 社区图书馆延长开放时间", "headline: ''")
    assert len(errors(mini)) == 3


def test_an_article_placed_twice_is_an_error(mini):
    edit(mini, "edition.yaml", "articles/c.md", "articles/a.md")
    (err,) = errors(mini)
    assert err.kind == "duplicate-article"


def test_a_bad_placement_value_is_named(mini):
    edit(mini, "edition.yaml", "        rank: lead",
         "        rank: lead\n        place: {column: 0, span: 2, row: 13, rows: 10}")
    (err,) = errors(mini)
    assert err.field == "pages[0].articles[0].place.column"


def test_loading_leaves_the_parsed_edition_yaml_as_it_was():
    """The parse of edition.yaml is kept for the next build of the same text (`watch`) and
    shared: loading must only read it."""
    import copy

    from layout.edition.yamlsrc import load_located_kept
    text = (SAMPLE / "edition.yaml").read_text(encoding="utf-8")
    data, lines = load_located_kept(text)
    before = copy.deepcopy((data, lines))
    first, _ = load_edition(SAMPLE)
    again, _ = load_edition(SAMPLE)
    assert load_located_kept(text)[0] is data, "the same text is not parsed again"
    assert (data, lines) == before
    assert first == again


def test_a_path_is_shown_relative_to_the_working_directory_it_was_asked_from(tmp_path, monkeypatch):
    from layout.edition.source import display_path
    (tmp_path / "a").mkdir()
    file = tmp_path / "a" / "x.md"
    monkeypatch.chdir(tmp_path)
    assert display_path(file) == "a/x.md"
    monkeypatch.chdir(tmp_path / "a")
    assert display_path(file) == "x.md"
    assert display_path(tmp_path / "b.md") == str(tmp_path / "b.md")   # outside: shown whole
