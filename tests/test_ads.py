"""Booked ads: placed at the page's foot before the stories, PDF ads as Form XObjects with
their own colours on both products, pictures fitted; `check` holds each ad to its slot."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image as PILImage

from layout.build import build_edition
from layout.qa.pdfinspect import inspect_pdf
from layout.qa.preflight import check_edition

ROOT = Path(__file__).resolve().parent.parent
# the mini edition's tabloid page: 通栏 and 半通栏 slots, in points (from its layout.json)
TONGLAN = (684.0, 238.0)
BAN_TONGLAN = (684.0, 112.0)


def ad_pdf(path: Path, size: tuple[float, float], rgb: bool = False, embed: bool = True) -> None:
    """An advertiser's finished ad: a CMYK (or RGB) field and a line of text."""
    from reportlab.lib.colors import CMYKColor, Color
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas
    c = Canvas(str(path), pagesize=size, invariant=1)
    c.setFillColor(Color(0.1, 0.3, 0.7) if rgb else CMYKColor(1, 0.6, 0, 0.2))
    c.rect(0, 0, *size, fill=1, stroke=0)
    c.setFillColor(CMYKColor(0, 0, 0, 0))
    if embed:
        pdfmetrics.registerFont(TTFont("BanmianHei", str(ROOT / "fonts" / "BanmianHei-Bold.ttf")))
        c.setFont("BanmianHei", 40)
    else:
        c.setFont("Helvetica-Bold", 40)
    c.drawString(30, size[1] / 2 - 14, "清河银行 QINGHE BANK" if embed else "QINGHE BANK")
    c.setTrimBox((0, 0, *size))
    c.save()


def _book(folder: Path, ads: str) -> None:
    yaml = folder / "edition.yaml"
    text = yaml.read_text(encoding="utf-8").replace("    editor: 林编辑\n", "    editor: 林编辑\n    ads:\n" + ads)
    yaml.write_text(text, encoding="utf-8")
    (folder / "ads").mkdir(exist_ok=True)


def _ads(result) -> list[dict]:
    layout = json.loads((result.out_dir / "layout.json").read_text(encoding="utf-8"))
    return [b for b in layout["pages"][1]["blocks"] if b["kind"] == "ad"]


def test_ads_sit_at_the_foot_of_the_page_and_the_stories_above_them(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _book(folder, "      - {file: ads/bank.pdf, size: 通栏, advertiser: 清河银行}\n"
                  "      - {file: ads/mall.tif, size: 半通栏, advertiser: 滨河商场}\n")
    ad_pdf(folder / "ads" / "bank.pdf", TONGLAN)
    # a CMYK picture of the module's proportions
    PILImage.new("CMYK", (2400, round(2400 * BAN_TONGLAN[1] / BAN_TONGLAN[0])), (0, 40, 90, 0)).save(
        folder / "ads" / "mall.tif")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    ads = _ads(result)
    assert [(a["label"], a["image"]) for a in ads] == [("清河银行", "ads/bank.pdf"), ("滨河商场", "ads/mall.tif")]
    assert [a["box"][2:] for a in ads] == [list(TONGLAN), list(BAN_TONGLAN)]
    page = result.tree.pages[1]
    foot = max(b.box.bottom for b in page.blocks if b.kind == "ad")
    (imprint,) = [b for b in page.blocks if b.kind == "imprint"]   # the last page closes with it
    assert imprint.box.y - result.template.line_pitch < foot <= imprint.box.y + 0.01, "the ads stand on the imprint"
    top_of_ads = min(b.box.y for b in page.blocks if b.kind == "ad")
    for entry in page.articles:
        assert entry.box.bottom <= top_of_ads - result.template.line_pitch + 0.01, "a grid line between"
    # both products carry the PDF ad as a Form XObject, its CMYK kept on the press's page
    for pdf_path in (result.out_dir / "mini.pdf", result.out_dir / "print" / "02.pdf"):
        with pikepdf.open(pdf_path) as pdf:
            page_obj = pdf.pages[1] if pdf_path.name == "mini.pdf" else pdf.pages[0]
            forms = [x for x in page_obj.Resources.XObject.values() if x.Subtype == "/Form"]
            assert len(forms) == 1
            assert b"1 .6 0 .2 k" in forms[0].read_bytes() or b"1 0.6 0 0.2 k" in forms[0].read_bytes()
    (facts,) = inspect_pdf(result.out_dir / "print" / "02.pdf")
    assert not facts.rgb_operators and "DeviceRGB" not in facts.colour_spaces


def test_check_holds_each_ad_to_its_slot(edition_copy):
    folder = edition_copy("mini")
    _book(folder, "      - {file: ads/wrong.pdf, size: 通栏}\n      - {file: ads/wide.png, size: 半通栏}\n")
    ad_pdf(folder / "ads" / "wrong.pdf", (TONGLAN[0] * 1.1, TONGLAN[1]), rgb=True, embed=False)
    PILImage.new("RGB", (600, 100)).save(folder / "ads" / "wide.png")
    problems, _ = check_edition(folder)
    found = {(p.kind, p.file) for p in problems if p.kind.startswith("ad")}
    assert found >= {("ad-size", "ads/wrong.pdf"), ("ad-font", "ads/wrong.pdf"), ("ad-rgb", "ads/wrong.pdf"),
                     ("ad-size", "ads/wide.png"), ("ad-resolution", "ads/wide.png"), ("ad-rgb", "ads/wide.png")}
    size = next(p for p in problems if p.kind == "ad-size" and p.file == "ads/wrong.pdf")
    assert "265.4 × 84.0 mm, its slot 241.3 × 84.0 mm" in size.message


def test_a_page_of_ads_alone_and_ads_that_do_not_fit(edition_copy, tmp_path):
    folder = edition_copy("mini")
    yaml = folder / "edition.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + "  - number: 3\n    section: 广告\n    ads:\n"
                    "      - {file: ads/full.png, size: 整版, advertiser: 滨河商场}\n", encoding="utf-8")
    (folder / "ads").mkdir()
    PILImage.new("L", (1000, 1400), 200).save(folder / "ads" / "full.png")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    (ad,) = [b for b in result.tree.pages[2].blocks if b.kind == "ad"]
    assert not result.tree.pages[2].articles and ad.box.w == result.template.type_width
    _book(folder, "      - {file: ads/full.png, size: 整版}\n")   # and one on page 2, which has a story
    problems = build_edition(folder, tmp_path / "out2").problems
    assert any(p.kind == "ad-size" and "no room for articles" in p.message for p in problems.errors)


