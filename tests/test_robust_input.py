"""Bad input, as a hostile or careless user writes it, ends in a clear problem.

Every case: exit 1 with `file:line: field: message` (or a clear warning), in
bounded time and memory, the last good output untouched. One test per family
— YAML, text, layout, pictures — each with the siblings found while fixing.
"""
from __future__ import annotations

import io
import struct
import zlib

import pytest

from layout.build import build_edition
from layout.edition.load import load_edition

from .robust import banmian, edit, failed_cleanly

ALIAS_BOMB = "bomb: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"bomb{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9))


def load_errors(folder):
    edition, problems = load_edition(folder)
    assert edition is None, "bad input must not load"
    return problems.errors


# -- YAML ---------------------------------------------------------------------

YAML_CASES = {
    # name: (old, new, expected kind, expected words in the message, expected field)
    "an alias bomb": ("issue: 101", "issue: 101\n" + ALIAS_BOMB, "yaml", "aliases", ""),
    "deep nesting": ("issue: 101", "issue: " + "[" * 5000 + "]" * 5000, "yaml", "nest", ""),
    "a list as a key": ("issue: 101", "issue: 101\n? [a, b]\n: 1", "yaml", "key must be plain text", ""),
    "a date the calendar lacks": ("date: 2026-11-28", "date: 2026-02-30", "yaml", "day is out of range", ""),
    "a date before the lunar table": ("date: 2026-11-28", "date: 1850-01-01", "invalid", "农历", "date"),
    "a date after the lunar table": ("date: 2026-11-28", "date: 2150-01-01", "invalid", "农历", "date"),
    "a 5,000-digit number": ("issue: 101", "issue: " + "9" * 5000, "yaml", "cannot read", ""),
    "a giant issue": ("issue: 101", "issue: " + "9" * 40, "yaml", "too large", ""),
    "an issue past the limit": ("issue: 101", "issue: 123456789012", "invalid", "0 to", "issue"),
    "a huge scalar": ("section: 城事", "section: " + "城" * 1_000_000, "too-long", "at most 10", "pages[1].section"),
    "a gutter of 0": ("template: tabloid", "template: {name: tabloid, gutter_chars: 0}", "out-of-range", "0.5",
                      "template.gutter_chars"),
    "a NaN gutter": ("template: tabloid", "template: {name: tabloid, gutter_chars: .nan}", "yaml", "finite", ""),
    "an infinite page": ("template: tabloid", "template: {name: tabloid, trim_width_mm: .inf}", "yaml", "finite",
                         ""),
    "a negative margin": ("template: tabloid", "template: {name: tabloid, margin_side_mm: -50}", "out-of-range",
                          "3", "template.margin_side_mm"),
    "a negative bleed": ("template: tabloid", "template: {name: tabloid, bleed_mm: -5}", "out-of-range", "0",
                         "template.bleed_mm"),
    "a body size of 0": ("template: tabloid", "template: {name: tabloid, body_size: 0}", "out-of-range", "5",
                         "template.body_size"),
    "a billion columns": ("template: tabloid", "template: {name: tabloid, columns: 1000000000}", "out-of-range",
                          "20", "template.columns"),
    "a label prefix that is a path": ("template: tabloid", "template: {name: tabloid, page_label_prefix: ../../x}",
                                      "out-of-range", "letters", "template.page_label_prefix"),
}


@pytest.mark.parametrize("case", YAML_CASES, ids=list(YAML_CASES))
def test_bad_yaml_in_edition_yaml_is_an_error_on_its_line(edition_copy, case):
    old, new, kind, words, field = YAML_CASES[case]
    folder = edition_copy("mini")
    edit(folder, "edition.yaml", old, new)
    errs = load_errors(folder)
    err = next((e for e in errs if e.kind == kind), None)
    assert err is not None, [str(e) for e in errs]
    assert words in err.message and err.file.endswith("edition.yaml") and err.line >= 1
    assert err.field == field


