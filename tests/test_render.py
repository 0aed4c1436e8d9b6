"""PDF output: print pages a press can plate, and the reader's edition."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from layout.build import build_edition
from layout.units import mm

from .conftest import SAMPLE


def content(page) -> bytes:
    return page.get_contents().get_data()


@pytest.fixture(scope="module")
def prints(sample_build):
    return sorted((sample_build.out_dir / "print").glob("*.pdf"))


def test_every_print_page_has_a_trimbox_of_the_template_trim_size(prints):
    for pdf in prints:
        (page,) = PdfReader(pdf).pages
        trim = page.trimbox
        assert abs(float(trim.width) - mm(390)) < 0.01 and abs(float(trim.height) - mm(545)) < 0.01
        assert page.bleedbox == page.trimbox == page.mediabox  # newspaper default: no bleed, no marks


def test_print_pages_use_no_rgb_and_black_is_k_only_and_overprints(prints):
    for pdf in prints:
        (page,) = PdfReader(pdf).pages
        data = content(page)
        assert not re.search(rb"(^|\s)[\d.]+ [\d.]+ [\d.]+ (rg|RG)(\s|$)", data), pdf.name
        assert b"0 0 0 1 k" in data and b"0 0 0 1 K" in data
        states = page["/Resources"]["/ExtGState"]
        merged: dict = {}
        for state in states.values():
            for k, v in state.get_object().items():
                if k in ("/OP", "/op", "/OPM"):
                    merged.setdefault(k, set()).add(v == True if k != "/OPM" else int(v))  # noqa: E712
        # overprint on for black; off only for 反白 white type (pdfinspect counts which text uses which)
        assert True in merged["/OP"] and True in merged["/op"] and merged["/OPM"] == {1}, merged
        from layout.qa.pdfinspect import inspect_pdf
        (facts,) = inspect_pdf(pdf)
        assert facts.text_not_overprint == 0 and facts.text_white_overprint == 0 and facts.text_not_k == 0


def test_print_pages_carry_the_pdfx_markers(prints):
    reader = PdfReader(prints[0])
    info = reader.metadata
    assert info["/GTS_PDFXVersion"] == "PDF/X-1a:2001" and info["/Trapped"] == "/False"
    root = reader.trailer["/Root"]
    (intent,) = root["/OutputIntents"]
    assert intent.get_object()["/OutputConditionIdentifier"] == "IFRA26"
    meta = root["/Metadata"].get_object()
    assert meta["/Type"] == "/Metadata" and meta["/Subtype"] == "/XML"
    assert b"GTS_PDFXVersion" in meta.get_data()
    assert reader.trailer["/ID"][0] == reader.trailer["/ID"][1]


def test_print_images_are_grey_or_cmyk(prints):
    for pdf in prints:
        (page,) = PdfReader(pdf).pages
        for _, ref in (page["/Resources"].get("/XObject") or {}).items():
            xo = ref.get_object()
            if xo["/Subtype"] == "/Image":
                assert xo["/ColorSpace"] in ("/DeviceCMYK", "/DeviceGray"), (pdf.name, xo["/ColorSpace"])


def test_bleed_and_crop_marks_keep_trim_inside_bleed_inside_media(edition_copy, tmp_path):
    folder = edition_copy("mini")
    ed = folder / "edition.yaml"
    ed.write_text(ed.read_text(encoding="utf-8").replace(
        "template: tabloid", "template: {name: tabloid, bleed_mm: 3, crop_marks: true}"), encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok
    (page,) = PdfReader(result.out_dir / "print" / "01.pdf").pages
    t, b, m = page.trimbox, page.bleedbox, page.mediabox
    assert abs(float(t.width) - mm(273)) < 0.01
    assert abs(float(b.width) - float(t.width) - 2 * mm(3)) < 0.01
    assert m.left <= b.left < t.left and t.right < b.right <= m.right
    assert m.bottom <= b.bottom < t.bottom and t.top < b.top <= m.top


def test_the_reader_outline_lists_every_page_and_article(sample_build):
    reader = PdfReader(sample_build.out_dir / "qinghe-ribao.pdf")
    outline = reader.outline
    pages = [o for o in outline if not isinstance(o, list)]
    assert [p.title for p in pages] == ["01 要闻", "02 要闻", "03 经济", "04 文化", "05 广告", "06 生活"]
    kids: dict[str, list] = {}           # each page's entry is followed by its articles', if it has any
    for item, after in zip(outline, outline[1:] + [None]):
        if not isinstance(item, list):
            kids[item.title] = after if isinstance(after, list) else []
    for page in sample_build.tree.pages:
        assert len(kids[f"{page.label} {page.section}"]) == len(page.articles)
    assert kids["05 广告"] == [], "a page of ads lists no articles"
    assert "清河至东港城际铁路全线贯通" in [k.title for k in kids["01 要闻"]]
    # every entry is shown, the pages' open (PDF 32000-1 §12.3.3: Count is the visible entries)
    root = reader.trailer["/Root"]
    assert root["/PageMode"] == "/UseOutlines"
    assert root["/Outlines"]["/Count"] == len(pages) + sum(len(k) for k in kids.values())
    assert [p.get("/Count") for p in pages] == [len(kids[p.title]) or None for p in pages]


def test_the_reader_has_page_labels_language_and_metadata(sample_build):
    reader = PdfReader(sample_build.out_dir / "qinghe-ribao.pdf")
    assert reader.page_labels == ["01", "02", "03", "04", "05", "06"]
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "zh-Hans"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == "清河日报 2026年11月28日"
    assert reader.metadata.author == "清河日报社"


def test_jump_lines_link_to_the_continuation_and_back(sample_build):
    reader = PdfReader(sample_build.out_dir / "qinghe-ribao.pdf")
    targets = {}
    for number, page in enumerate(reader.pages, start=1):
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") == "/Link":
                dest = a["/Dest"] if "/Dest" in a else a["/A"]["/D"]
                if isinstance(dest, str) or hasattr(dest, "startswith"):
                    dest = reader.named_destinations[str(dest)]
                    targets[number] = reader.get_destination_page_number(dest) + 1
                else:
                    targets[number] = reader.get_page_number(dest[0].get_object()) + 1
    assert targets == {1: 2, 2: 1}


def test_text_comes_out_one_article_after_another(edition_copy, tmp_path):
    result = build_edition(edition_copy("mini"), tmp_path / "out")
    text = re.sub(r"\s+", "", PdfReader(result.out_dir / "mini.pdf").pages[0].extract_text())
    a_first, a_last = text.index("记者从市城市管理局获悉"), text.index("自动调整供水温度")
    b_first = text.index("从下月起")
    assert a_first < a_last < b_first, "columns of one article are never interleaved with another"


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_finds_no_structural_error(sample_build, prints):
    for pdf in [sample_build.out_dir / "qinghe-ribao.pdf", *prints]:
        proc = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True, check=False)
        warnings = [w for w in proc.stderr.splitlines() if w.startswith("WARNING")]
        assert proc.returncode in (0, 3) and not warnings, (pdf.name, proc.stdout[-500:], proc.stderr[-500:])


def test_the_reader_edition_is_reportlabs_file_and_one_update_whose_syntax_qpdf_finds_sound(sample_build):
    """No second program rewrites the reader edition: its tags, outline and metadata are one
    incremental update, located by a cross-reference stream whose /Prev is reportlab's table."""
    import pikepdf
    path = sample_build.out_dir / "qinghe-ribao.pdf"
    data = path.read_bytes()
    assert data.startswith(b"%PDF-1.7") and data.count(b"%%EOF") == 2
    last = int(data[-64:].rsplit(b"startxref", 1)[1].split()[0])
    assert re.match(rb"\d+ 0 obj\n<</Type/XRef", data[last:last + 40])
    with pikepdf.open(path) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert str(pdf.Root.StructTreeRoot.K[0].S) == "/Document" and pdf.Root.Lang == "zh-Hans"


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils not installed")
def test_pdfinfo_recognises_the_print_pages_as_pdfx(prints):
    proc = subprocess.run(["pdfinfo", str(prints[0])], capture_output=True, text=True, check=False)
    assert "PDF/X-1a:2001" in proc.stdout