@pytest.mark.parametrize("ad, field, words", [
    ("{file: ads/none.pdf, size: 通栏}", "ads[0].file", "ad not found"),
    ("{file: ../escape.pdf, size: 通栏}", "ads[0].file", "leaves the edition folder"),
    ("{file: ads/x.pdf, size: 报花}", "ads[0].size", "unknown ad size"),
    ("{file: ads/x.pdf}", "ads[0]", "one of size"),
    ("{file: ads/x.txt, size: 通栏}", "ads[0].file", "PDF or a picture"),
])
def test_a_wrong_booking_is_an_error_naming_its_field(edition_copy, tmp_path, ad, field, words):
    folder = edition_copy("mini")
    _book(folder, f"      - {ad}\n")
    (folder / "ads" / "x.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / "ads" / "x.txt").write_text("ad", encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    (error,) = result.problems.errors
    assert words in error.message and error.field == f"pages[1].{field}"


def test_a_baoyan_ad_stands_in_the_right_ear_of_page_one(edition_copy, tmp_path):
    folder = edition_copy(ROOT / "editions" / "qinghe-ribao")
    yaml = folder / "edition.yaml"
    booking = "  - number: 1\n    ads:\n      - {file: ads/ear.pdf, size: 报眼, advertiser: 清河农商银行}\n"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("  - number: 1\n", booking, 1), encoding="utf-8")
    ad_pdf(folder / "ads" / "ear.pdf", (273.75, 165.2))   # the broadsheet's 报眼 module
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems.errors]
    page = result.tree.pages[0]
    (ad,) = [b for b in page.blocks if b.kind == "ad"]
    masthead = next(b for b in page.blocks if b.kind == "masthead")
    assert ad.label == "清河农商银行" and ad.box.right <= masthead.box.right + 0.01 and ad.box.y >= masthead.box.y
    assert "今日导读" not in " ".join(ln.text for ln in masthead.lines), "the ad takes the index's place"
    with pikepdf.open(result.out_dir / "print" / "01.pdf") as pdf:
        assert any(x.Subtype == "/Form" for x in pdf.pages[0].Resources.XObject.values())