@pytest.mark.parametrize("front, kind, words", [
    ("byline: 2026-02-30", "yaml", "day is out of range"),
    ("byline: " + "9" * 5000, "yaml", "cannot read"),
    ("? {a: 1}\n: x", "yaml", "key must be plain text"),
    (ALIAS_BOMB, "yaml", "aliases"),
    ("short_headline: " + "长" * 500, "too-long", "at most 32"),
    ("kicker: " + "引" * 300, "too-long", "at most 100"),
])
def test_bad_front_matter_is_an_error_on_its_line(edition_copy, front, kind, words):
    folder = edition_copy("mini")
    edit(folder, "articles/c.md", "---\n", "---\n" + front + "\n")
    err = next(e for e in load_errors(folder) if e.kind == kind)
    assert words in err.message and err.file.endswith("articles/c.md") and err.line >= 2


def test_a_yaml_bomb_does_not_reach_the_memory_cap_through_the_cli(edition_copy, tmp_path):
    folder = edition_copy("mini")
    edit(folder, "edition.yaml", "issue: 101", "issue: 101\n" + ALIAS_BOMB.replace("range", "") + (
        "more: &b9 [" + ", ".join(["*a8"] * 10) + "]\n"))
    errs = failed_cleanly(banmian("build", folder, "-o", tmp_path / "out", "-q"))
    assert any("edition.yaml:" in e and "aliases" in e for e in errs)


# -- text -----------------------------------------------------------------------

def test_a_200000_character_run_with_no_break_is_reported_once_and_clipped(edition_copy, tmp_path):
    folder = edition_copy("mini")
    edit(folder, "articles/c.md", "---\n经过", "---\n" + "A" * 200_000 + "\n\n经过")
    proc = banmian("build", folder, "-o", tmp_path / "out")
    errs = failed_cleanly(proc)                        # overset: 200,000 letters do not fit a page
    assert any("overset" in e for e in errs)
    long_units = [ln for ln in proc.stderr.splitlines() if "longer than a column line" in ln]
    assert len(long_units) == 1 and "200,000 characters" in long_units[0] and len(long_units[0]) < 400


@pytest.mark.parametrize("opener", ['"', "'", "(", "“"])
def test_an_unclosed_quote_or_bracket_before_a_long_paragraph_is_cleaned_in_one_pass(edition_copy, tmp_path,
                                                                                       opener):
    folder = edition_copy("mini")
    edit(folder, "articles/c.md", "---\n经过", "---\n中" + opener + "中文字符" * 30_000 + "\n\n经过")
    errs = failed_cleanly(banmian("build", folder, "-o", tmp_path / "out", "-q"))
    assert any("overset" in e for e in errs)


def test_a_6_gb_sparse_article_is_refused_unread(edition_copy, tmp_path):
    folder = edition_copy("mini")
    with open(folder / "articles" / "c.md", "r+b") as f:
        f.truncate(6 * 1024 ** 3)
    errs = failed_cleanly(banmian("build", folder, "-o", tmp_path / "out", "-q"))
    assert any("articles/c.md" in e and "larger than 4 MB" in e for e in errs)


def test_an_edition_yaml_that_is_not_text_is_refused(edition_copy):
    folder = edition_copy("mini")
    with open(folder / "edition.yaml", "ab") as f:
        f.truncate(5 * 1024 ** 3)
    (err,) = load_errors(folder)
    assert err.kind == "file-too-large" and err.file.endswith("edition.yaml")


@pytest.mark.parametrize("body", ["## 小标题一\n\n## 小标题二\n", "## 只有小标题\n", "\n\n\n"])
def test_an_article_without_body_text_is_an_error(edition_copy, body):
    folder = edition_copy("mini")
    (folder / "articles" / "c.md").write_text("---\nheadline: 标题\n---\n" + body, encoding="utf-8")
    err = next(e for e in load_errors(folder) if e.kind == "empty-body")
    assert err.file.endswith("articles/c.md") and err.line == 4


def test_a_headline_too_wide_for_its_block_is_an_error_not_drawn_off_the_page(edition_copy, tmp_path):
    """64 characters are allowed, but not in a one-column brief: at its smallest size it
    would run out of the block (it was drawn off the page with exit 0)."""
    folder = edition_copy("mini")
    edit(folder, "articles/c.md", "headline: 老街改造完成后重新开放", "headline: " + "老街改造完成后重新开放" * 5)
    edit(folder, "edition.yaml", "      - source: articles/c.md",
         "      - source: articles/c.md\n        rank: brief\n        place: {column: 1, span: 1, row: 4, rows: 60}")
    result = build_edition(folder, tmp_path / "out")
    err = next(p for p in result.problems.errors if p.kind == "too-wide")
    assert "headline" in err.message and "1-column block" in err.message
    assert err.article == "c" and err.file.endswith("edition.yaml") and err.line > 0
    assert not (tmp_path / "out" / "mini" / "mini.pdf").exists()


