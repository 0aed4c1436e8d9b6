"""The reader edition as readers use it: copy, search, a screen reader's structure.

Text is read back the way viewers read it — pdfium (Chrome, pypdfium2) and
poppler (pdftotext, Evince) — and compared with the articles' copy; the
structure tree is walked as an assistive technology would walk it.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pikepdf
import pypdfium2
import pytest

from layout.edition.model import Image, Paragraph, Subhead, Table
from layout.qa import textlayer

HAN = r"[\u3400-\u9fff]"
LATIN = r"[0-9A-Za-z][0-9A-Za-z.,%:/-]*"


@pytest.fixture(scope="module")
def reader(sample_build):
    return sample_build.out_dir / "qinghe-ribao.pdf"


@pytest.fixture(scope="module")
def layout(sample_build):
    return json.loads((sample_build.out_dir / "layout.json").read_text(encoding="utf-8"))


def _report(results) -> str:
    return "; ".join(f"{r.article} {r.match:.2%}" for r in results if r.match < 0.99)


def test_pdfium_extracts_every_article_as_its_copy(sample_build, reader, layout):
    results = textlayer.compare(sample_build.edition, textlayer.pdfium_blocks(reader, layout))
    assert textlayer.share_matched(results) >= 0.999
    assert all(r.match >= 0.99 for r in results), _report(results)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_extracts_every_article_as_its_copy(sample_build, reader, layout):
    results = textlayer.compare(sample_build.edition, textlayer.pdftotext_blocks(reader, layout))
    assert textlayer.share_matched(results) >= 0.999
    assert all(r.match >= 0.99 for r in results), _report(results)


def test_the_copy_check_would_catch_a_space_between_han_and_figures():
    """The measure itself: an extraction that gains a space at a Han/figure boundary fails."""
    good = textlayer.ArticleText("a", "全长186公里", "全长186公里")
    spaced = textlayer.ArticleText("a", "全长186公里", "全长 186 公里")
    assert good.match == 1.0
    assert spaced.match < 0.99


def _mixed_phrases(layout) -> dict[int, set[str]]:
    """Page number -> every phrase of copy where Han meets figures or Latin within one line:
    up to two Han characters, all the figures, up to two Han characters (全长186公里, 增长5.6%)."""
    pattern = re.compile(f"(?=({HAN}{{1,2}}{LATIN}{HAN}{{0,2}}|^{LATIN}{HAN}{{1,2}}))")
    out: dict[int, set[str]] = {}
    for page in layout["pages"]:
        for block in page["blocks"]:
            if block.get("article") and block["kind"] in textlayer.COPY_KINDS:
                for line in block.get("lines", []):
                    if line.get("vertical"):
                        continue
                    out.setdefault(page["number"], set()).update(m.group(1) for m in pattern.finditer(line["text"]))
    return out


def test_every_phrase_mixing_han_and_figures_is_found_by_pdfium_search(reader, layout):
    phrases = _mixed_phrases(layout)
    assert sum(map(len, phrases.values())) > 100, "the sample mixes Han and figures often"
    assert "全长186公里"[:5] in {p[:5] for ps in phrases.values() for p in ps}
    doc = pypdfium2.PdfDocument(str(reader))
    missed = []
    for number, wanted in phrases.items():
        textpage = doc[number - 1].get_textpage()
        for phrase in sorted(wanted):
            if textpage.search(phrase, match_case=True).get_next() is None:
                missed.append((number, phrase))
    assert not missed, missed[:20]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_every_phrase_mixing_han_and_figures_is_in_pdftotext_output(reader, layout):
    missed = []
    for number, wanted in _mixed_phrases(layout).items():
        text = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", "-f", str(number), "-l", str(number),
                               str(reader), "-"], capture_output=True, check=True).stdout.decode()
        missed += [(number, p) for p in sorted(wanted) if p not in text]
    assert not missed, missed[:20]


# --- the structure tree ---------------------------------------------------

@pytest.fixture(scope="module")
def tagged(reader):
    with pikepdf.open(reader) as pdf:
        yield pdf


def _elements(element):
    for kid in element.get("/K", ()):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/StructElem":
            yield kid
            yield from _elements(kid)


def _stories(pdf) -> list:
    document = pdf.Root.StructTreeRoot.K[0]
    assert document.S == "/Document"
    return [k for k in document.K if k.S == "/Art"]


def test_the_reader_is_a_tagged_pdf_in_simplified_chinese(tagged):
    root = tagged.Root
    assert root.MarkInfo.Marked is True
    assert str(root.Lang) == "zh-Hans"
    assert bool(root.ViewerPreferences.DisplayDocTitle)
    with tagged.open_metadata() as xmp:
        assert xmp["dc:title"] == "清河日报 2026年11月28日"
        assert "zh-Hans" in str(xmp.get("dc:language", ""))
    for role, standard in root.StructTreeRoot.RoleMap.items():
        assert standard in ("/P", "/H1", "/H2", "/Span"), (role, standard)


def test_every_story_is_one_article_element_with_its_paragraphs_in_order(sample_build, tagged):
    articles = {a.id: a for a in sample_build.edition.articles}
    stories = _stories(tagged)
    titles = [str(s.T) for s in stories]
    assert len(stories) == len(articles), "a jumped story is one Art, not two"
    assert titles[0] == "清河至东港城际铁路全线贯通"
    by_title = {a.headline.replace("|", ""): a for a in articles.values()}
    for story in stories:
        article = by_title[str(story.T)]
        kinds = [str(k.S) for k in _elements(story)]
        assert kinds.count("/H1") == 1, (article.id, kinds)
        assert kinds.count("/P") == sum(isinstance(b, Paragraph) for b in article.body), article.id
        assert kinds.count("/Table") == sum(isinstance(b, Table) for b in article.body), article.id
        assert kinds.count("/H2") == sum(isinstance(b, Subhead) for b in article.body), article.id
        if article.kicker:
            assert kinds.index("/Kicker") < kinds.index("/H1")
        # the body's paragraphs and subheads come in the order of the copy
        body = [k for k in kinds if k in ("/P", "/H2")]
        assert body == ["/H2" if isinstance(b, Subhead) else "/P" for b in article.body
                        if isinstance(b, (Paragraph, Subhead))], article.id


def test_pictures_are_figures_whose_alternative_text_is_the_caption(sample_build, tagged):
    captions = {b.caption for a in sample_build.edition.articles for b in a.body if isinstance(b, Image)}
    figures = [e for s in _stories(tagged) for e in _elements(s) if e.S == "/Figure"]
    assert figures, "the sample has pictures"
    for figure in figures:
        assert str(figure.Alt) in captions


def test_every_marked_sequence_belongs_to_its_element_and_all_text_is_marked(tagged):
    """Each page's MCIDs map through the ParentTree to the element that lists them, and no
    text or picture is drawn outside a marked sequence (tagged content or an artifact)."""
    nums = tagged.Root.StructTreeRoot.ParentTree.Nums
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    assert keys == sorted(set(keys)), "a number tree's keys ascend (PDF 32000-1 §7.9.7): readers search it"
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for index, page in enumerate(tagged.pages):
        assert int(page.StructParents) == index
        depth, mcids, unmarked = 0, [], 0
        for operands, op in pikepdf.parse_content_stream(page):
            name = str(op)
            if name in ("BDC", "BMC"):
                depth += 1
                if name == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
                    mcids.append(int(operands[1].MCID))
            elif name == "EMC":
                depth -= 1
            elif name in ("Tj", "TJ", "Do", "S") and depth == 0:
                unmarked += 1
        assert depth == 0
        assert unmarked == 0, f"page {index + 1}: {unmarked} drawing operators outside any marked sequence"
        assert mcids == list(range(len(mcids))), "MCIDs are numbered in drawing order"
        array = parents[index]
        assert len(array) == len(mcids)
        for mcid, element in enumerate(array):
            refs = [k for k in element.K if isinstance(k, int)] if element.Pg.objgen == page.objgen else []
            refs += [int(k.MCID) for k in element.K if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/MCR"
                     and k.Pg.objgen == page.objgen]
            assert mcid in refs


def test_jump_links_are_tagged_and_described(tagged):
    nums = tagged.Root.StructTreeRoot.ParentTree.Nums
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    links = 0
    for page in tagged.pages:
        for annot in page.get("/Annots", ()):
            if annot.Subtype == "/Link":
                links += 1
                assert str(annot.Contents) in ("下转第2版", "上接第1版")
                element = parents[int(annot.StructParent)]
                assert element.S == "/Link"
                assert any(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR" for k in element.K)
                assert page.Tabs == "/S"
    assert links == 2


def test_a_paragraph_continued_over_the_jump_is_one_element_on_two_pages(tagged):
    story = _stories(tagged)[0]
    pages = [{(k.Pg if isinstance(k, pikepdf.Dictionary) and "/Pg" in k else p.Pg).objgen
              for k in p.K} for p in _elements(story) if p.S == "/P"]
    assert any(len(p) == 2 for p in pages)


def test_print_pages_carry_no_marked_content(sample_build):
    for pdf in sorted((sample_build.out_dir / "print").glob("*.pdf")):
        with pikepdf.open(pdf) as doc:
            ops = {str(op) for _, op in pikepdf.parse_content_stream(doc.pages[0])}
            assert not ops & {"BDC", "BMC", "EMC"}, pdf.name