def test_a_baoyan_ad_is_for_page_one_only(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _book(folder, "      - {file: ads/ear.pdf, size: 报眼}\n")
    ad_pdf(folder / "ads" / "ear.pdf", (200, 100))
    (error,) = build_edition(folder, tmp_path / "out").problems.errors
    assert error.field == "pages[1].ads[0].size" and "page 1 only" in error.message


@pytest.mark.skipif(shutil.which("gs") is None, reason="needs Ghostscript to render the press page in CMYK")
def test_a_pdf_ad_prints_on_the_press_page_as_its_maker_drew_it(edition_copy, tmp_path):
    """The press page overprints its black text; an ad drawn in that state would overprint
    itself (its white type vanishing into the field). Rendered as a press would (CMYK, with
    overprint), the ad on the page has the same inks as the ad file alone."""
    import numpy as np
    folder = edition_copy("mini")
    _book(folder, "      - {file: ads/bank.pdf, size: 通栏, advertiser: 清河银行}\n")
    ad_pdf(folder / "ads" / "bank.pdf", TONGLAN)
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]

    def inks(pdf: Path) -> np.ndarray:
        out = tmp_path / f"{pdf.stem}.tif"
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiff32nc", "-r72",
                        f"-sOutputFile={out}", str(pdf)], check=True, capture_output=True)
        with PILImage.open(out) as im:
            return np.asarray(im.convert("CMYK"), dtype=np.int16)

    page, ad = inks(result.out_dir / "print" / "02.pdf"), inks(folder / "ads" / "bank.pdf")
    (block,) = _ads(result)
    with pikepdf.open(result.out_dir / "print" / "02.pdf") as pdf:   # the trim inside bleed and crop marks
        trim, height = [float(v) for v in pdf.pages[0].TrimBox], float(pdf.pages[0].MediaBox[3])
    x = round(trim[0] + block["box"][0])
    y = round(height - trim[3] + block["box"][1])
    placed = page[y:y + ad.shape[0], x:x + ad.shape[1]]
    white = (ad.sum(axis=2) < 10)
    assert white.sum() > 100, "the test ad has white type"
    # (most, not all: glyph edges fall on other pixels at the page's sub-pixel offset; overprinted, none)
    assert (placed[white].sum(axis=1) < 60).mean() > 0.75, "the ad's white type knocks out on the press page"
    assert np.abs(placed.mean(axis=(0, 1)) - ad.mean(axis=(0, 1))).max() < 6


def _place_all(folder: Path) -> None:
    """Lay the mini edition's page 2 (five columns) out by hand: its one story in columns 1–3."""
    yaml = folder / "edition.yaml"
    slot = "      - source: articles/c.md\n"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace(
        slot, slot + "        place: {column: 1, span: 3, row: 4, rows: 40}\n"), encoding="utf-8")


def test_an_ad_in_grid_cells_stands_beside_the_stories_of_a_page_laid_out_by_hand(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _place_all(folder)
    _book(folder, "      - {file: ads/side.pdf, place: {column: 4, span: 2, row: 4, rows: 20}, advertiser: 滨河商场}\n")
    ad_pdf(folder / "ads" / "side.pdf", (100, 100))
    result = build_edition(folder, tmp_path / "out")
    page = result.tree.pages[1]
    (block,) = [b for b in page.blocks if b.kind == "ad"]
    tpl = result.template
    ad_pdf(folder / "ads" / "side.pdf", (block.box.w, block.box.h))   # the advertiser's file, now its size known
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    (block,) = _ads(result)
    x, y, w, h = block["box"]
    assert x == pytest.approx(tpl.column_x(4), abs=0.01) and w == pytest.approx(tpl.span_width(2), abs=0.01)
    assert y == pytest.approx(tpl.row_top(4), abs=0.01) and h == pytest.approx(20 * tpl.line_pitch, abs=0.01)
    story = next(a for a in result.tree.pages[1].articles if a.id == "c")
    assert story.box.right < x, "the story keeps to its columns"
    problems, _ = check_edition(folder)
    assert not [p for p in problems.errors if p.kind == "ad-size"], "check holds it to its cells"


def test_an_ad_in_grid_cells_needs_a_page_laid_out_by_hand_and_no_story_on_it(edition_copy, tmp_path):
    folder = edition_copy("mini")
    _book(folder, "      - {file: ads/side.pdf, place: {column: 4, span: 2, row: 4, rows: 20}}\n")
    ad_pdf(folder / "ads" / "side.pdf", (200, 280))
    errors = build_edition(folder, tmp_path / "auto").problems.errors
    assert [e.kind for e in errors] == ["ad-size"] and "laid out by hand" in errors[0].message
    assert errors[0].field == "pages[1].ads[0].place"
    _place_all(folder)
    yaml = folder / "edition.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("span: 3, row: 4", "span: 4, row: 4"), encoding="utf-8")
    errors = build_edition(folder, tmp_path / "clash").problems.errors
    assert [e.kind for e in errors] == ["overlap"] and "the ad side.pdf" in errors[0].message
