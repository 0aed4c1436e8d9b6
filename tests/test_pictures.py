"""Pictures as a picture desk sets them: several per story, credits, crops, a set height
round a focal point, and picture items (图片新闻) with no text."""
from __future__ import annotations

import json

import pytest
from PIL import Image as PILImage
from PIL import ImageDraw, PngImagePlugin

from layout.build import build_edition
from layout.compose.article import fill_crop

XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       '<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:Credit="{}"/>'
       "</rdf:RDF></x:xmpmeta>")


def _picture(path, size=(1600, 1000), credit: str | None = None) -> None:
    """A test card: grey field, a white disc at 25 % across, a black bar at the right edge."""
    w, h = size
    im = PILImage.new("RGB", size, (128, 128, 128))
    d = ImageDraw.Draw(im)
    d.ellipse([int(w * 0.15), int(h * 0.3), int(w * 0.35), int(h * 0.7)], fill=(255, 255, 255))
    d.rectangle([int(w * 0.9), 0, w, h], fill=(0, 0, 0))
    info = PngImagePlugin.PngInfo()
    if credit:
        info.add_itxt("XML:com.adobe.xmp", XMP.format(credit))
    im.save(path, pnginfo=info)


def _story(folder, body: str, front: str = "headline: 初雪中的滨河公园\n") -> None:
    (folder / "images").mkdir(exist_ok=True)
    (folder / "articles" / "c.md").write_text(f"---\n{front}---\n{body}", encoding="utf-8")


def _with_picture(edition_copy, body: str):
    """The mini edition whose story c is `body`, with a test card at images/p.png."""
    folder = edition_copy("mini")
    (folder / "images").mkdir()
    _picture(folder / "images" / "p.png")
    _story(folder, body)
    return folder


def _blocks(result, article="c"):
    layout = json.loads((result.out_dir / "layout.json").read_text(encoding="utf-8"))
    return [b for p in layout["pages"] for b in p["blocks"] if b.get("article") == article]


def test_a_credit_comes_from_the_markdown_title_or_the_files_own_metadata(edition_copy, tmp_path):
    folder = edition_copy("mini")
    (folder / "images").mkdir()
    _picture(folder / "images" / "given.png")
    _picture(folder / "images" / "tagged.png", credit="示例社 李摄影 摄")
    _story(folder, '![一](images/given.png "本报记者 孟川 摄")\n\n![二](images/tagged.png)\n\n正文一段。\n')
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    blocks = _blocks(result)
    credits = [b for b in blocks if b["kind"] == "credit"]
    assert [b["lines"][0]["text"] for b in credits] == ["本报记者 孟川 摄", "示例社 李摄影 摄"]
    images = [b for b in blocks if b["kind"] == "image"]
    for image, credit in zip(images, credits):
        x, y, w, h = image["box"]
        cx, cy, cw, _ = credit["box"]
        assert abs((cx + cw) - (x + w)) < 0.01, "flush right under the photo"
        assert abs(cy - (y + h)) < 0.01, "on the grid line below it"


def test_a_set_height_keeps_the_focus_and_never_distorts(edition_copy, tmp_path):
    folder = _with_picture(edition_copy, "![赏雪](images/p.png){rows=24 focus=25,50}\n\n正文一段。\n")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    (image,) = [b for b in _blocks(result) if b["kind"] == "image"]
    left, top, right, bottom = image["crop"]
    _, _, w, h = image["box"]
    assert (top, bottom) == (0.0, 1.0), "a frame taller than the picture keeps all of its height"
    assert left <= 0.15 and right < 0.9, "the sides are trimmed round the disc: the black bar goes"
    assert abs((right - left) * 1600 / 1000 - w / h) < 0.01, "printed part and frame have one shape"
    # and the renderer prints that part: the right edge of the frame is grey, not the black bar
    import pypdfium2
    page = pypdfium2.PdfDocument(str(result.out_dir / "mini.pdf"))[1]
    scale = 2
    bitmap = page.render(scale=scale).to_pil().convert("L")
    x, y, bw, bh = image["box"]
    sample = bitmap.getpixel((int((x + bw - 3) * scale), int((y + bh / 2) * scale)))
    assert 100 < sample < 160, sample


def test_a_crop_prints_only_that_part(edition_copy, tmp_path):
    folder = _with_picture(edition_copy, "![局部](images/p.png){crop=0,20,50,80}\n\n正文一段。\n")
    result = build_edition(folder, tmp_path / "out")
    (image,) = [b for b in _blocks(result) if b["kind"] == "image"]
    left, top, right, bottom = image["crop"]
    # within the crop; the frame's whole grid rows may trim a hair more from one side
    assert 0.0 <= left < 0.01 and 0.49 < right <= 0.5 and 0.2 <= top < bottom <= 0.8
    assert (right - left) > 0.98 * 0.5 and (bottom - top) > 0.98 * 0.6