@pytest.mark.parametrize("field, value", [("address", "地" * 50), ("printer", "印" * 30)])
def test_an_imprint_too_long_for_the_page_is_set_smaller_or_reported(edition_copy, tmp_path, field, value):
    folder = edition_copy("mini")
    edit(folder, "edition.yaml", "postal_code: 1-234}", f"postal_code: 1-234, {field}: {value}, price: 每份2元}}")
    result = build_edition(folder, tmp_path / "out")
    imprint = next(b for b in result.tree.pages[-1].blocks if b.kind == "imprint")
    (line,) = imprint.lines
    assert result.template.left - 0.5 <= line.x and line.x + line.measure <= \
        result.template.left + result.template.type_width + 0.5
    assert line.runs[0].size >= 6.5 or any(p.kind == "too-wide" for p in result.problems.errors)


# -- layout ---------------------------------------------------------------------

def test_a_backward_jump_is_an_error_not_a_crash(edition_copy, tmp_path):
    folder = edition_copy("mini")
    edit(folder, "edition.yaml", "      - source: articles/c.md",
         "      - source: articles/c.md\n        continue_on: 1")
    errs = failed_cleanly(banmian("build", folder, "-o", tmp_path / "out", "-q"))
    assert any("edition.yaml:18: pages[1].articles[0].continue_on: error: a jump goes to a later page" in e
               for e in errs)


def test_an_empty_page_is_not_built_silently(edition_copy):
    folder = edition_copy("mini")
    (folder / "edition.yaml").write_text((folder / "edition.yaml").read_text(encoding="utf-8")
                                         + "  - number: 3\n    section: 空版\n    articles: []\n", encoding="utf-8")
    err = next(e for e in load_errors(folder) if e.kind == "empty-page")
    assert err.field == "pages[2]" and err.line == 18 and "page 3 has no articles" in err.message


def test_two_articles_with_one_name_in_different_folders_are_an_error(edition_copy):
    folder = edition_copy("mini")
    (folder / "articles" / "more").mkdir()
    (folder / "articles" / "more" / "c.md").write_text("---\nheadline: 另一篇\n---\n正文。\n", encoding="utf-8")
    edit(folder, "edition.yaml", "      - source: articles/c.md", "      - source: articles/c.md\n"
                                                                   "      - source: articles/more/c.md")
    err = next(e for e in load_errors(folder) if e.kind == "duplicate-article")
    assert "two articles are called 'c'" in err.message and err.field == "pages[1].articles[1].source"


# -- pictures -------------------------------------------------------------------

def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(100_000, 100_000), (9000, 9000), (1, 2_000_000_000)])
def test_a_small_png_that_would_decode_to_gigabytes_is_refused_from_its_header(edition_copy, tmp_path, width,
                                                                                 height):
    folder = edition_copy("mini")
    (folder / "images").mkdir()
    (folder / "images" / "bomb.png").write_bytes(png_claiming(width, height))
    edit(folder, "articles/c.md", "---\n经过", "---\n![炸弹](images/bomb.png)\n\n")
    errs = failed_cleanly(banmian("build", folder, "-o", tmp_path / "out", "-q"))
    assert any("articles/c.md:" in e and "image: error: image images/bomb.png is too large" in e for e in errs)


def test_a_file_that_holds_more_than_its_size_says_is_still_read_only_to_the_limit(tmp_path):
    """`read_at_most` asks for the size fstat reports; a file that grows (or a device, which
    reports 0) is read on, but never past the limit."""
    from layout.edition.source import read_at_most
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with open(empty, "rb") as claims:

        class Growing(io.BytesIO):
            def fileno(self):       # what fstat sees: a file of 0 bytes
                return claims.fileno()

        assert read_at_most(Growing(b"x" * 10), 100) == b"x" * 10
        assert read_at_most(Growing(b"x" * 1000), 100) == b"x" * 101, "one byte past the limit: too large"
    real = tmp_path / "real"
    real.write_bytes(b"y" * 50)
    with open(real, "rb") as f:
        assert read_at_most(f, 100) == b"y" * 50
    with open(real, "rb") as f:
        assert read_at_most(f, 20) == b"y" * 21