def test_a_corrupt_image_is_an_error(edition_copy, tmp_path):
    folder = edition_copy("mini")
    (folder / "images").mkdir(exist_ok=True)
    (folder / "images" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    art = folder / "articles" / "c.md"
    art.write_text(art.read_text(encoding="utf-8") + "\n![说明](images/bad.png)\n", encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    (err,) = result.problems.errors
    assert err.kind == "corrupt-image" and err.file.endswith("c.md")


def test_a_low_resolution_image_is_a_warning_with_its_ppi(edition_copy, tmp_path):
    from PIL import Image
    folder = edition_copy("mini")
    (folder / "images").mkdir(exist_ok=True)
    Image.new("RGB", (200, 150), (120, 90, 60)).save(folder / "images" / "small.png")
    art = folder / "articles" / "c.md"
    art.write_text(art.read_text(encoding="utf-8") + "\n![说明](images/small.png)\n", encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok
    (warn,) = [p for p in result.problems.warnings if p.kind == "low-resolution"]
    assert re.search(r"prints at \d+ ppi", warn.message) and warn.article == "c"


def test_a_cmyk_jpeg_is_drawn_in_both_products(edition_copy, tmp_path):
    from PIL import Image
    folder = edition_copy("mini")
    (folder / "images").mkdir(exist_ok=True)
    Image.new("CMYK", (1600, 1000), (10, 60, 80, 5)).save(folder / "images" / "cmyk.jpg", quality=80)
    art = folder / "articles" / "c.md"
    art.write_text(art.read_text(encoding="utf-8") + "\n![说明](images/cmyk.jpg)\n", encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems.errors]


GS_CMYK = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


def _with_press_profile(edition_copy, template_extra: str = ""):
    """The mini edition with Ghostscript's CMYK profile named as its output profile."""
    folder = edition_copy("mini")
    shutil.copy(GS_CMYK, folder / "press.icc")
    ed = folder / "edition.yaml"
    ed.write_text(ed.read_text(encoding="utf-8").replace(
        "template: tabloid", f"template: {{name: tabloid, icc_profile: press.icc{template_extra}}}"), encoding="utf-8")
    return folder


@pytest.mark.skipif(not GS_CMYK.is_file(), reason="no CMYK ICC profile on this machine (Debian ghostscript)")
def test_a_named_cmyk_profile_makes_pdfx4_print_pages(edition_copy, tmp_path):
    folder = _with_press_profile(edition_copy)
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems.errors]
    reader = PdfReader(result.out_dir / "print" / "01.pdf")
    assert reader.metadata["/GTS_PDFXVersion"] == "PDF/X-4"
    (intent,) = reader.trailer["/Root"]["/OutputIntents"]
    profile = intent.get_object()["/DestOutputProfile"].get_object()
    assert profile["/N"] == 4 and profile.get_data() == GS_CMYK.read_bytes()


@pytest.mark.skipif(not GS_CMYK.is_file(), reason="no CMYK ICC profile on this machine (Debian ghostscript)")
def test_with_a_named_profile_rgb_photos_are_separated_through_it_within_the_ink_limit(edition_copy, tmp_path):
    from PIL import Image
    folder = _with_press_profile(edition_copy, ", ink_limit: 220")
    (folder / "images").mkdir(exist_ok=True)
    photo = Image.new("RGB", (1600, 1000), (128, 128, 128))      # mid grey above …
    photo.paste((0, 0, 0), (0, 500, 1600, 1000))                 # … solid black below
    photo.save(folder / "images" / "grey.png")
    art = folder / "articles" / "c.md"
    art.write_text(art.read_text(encoding="utf-8") + "\n![说明](images/grey.png)\n", encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems.errors]
    (image,) = PdfReader(result.out_dir / "print" / "02.pdf").pages[0].images
    pixels = image.image
    assert pixels.mode == "CMYK"
    w, h = pixels.size
    grey, black = pixels.getpixel((w // 2, h // 4)), pixels.getpixel((w // 2, 3 * h // 4))
    # the profile's grey is a four-colour grey (grey-component replacement alone would make it K only)
    assert grey[0] > 0 and grey[3] < 128
    # the profile's rich black (SWOP: about 300 %) is brought within this paper's 220 %
    assert 200 <= sum(black) / 2.55 <= 220.5 and black[3] == 255


def test_ink_limiting_moves_grey_to_black_then_thins_colour_and_leaves_the_rest_alone():
    import numpy as np
    from PIL import Image

    from layout.render.pdf import limit_ink
    rows = [(200, 190, 180, 100), (250, 250, 250, 250), (0, 255, 255, 0), (100, 50, 20, 10)]
    im = Image.fromarray(np.array([rows], dtype=np.uint8), mode="CMYK")
    out = np.asarray(limit_ink(im, 240)).astype(int)[0]
    totals = out.sum(axis=1) / 2.55
    assert (totals <= 240 + 1e-9).all()
    assert tuple(out[2]) == rows[2] and tuple(out[3]) == rows[3]      # within the limit: untouched
    assert out[0][3] > 100 and out[0][0] - out[0][2] == 20            # grey to K, the hue kept
    assert out[1][3] == 255                                           # K full: colour thinned


def test_a_named_profile_that_is_not_cmyk_is_an_error(edition_copy, tmp_path):
    from PIL import ImageCms
    folder = edition_copy("mini")
    (folder / "screen.icc").write_bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    ed = folder / "edition.yaml"
    ed.write_text(ed.read_text(encoding="utf-8").replace(
        "template: tabloid", "template: {name: tabloid, icc_profile: screen.icc}"), encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    (err,) = result.problems.errors
    assert err.kind == "icc" and "must be CMYK" in err.message and err.field == "template.icc_profile"


def test_a_picture_passes_through_qpdfs_save_as_it_was_compressed(tmp_path):
    """reportlab writes a picture's filter as `[/FlateDecode]`, which qpdf took for a stream
    to compress: it inflated and deflated every picture again (~0.1 s a photograph) when it
    saved the edition (its PDF ads placed, or linearised for the website). Written as the
    name, the picture's compressed bytes go through untouched — here bytes deflated at a
    level qpdf would not choose, so that compressing again would show."""
    import zlib

    pikepdf = pytest.importorskip("pikepdf")
    from layout.render.edition import linearize
    pixels = bytes(range(256)) * 3 * 64                  # a 64 × 256 grey ramp, RGB
    fast = zlib.compress(pixels, 1)
    assert fast != zlib.compress(pixels, 6)
    pdf = pikepdf.new()
    picture = pikepdf.Stream(pdf, fast, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=256,
                             Height=64, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8,
                             Filter=pikepdf.Array([pikepdf.Name.FlateDecode]))
    page = pdf.add_blank_page(page_size=(256, 64))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(picture)))
    page.Contents = pdf.make_stream(b"q 256 0 0 64 0 0 cm /Im0 Do Q")
    pdf.save(tmp_path / "drawn.pdf", compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    with pikepdf.open(tmp_path / "drawn.pdf") as drawn:     # as reportlab would have written it
        assert drawn.pages[0].Resources.XObject.Im0.read_raw_bytes() == fast
    with open(tmp_path / "edition.pdf", "wb") as out:
        linearize(tmp_path / "drawn.pdf", out)
    with pikepdf.open(tmp_path / "edition.pdf") as done:
        (image,) = [x for _, x in done.pages[0].Resources.XObject.items()]
        assert image.read_raw_bytes() == fast and image.read_bytes() == pixels
        assert image.Filter == pikepdf.Name.FlateDecode


# -- embedded fonts ------------------------------------------------------------------

def test_an_embedded_subset_keeps_used_glyphs_and_their_components(registry):
    import io

    from fontTools.ttLib import TTFont

    from layout.render.fontembed import embed, font_program
    kai = registry.faces["kai"]
    program = font_program(str(kai.path), kai.index)
    composite = next(g for g in range(1, len(program.offsets) - 1)
                     if len(program.glyph(g)) > 10 and program.glyph(g)[:2] == b"\xff\xff")
    components = program.closure({composite}) - {composite, 0}
    assert components, "the Kai face has composite glyphs: the test needs one"
    data, new_id = program.subset({kai.gids["永"], composite})
    assert sorted(new_id) == sorted({0, kai.gids["永"], composite, *components})   # nothing else
    subset = TTFont(io.BytesIO(data), checkChecksums=2)   # a table's checksum wrong: an error
    assert subset["maxp"].numGlyphs == len(new_id)
    # the whole font's 32-bit words, checkSumAdjustment included, sum to the magic number
    words = data + b"\0" * (-len(data) % 4)
    assert sum(int.from_bytes(words[i:i + 4], "big") for i in range(0, len(words), 4)) & 0xFFFFFFFF == 0xB1B0AFBA
    for tag in subset.keys()[1:]:     # GlyphOrder first
        subset[tag]                   # every table read, each checksum checked
    original = TTFont(kai.path)
    order, new_order = original.getGlyphOrder(), subset.getGlyphOrder()
    simple = kai.gids["永"]
    assert (subset["glyf"][new_order[new_id[simple]]].coordinates
            == original["glyf"][order[simple]].coordinates)
    assert subset["hmtx"][new_order[new_id[simple]]] == original["hmtx"][order[simple]]
    refs = [new_order.index(c.glyphName) for c in subset["glyf"][new_order[new_id[composite]]].components]
    assert refs == [new_id[order.index(c.glyphName)]
                    for c in original["glyf"][order[composite]].components]   # renumbered
    ef = embed(kai, frozenset("永天A"))
    assert ef.base_font.endswith("+" + kai.psname) and len(ef.base_font.split("+")[0]) == 6
    assert ef == embed(kai, frozenset("A天永"))      # the same characters, the same bytes


def test_a_page_is_drawn_the_same_whatever_the_other_pages_use(edition_copy, tmp_path):
    """CIDs are Unicode: one page's content stream does not depend on the characters
    earlier pages drew (an edit on page 1 leaves page 2's bytes alone)."""
    folder = edition_copy(SAMPLE)
    a = build_edition(folder, tmp_path / "a")
    first = next(p for p in a.edition.pages[0].slots if p.article.id != "railway").article
    text = first.source.read_text(encoding="utf-8")
    first.source.write_text(text.replace("。", "。龘", 1), encoding="utf-8")   # a character used nowhere else
    b = build_edition(folder, tmp_path / "b")
    ra, rb = (PdfReader(r.out_dir / "qinghe-ribao.pdf") for r in (a, b))
    assert content(ra.pages[0]) != content(rb.pages[0])
    for i in (2, 3):
        assert content(ra.pages[i]) == content(rb.pages[i])


def test_font_tables_are_found_as_fonttools_finds_them(registry):
    from fontTools.ttLib import TTFont

    from layout.render.fontembed import KEEP_TABLES, _raw_tables
    for face in registry.faces.values():
        reader = TTFont(face.path, lazy=True, fontNumber=face.index).reader
        tables, glyf = _raw_tables(str(face.path), face.index)
        assert tables == {t: reader[t] for t in KEEP_TABLES if t in reader and t != "glyf"}
        # glyphs are read from the file when a subset needs them: from where fontTools finds glyf
        assert os.pread(glyf.fd, glyf.length, glyf.start) == reader["glyf"]


def test_a_font_file_cut_short_is_an_error_not_a_subset_of_zeros(registry, tmp_path):
    from layout.render.fontembed import font_program
    face = registry.faces["song"]
    data = face.path.read_bytes()
    short = tmp_path / "short.ttf"
    short.write_bytes(data[:len(data) // 2])     # the directory promises more than the file has
    with pytest.raises(ValueError, match="shorter than its table directory"):
        program = font_program(str(short), face.index)
        program.subset({len(program.offsets) - 2})    # a glyph near the end of glyf


def test_a_font_file_replaced_while_a_process_runs_is_read_anew(registry, tmp_path):
    """`banmian watch` keeps running while a face is replaced: its next build embeds the
    new file's glyphs, not the program it read before under the same path."""
    import shutil

    from layout.render.fontembed import font_program
    path = tmp_path / "face.ttf"
    shutil.copyfile(registry.faces["song"].path, path)
    song = font_program(str(path))
    assert font_program(str(path)) is song, "kept while the file is the same"
    shutil.copyfile(registry.faces["hei"].path, tmp_path / "new.ttf")
    (tmp_path / "new.ttf").replace(path)
    hei = font_program(str(path))
    assert hei is not song and hei.glyph(1) == font_program(str(registry.faces["hei"].path)).glyph(1)
    assert hei.offsets != song.offsets


def test_two_pictures_in_a_row_leave_no_mark_token_on_the_print_page(sample_build):
    """The reader marks each picture (BDC … EMC); the print page drops the marks. Between two
    pictures drawn one after the other the operators are nothing but the end of one mark
    and the beginning of the next — and both must go, or the plate gets a stray token."""
    from dataclasses import replace

    from layout.render.pdf import marked_content, page_ops
    page = next(p for p in sample_build.tree.pages if any(b.kind == "image" for b in p.blocks))
    image = next(b for b in page.blocks if b.kind == "image")
    shifted = replace(image, box=replace(image.box, y=image.box.y + 1))
    twice = replace(page, blocks=(image, shifted))
    ops = page_ops(twice, sample_build.registry)
    texts = [part for part in ops.parts if isinstance(part, str)]
    assert any(part.startswith("\x02") and "\x01" in part for part in texts)     # the case itself
    for mode in ("print", "reader"):
        fill = marked_content(ops.marks, mode)
        assert not [part for part in texts if {"\x01", "\x02"} & set(fill(part))], mode
    fill = marked_content(ops.marks, "print")
    assert fill("\x021\x02 \x012\x01") == "" and fill("q \x013\x01 Q \x023\x02") == "q Q"
    assert fill("\x014\x01 BT ET") == "BT ET" and fill("BT ET \x024\x02") == "BT ET"