def test_fill_crop_trims_the_long_side_round_the_focus_within_the_crop():
    # a 2:1 picture into a 1:1 frame: half the width, centred on the focus
    assert fill_crop((0, 0, 1, 1), (2000, 1000), 1.0, (0.5, 0.5)) == (0.25, 0, 0.75, 1)
    assert fill_crop((0, 0, 1, 1), (2000, 1000), 1.0, (0.1, 0.5)) == (0.0, 0, 0.5, 1), "not past the edge"
    # a 1:2 picture into a 1:1 frame: half the height, centred when no focus is given
    assert fill_crop((0, 0, 1, 1), (1000, 2000), 1.0, ()) == (0, 0.25, 1, 0.75)
    # within a crop
    assert fill_crop((0.5, 0, 1, 1), (2000, 1000), 1.0, (0.9, 0.5)) == (0.5, 0, 1.0, 1)


def test_a_picture_item_with_no_text_is_set_across_its_block(edition_copy, tmp_path):
    folder = _with_picture(edition_copy, '![11月27日，市民在滨河公园赏雪](images/p.png "本报记者 孟川 摄")\n')
    result = build_edition(folder, tmp_path / "out")
    assert result.ok, [str(p) for p in result.problems]
    blocks = _blocks(result)
    assert [b["kind"] for b in blocks] == ["headline", "image", "credit", "caption"]
    page = next(p for p in result.tree.pages if any(a.id == "c" for a in p.articles))
    entry = next(a for a in page.articles if a.id == "c")
    assert abs(blocks[1]["box"][2] - entry.box.w) < 0.01, "the photo is as wide as the item"


@pytest.mark.parametrize("attrs, field, words", [
    ("{crop=0,0,200,100}", "image.crop", "percentages"),
    ("{crop=50,0,40,100}", "image.crop", "right > left"),
    ("{focus=50}", "image.focus", "2 percentages"),
    ("{rows=2}", "image.rows", "3–200"),
    ("{rows=many}", "image.rows", "whole number"),
    ("{size=big}", "image.size", "unknown picture attribute"),
])
def test_a_wrong_picture_attribute_is_an_error_naming_file_line_and_field(edition_copy, tmp_path, attrs, field, words):
    folder = _with_picture(edition_copy, f"正文一段。\n\n![赏雪](images/p.png){attrs}\n")
    result = build_edition(folder, tmp_path / "out")
    (error,) = result.problems.errors
    assert error.kind == "picture" and words in error.message
    assert error.file.endswith("articles/c.md") and error.line == 6 and error.field == field


# --- the pictures' image data in the build cache --------------------------------------

def test_a_rebuild_after_an_edit_takes_the_pictures_from_the_cache_and_stays_byte_identical(edition_copy, tmp_path):
    """Every picture is decoded, cropped, converted and compressed once: the reader edition
    made again after an edit on another page takes them from the cache (so does a build
    after one that kept the reader whole), and comes out as a clean build makes it."""
    from .conftest import SAMPLE
    folder = edition_copy(SAMPLE)
    first = build_edition(folder, tmp_path / "out")
    assert first.cache["kinds"]["pictures"] == {"hits": 0, "misses": 12}   # 6 on screen, 6 for the press
    again = build_edition(folder, tmp_path / "out")          # nothing changed: the reader is kept whole
    assert "pictures" not in again.cache["kinds"]
    briefs = folder / "articles" / "briefs.md"
    briefs.write_text(briefs.read_text(encoding="utf-8").replace("。", "！", 1), encoding="utf-8")
    edited = build_edition(folder, tmp_path / "out")
    # the 6 on screen, and for the press the railway photograph of page 1, where the briefs are
    assert edited.cache["kinds"]["pictures"] == {"hits": 7, "misses": 0}
    clean = build_edition(folder, tmp_path / "clean", clean=True)
    for rel in ["qinghe-ribao.pdf", *(f"print/{n:02d}.pdf" for n in range(1, 7))]:
        assert (edited.out_dir / rel).read_bytes() == (clean.out_dir / rel).read_bytes(), rel


def test_a_damaged_picture_entry_is_rejected_and_the_picture_made_again(edition_copy, tmp_path):
    from .conftest import SAMPLE
    folder = edition_copy(SAMPLE)
    first = build_edition(folder, tmp_path / "out")
    reader = (first.out_dir / "qinghe-ribao.pdf").read_bytes()
    for entry in (first.out_dir / ".cache" / "pictures").iterdir():
        data = entry.read_bytes()
        entry.write_bytes(data[:-10] + bytes([data[-10] ^ 0x20]) + data[-9:])
    (first.out_dir / "qinghe-ribao.pdf").unlink()     # the reader must be made again
    again = build_edition(folder, tmp_path / "out")
    assert again.cache["kinds"]["pictures"]["hits"] == 0 and again.cache["rejected"] >= 6
    assert (again.out_dir / "qinghe-ribao.pdf").read_bytes() == reader


