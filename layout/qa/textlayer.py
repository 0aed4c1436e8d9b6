"""Does the reader edition's text layer say what the copy says?

A reader copies a paragraph, searches for 增长5.6%, or hears the page read
aloud: all three read the text layer, not the glyphs we see. This module
reads each article back out of a finished reader PDF, block by block, the way
a viewer would (pdfium, and poppler's pdftotext when it is installed), and
compares it with the article's copy:

    copy        kicker, headline, subhead, byline, credits and captions, then the body
                (dateline run in, paragraphs, 小标题) — jump lines are not copy
    extracted   the text inside each of the article's blocks, in the order
                layout.json lists them, line breaks removed

`match` is 1 − errors / characters of the copy, where errors are the copy's
characters the extraction does not give back in order (difflib's matching
blocks) plus the characters it adds: 1.0 when extraction yields the copy
exactly. It knows nothing of how banmian drew the page beyond the block boxes
of layout.json.
"""
from __future__ import annotations

import difflib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..edition.model import Article, Edition, Image, Paragraph, Subhead, Table

# block kinds that carry copy, in the order the copy reads
COPY_KINDS = ("kicker", "headline", "subhead", "byline", "credit", "caption", "body")


@dataclass(frozen=True)
class ArticleText:
    article: str
    copy: str
    extracted: str

    @property
    def matched(self) -> int:
        sm = difflib.SequenceMatcher(None, self.copy, self.extracted, autojunk=False)
        return sum(b.size for b in sm.get_matching_blocks())

    @property
    def errors(self) -> int:
        """Characters of the copy lost, plus characters the extraction adds (a space
        between 186 and 公里 is an error too)."""
        return len(self.copy) + len(self.extracted) - 2 * self.matched

    @property
    def match(self) -> float:
        return max(0.0, 1 - self.errors / len(self.copy)) if self.copy else float(not self.extracted)


def article_copy(article: Article) -> str:
    """The article's copy in the order a page reads it (deck, captions, body)."""
    parts = [article.kicker, article.headline.replace("|", ""), article.subhead, article.byline]
    parts += [b.credit + b.caption for b in article.body if isinstance(b, Image)]
    body = [article.dateline]
    for b in article.body:
        if isinstance(b, (Paragraph, Subhead)):
            body.append(b.text)
        elif isinstance(b, Table):   # a row as its line reads: the cells, a space between
            body.extend(" ".join(row) for row in (b.head, *b.rows))
    return "".join(parts + body)


def _flat(text: str) -> str:
    return text.replace("\r", "").replace("\n", "").replace("\f", "")


def _copy_blocks(page: dict):
    """The page's blocks that carry copy; a continuation's repeated headline is not copy."""
    continued = {a["id"] for a in page["articles"] if a["part"] > 1}
    for b in page["blocks"]:
        if b.get("article") and b["kind"] in COPY_KINDS and \
                not (b["article"] in continued and b["kind"] in ("kicker", "headline", "subhead", "byline")):
            yield b


def pdfium_blocks(pdf: Path, layout: dict) -> dict[str, str]:
    """Article id -> its blocks' text as pdfium extracts it."""
    import pypdfium2
    out: dict[str, list[str]] = {}
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        for index, page in enumerate(layout["pages"]):
            pp = doc[index]
            tp = pp.get_textpage()
            height = pp.get_height()
            off = (pp.get_width() - page["width"]) / 2   # the trim inside the media box
            for b in _copy_blocks(page):
                x, y, w, h = b["box"]
                text = tp.get_text_bounded(left=off + x, bottom=height - off - y - h, right=off + x + w,
                                           top=height - off - y)
                out.setdefault(b["article"], []).append(_flat(text))
            tp.close()
            pp.close()
    finally:
        doc.close()
    return {k: "".join(v) for k, v in out.items()}


def pdftotext_blocks(pdf: Path, layout: dict) -> dict[str, str] | None:
    """Article id -> its blocks' text as poppler's pdftotext extracts it (None without poppler)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    out: dict[str, list[str]] = {}
    for index, page in enumerate(layout["pages"]):
        for b in _copy_blocks(page):
            x, y, w, h = b["box"]
            # at -r 72 pdftotext's crop is in points from the media box's top left; the
            # reader edition has no bleed, so the trim is the media box
            args = [tool, "-q", "-raw", "-enc", "UTF-8", "-r", "72", "-f", str(index + 1), "-l", str(index + 1),
                    "-x", str(int(x)), "-y", str(int(y)), "-W", str(int(w + 2)), "-H", str(int(h + 2)),
                    str(pdf), "-"]
            text = subprocess.run(args, capture_output=True, check=True, timeout=120).stdout.decode("utf-8")
            out.setdefault(b["article"], []).append(_flat(text))
    return {k: "".join(v) for k, v in out.items()}


def compare(edition: Edition, extracted: dict[str, str]) -> list[ArticleText]:
    return [ArticleText(a.id, article_copy(a), extracted.get(a.id, "")) for a in edition.articles]


def share_matched(results: list[ArticleText]) -> float:
    """1 − all errors / all characters of the copy, over the edition."""
    total = sum(len(r.copy) for r in results)
    return max(0.0, 1 - sum(r.errors for r in results) / total) if total else 1.0
