"""The colour plan: a second colour (套红) for the nameplate — a spot ink as a Separation
on the press's pages, its process equivalent on screen — while black text stays K only."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from layout.build import build_edition
from layout.qa.pdfinspect import _k_only, inspect_pdf

SPOT = "accent: {spot: PANTONE 485 C, cmyk: [0, 95, 100, 0]}\n"


def _with(folder, line: str) -> None:
    yaml = folder / "edition.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("issue: 101\n", "issue: 101\n" + line), encoding="utf-8")


def _nameplate_ops(pdf_path) -> str:
    """The colour operators that precede the nameplate's text on page 1."""
    with pikepdf.open(pdf_path) as pdf:
        ops = []
        for operands, op in pikepdf.parse_content_stream(pdf.pages[0]):
            name = str(op)
            if name in ("k", "rg", "cs", "scn", "g"):
                ops.append(f"{' '.join(str(o) for o in operands)} {name}")
            if name == "Tj":
                return " | ".join(ops[-3:])
    return ""


def test_the_nameplate_prints_in_the_spot_ink_and_black_text_stays_k_only(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _with(folder, SPOT)
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    press = result.out_dir / "print" / "01.pdf"
    with pikepdf.open(press) as pdf:
        spaces = pdf.pages[0].Resources.ColorSpace
        (space,) = list(spaces.values())
        assert str(space[0]) == "/Separation" and str(space[1]) == "/PANTONE 485 C"
        assert str(space[2]) == "/DeviceCMYK", "its process equivalent is the alternate"
    assert "scn" in _nameplate_ops(press)
    (facts,) = inspect_pdf(press)
    assert facts.text_spot >= 1 and facts.text_not_k == 0 and facts.text_not_overprint == 0
    assert not facts.rgb_operators
    page2 = inspect_pdf(result.out_dir / "print" / "02.pdf")[0]
    assert page2.text_spot == 0, "only page 1 has a nameplate (page 2's spot is its section bar)"
    # on screen the same red, as RGB
    assert "1.000 0.050 0.000 rg" in _nameplate_ops(result.out_dir / "mini.pdf")
    layout = result.tree.pages[0]
    (nameplate,) = [b for b in layout.blocks if b.kind == "nameplate"]
    assert nameplate.colour == "accent" and nameplate.lines[0].text == "示例晚报"


@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript not installed")
def test_ghostscript_separates_the_spot_ink_onto_its_own_plate(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _with(folder, SPOT)
    result = build_edition(folder, tmp_path / "out")
    subprocess.run(["gs", "-q", "-o", str(tmp_path / "sep.tif"), "-sDEVICE=tiffsep", "-r20",
                    str(result.out_dir / "print" / "01.pdf")], check=True, capture_output=True)
    from PIL import Image
    plate = tmp_path / "sep(PANTONE 485 C).tif"
    assert plate.is_file()
    with Image.open(plate) as im:
        assert im.getextrema()[0] < 128, "the spot plate carries ink (the nameplate)"


def test_a_process_accent_is_plain_cmyk_and_a_black_only_page_has_none(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _with(folder, "accent: {cmyk: [0, 100, 100, 0]}\n")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok
    assert "0 1 1 0 k" in _nameplate_ops(result.out_dir / "print" / "01.pdf")
    assert inspect_pdf(result.out_dir / "print" / "01.pdf")[0].text_not_k == 0
    shutil.rmtree(tmp_path / "out")
    yaml = folder / "edition.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("accent: {cmyk: [0, 100, 100, 0]}\n", SPOT)
                    .replace("    section: 要闻\n", "    section: 要闻\n    accent: false\n", 1), encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    assert "Separation" not in inspect_pdf(result.out_dir / "print" / "01.pdf")[0].colour_spaces
    assert [b.colour for b in result.tree.pages[0].blocks if b.kind == "nameplate"] == ["K"]


@pytest.mark.parametrize("line, field, words", [
    ("accent: {cmyk: [0, 100, 100]}\n", "accent.cmyk", "four percentages"),
    ("accent: {cmyk: [0, 100, 100, 120]}\n", "accent.cmyk", "0–100"),
    ("accent: {spot: 'red/ink', cmyk: [0, 100, 100, 0]}\n", "accent.spot", "spot ink's name"),
    ("accent: {spot: PANTONE 485 C}\n", "accent.cmyk", "four percentages"),
])
def test_a_wrong_colour_plan_is_an_error_naming_its_field(edition_copy, tmp_path, line, field, words):
    folder = edition_copy("mini")
    _with(folder, line)
    result = build_edition(folder, tmp_path / "out")
    (error,) = result.problems.errors
    assert error.field == field and words in error.message and error.line == 4


def test_black_text_built_from_colour_inks_is_not_k_only():
    assert _k_only(("k", (0.0, 0.0, 0.0, 1.0))) and _k_only(("g", (0.0,)))
    assert _k_only(("k", (0.0, 0.0, 0.0, 0.5))), "a grey of K"
    assert _k_only(("k", (0.0, 1.0, 1.0, 0.0))), "a colour with no black"
    assert not _k_only(("k", (0.6, 0.4, 0.4, 1.0))), "rich black"
    assert not _k_only(("rg", (0.0, 0.0, 0.0)))


def test_the_sample_edition_has_a_red_nameplate(sample_build):
    ops = _nameplate_ops(sample_build.out_dir / "print" / "01.pdf")
    assert re.search(r"/PANTONE 485 C cs \| 1 scn$", ops), ops


def test_with_an_accent_the_section_name_stands_white_on_a_bar_of_that_colour(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _with(folder, SPOT)
    result = build_edition(folder, tmp_path / "out")
    page = result.tree.pages[1]
    (bar,) = [b for b in page.blocks if b.kind == "bar"]
    (name,) = [b for b in page.blocks if b.kind == "section"]
    assert bar.colour == "accent" and name.colour == "white" and name.lines[0].text == "城事"
    assert bar.box.x < name.box.x and bar.box.right > name.box.right
    (facts,) = inspect_pdf(result.out_dir / "print" / "02.pdf")
    assert "Separation" in facts.colour_spaces and facts.text_white_overprint == 0 and facts.text_not_overprint == 0
    plain = build_edition(_fresh_mini(tmp_path), tmp_path / "plain")
    assert not [b for b in plain.tree.pages[1].blocks if b.kind in ("bar", "section")], "no accent: a black 版名"


def _fresh_mini(tmp_path):
    source = Path(__file__).resolve().parent / "fixtures" / "mini"
    copy = tmp_path / "plain-src" / "mini"
    shutil.copytree(source, copy)
    return copy