def test_a_picture_whose_file_changed_since_it_was_loaded_is_drawn_from_the_file_not_the_cache(tmp_path):
    """The bytes drawn are the bytes read now: the cache is asked for a picture only while the
    file still has the digest the edition was loaded with."""
    import hashlib

    from reportlab.pdfgen.canvas import Canvas

    from layout.render.pdf import RenderOptions, _image_xobject
    from layout.tree import Block, Box
    _picture(tmp_path / "p.png", size=(40, 20))
    digest = hashlib.sha256((tmp_path / "p.png").read_bytes()).hexdigest()
    asked = []

    class Kept:
        def get(self, key):
            asked.append(key)

        def put(self, key, picture):
            asked.append(key)
    opts = RenderOptions(edition_root=tmp_path, title="t", author="a", subject="s", keywords="k")
    for sha, expected in ((digest, 2), ("0" * 64, 0)):
        asked.clear()
        block = Block("image", Box(0, 0, 40, 20), image="p.png", image_sha256=sha)
        _, size = _image_xobject(Canvas(str(tmp_path / "x.pdf")), block, opts, False, Kept())
        assert size == (40, 20) and len(asked) == expected


def _photograph(path, size=(1200, 800)) -> None:
    """A JPEG with a photograph's fine detail (noise over a gradient), which Flate keeps at
    many times the JPEG's size."""
    import random
    w, h = size
    rng = random.Random(7)
    im = PILImage.linear_gradient("L").resize(size).convert("RGB")
    noise = PILImage.frombytes("RGB", size, bytes(rng.randrange(256) for _ in range(w * h * 3)))
    PILImage.blend(im, noise, 0.15).save(path, "JPEG", quality=85)


def test_a_jpeg_photograph_stays_a_jpeg_in_the_reader_and_reaches_the_press_losslessly(edition_copy, tmp_path):
    """A reader downloads the photograph as a JPEG — its crop (the frame's rows trim it)
    encoded again — not its decoded pixels, which Flate keeps at many times the bytes; the
    press page gets the pixels in CMYK, Flate-compressed."""
    import pikepdf
    from PIL import ImageChops, ImageStat
    folder = edition_copy("mini")
    (folder / "images").mkdir()
    _photograph(folder / "images" / "p.jpg")
    _story(folder, "![街景](images/p.jpg){crop=10,10,60,60}\n\n正文一段。\n")
    result = build_edition(folder, tmp_path / "out")
    assert result.ok
    (block,) = [b for b in _blocks(result) if b["kind"] == "image"]
    x0, y0, x1, y1 = block["crop"]
    with PILImage.open(folder / "images" / "p.jpg") as original:
        cropped = original.crop((round(x0 * 1200), round(y0 * 800), round(x1 * 1200), round(y1 * 800)))
    with pikepdf.open(result.out_dir / "mini.pdf") as pdf:
        (image,) = [x for p in pdf.pages for _, x in p.Resources.get("/XObject", {}).items()]
        assert image.Filter == pikepdf.Name.DCTDecode and image.ColorSpace == pikepdf.Name.DeviceRGB
        assert len(image.read_raw_bytes()) < cropped.width * cropped.height * 3 / 8
        shown = pikepdf.PdfImage(image).as_pil_image()
    assert shown.size == cropped.size
    assert max(ImageStat.Stat(ImageChops.difference(shown, cropped.convert("RGB"))).mean) < 3
    page = next(p for p in result.tree.pages if any(b.image for b in p.blocks))
    with pikepdf.open(result.out_dir / "print" / f"{page.number:02d}.pdf") as pdf:
        (image,) = [x for p in pdf.pages for _, x in p.Resources.XObject.items()]
        assert image.Filter == pikepdf.Name.FlateDecode and image.ColorSpace == pikepdf.Name.DeviceCMYK


def test_a_jpeg_photograph_shown_whole_is_the_file_itself_in_the_reader(tmp_path):
    from layout.render.pdf import RenderOptions, prepare_picture
    from layout.tree import Block, Box
    _photograph(tmp_path / "p.jpg")
    raw = (tmp_path / "p.jpg").read_bytes()
    opts = RenderOptions(edition_root=tmp_path, title="t", author="a", subject="s", keywords="k")
    whole = prepare_picture(raw, Block("image", Box(0, 0, 120, 80), image="p.jpg"), opts, print_mode=False)
    assert (whole.data, whole.filter, whole.width, whole.height) == (raw, "DCTDecode", 1200, 800)
    press = prepare_picture(raw, Block("image", Box(0, 0, 120, 80), image="p.jpg"), opts, print_mode=True)
    assert press.filter == "FlateDecode" and press.colour_space == "DeviceCMYK"
