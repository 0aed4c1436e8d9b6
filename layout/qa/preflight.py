"""`banmian check`: the preflight a page must pass before it goes to the press.

It loads, composes and renders the edition (into a temporary folder: the last
good build is left alone), then looks at the layout tree and the finished
print PDFs the way a press would:

- overset and underset, missing glyphs, missing or low-resolution images
  (found while composing);
- text under 6 pt (newspaper.md: black text ≥ 6 pt);
- line-break rule violations and orphans in the layout (there should be none);
- per print page: fonts not embedded, no TrimBox, RGB operators, text not
  100 % K, text not overprinting;
- total ink coverage over the template's limit, measured on a Ghostscript
  CMYK rendering when Ghostscript is installed (otherwise skipped, with a note).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..build import build_edition
from ..fonts import FontRegistry
from ..problems import Problems
from ..text.classes import CLOSING, NO_END, NO_START, OPENING, is_ideograph
from ..tree import EditionTree
from .pdfinspect import inspect_pdf

MIN_TEXT_PT = 6.0


def check_edition(folder: Path, ink_dpi: int = 36) -> tuple[Problems, dict]:
    """All problems of the edition, and a summary; the edition's own outputs are untouched."""
    with tempfile.TemporaryDirectory(prefix="banmian-check-") as tmp:
        result = build_edition(folder, Path(tmp))
        problems = result.problems
        summary: dict = {"edition": result.edition.slug if result.edition else str(folder), "pages": 0,
                         "ink": "not measured"}
        tree = result.tree
        if tree is None:
            return problems, summary
        summary["pages"] = len(tree.pages)
        check_layout(tree, problems)
        check_ads(tree, result.edition.root, problems)
        if result.out_dir is None:   # composition failed: nothing was rendered
            summary["ink"] = "not measured: the edition did not render"
            return problems, summary
        limit = float(result.template.ink_limit) if result.template else 240.0
        for pdf in sorted((result.out_dir / "print").glob("*.pdf")):
            number = int(pdf.stem)
            check_print_page(pdf, number, problems)
            summary["ink"] = check_ink(pdf, number, limit, ink_dpi, problems, summary)
    return problems, summary


AD_TOLERANCE_MM = 1.0     # an ad's trim may differ from its module by this much each way
AD_MIN_PPI = 150


def check_ads(tree: EditionTree, root: Path, problems: Problems) -> None:
    """Every booked ad against its slot: a PDF's trim size (TrimBox, else MediaBox) within
    1 mm of the module, fonts embedded, no RGB; a picture of the module's proportions,
    at least 150 ppi, and RGB noted (it is separated to CMYK for the press)."""
    from PIL import Image as PILImage
    pt_to_mm = 25.4 / 72
    for page in tree.pages:
        for block in page.blocks:
            if block.kind != "ad":
                continue
            path = root / block.image
            where = {"page": page.number, "file": block.image}
            slot = f"{block.box.w * pt_to_mm:.1f} × {block.box.h * pt_to_mm:.1f} mm"
            if path.suffix.lower() == ".pdf":
                try:
                    facts = inspect_pdf(path)[0]
                except Exception as exc:  # pypdf raises many kinds for a damaged file
                    problems.error("ad-file", f"the ad cannot be read: {exc}", **where)
                    continue
                x0, y0, x1, y1 = facts.boxes.get("TrimBox") or facts.boxes["MediaBox"]
                w, h = (x1 - x0) * pt_to_mm, (y1 - y0) * pt_to_mm
                off_w, off_h = abs(w - block.box.w * pt_to_mm), abs(h - block.box.h * pt_to_mm)
                if max(off_w, off_h) > AD_TOLERANCE_MM:
                    problems.error("ad-size", f"the ad is {w:.1f} × {h:.1f} mm, its slot {slot}", **where)
                for name, embedded in facts.fonts.items():
                    if not embedded:
                        problems.error("ad-font", f"the ad's font {name} is not embedded", **where)
                if facts.rgb_operators or "DeviceRGB" in facts.colour_spaces:
                    problems.error("ad-rgb", "the ad uses RGB: the press needs CMYK (or grey, or spot) ads", **where)
            else:
                with PILImage.open(path) as im:
                    (iw, ih), mode = im.size, im.mode
                if abs(iw / ih - block.box.w / block.box.h) > 0.01 * block.box.w / block.box.h:
                    problems.error("ad-size", f"the ad is {iw} × {ih} pixels, not the proportions of its slot "
                                   f"({slot})", **where)
                ppi = iw / (block.box.w / 72)
                if ppi < AD_MIN_PPI:
                    problems.warning("ad-resolution", f"the ad prints at {ppi:.0f} ppi (below {AD_MIN_PPI})",
                                     **where)
                if mode not in ("CMYK", "L", "1"):
                    problems.warning("ad-rgb", f"the ad is {mode}: it is separated to CMYK for the press; "
                                     "ask the advertiser for a CMYK file to control its colour", **where)


def check_layout(tree: EditionTree, problems: Problems) -> None:
    # a run's glyphs all come from the face it names: a character that face lacks would
    # print as .notdef (a blank or a box) whatever the composer believed it had set
    faces = {f.psname: f.gids for f in FontRegistry().faces.values()}
    for page in tree.pages:
        small = {}
        lacking: dict[tuple[str, str | None, str], set[str]] = {}
        for block in page.blocks:
            for line in block.lines:
                for run in line.runs:
                    if run.size < MIN_TEXT_PT - 1e-6:
                        small.setdefault((block.kind, block.article), run.size)
                    gids = faces.get(run.font)
                    if gids is not None and not all(map(gids.__contains__, run.text)):
                        lacking.setdefault((block.kind, block.article, run.font), set()).update(
                            ch for ch in run.text if ch not in gids and ch != " ")
            if block.kind != "body":
                continue
            lines = block.lines
            for i, line in enumerate(lines):
                if line.table:   # a table row is cells, not running text
                    continue
                t = line.text
                if t and t[0] in NO_START and not t.startswith(("——", "……")):
                    problems.error("kinsoku", f"line starts with {t[0]!r}: {t}", page=page.number,
                                   article=block.article)
                if t and t[-1] in NO_END:
                    problems.error("kinsoku", f"line ends with {t[-1]!r}: {t}", page=page.number,
                                   article=block.article)
                core = [c for c in t if c not in CLOSING and c not in OPENING and c != " "]
                if line.last and len(core) == 1 and is_ideograph(core[0]) and i > 0 and not lines[i - 1].last:
                    problems.warning("orphan", f"a paragraph ends with a single character on its last line: {t}",
                                     page=page.number, article=block.article)
        for (kind, article, font), chars in lacking.items():
            if chars:
                problems.error("glyph-not-in-face", f"{kind} text draws {''.join(sorted(chars))} in {font}, "
                               "which has no glyph for it", page=page.number, article=article)
        for (kind, article), size in small.items():
            problems.error("small-text", f"{kind} text at {size:g} pt, below the {MIN_TEXT_PT:g} pt minimum",
                           page=page.number, article=article)


def check_print_page(pdf: Path, number: int, problems: Problems) -> None:
    (facts,) = inspect_pdf(pdf)
    where = {"file": str(pdf.name), "page": number}
    for name, embedded in facts.fonts.items():
        if not embedded:
            problems.error("font-not-embedded", f"font {name} is not embedded", **where)
    if "TrimBox" not in facts.boxes:
        problems.error("no-trimbox", "the page has no TrimBox", **where)
    if facts.rgb_operators or "DeviceRGB" in facts.colour_spaces:
        problems.error("rgb", f"RGB colour on a print page ({facts.rgb_operators} operators)", **where)
    if facts.text_not_k:
        problems.error("text-not-k", f"{facts.text_not_k} text runs are not 100 % K", **where)
    if facts.text_white_overprint:
        problems.error("white-overprint", f"{facts.text_white_overprint} white text runs overprint: "
                       "they would not print", **where)
    if facts.text_not_overprint:
        problems.error("text-not-overprint", f"{facts.text_not_overprint} text runs do not overprint", **where)


def check_ink(pdf: Path, number: int, limit: float, dpi: int, problems: Problems, summary: dict) -> str:
    """Maximum total area coverage (C+M+Y+K, %) of a Ghostscript CMYK rendering."""
    gs = shutil.which("gs")
    if gs is None:
        note = "skipped: Ghostscript (gs) is not installed"
        if summary.get("ink") != note:
            problems.info("ink-skipped", f"total ink coverage not checked: {note}")
        return note
    import numpy as np
    from PIL import Image
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "page.tif"
        proc = subprocess.run([gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiff32nc", f"-r{dpi}",
                               f"-sOutputFile={out}", str(pdf)], capture_output=True, timeout=300, check=False)
        if proc.returncode != 0 or not out.is_file():
            problems.warning("ink-failed", f"Ghostscript could not render the page: {proc.stderr[-200:]!r}",
                             page=number)
            return "failed"
        with Image.open(out) as im:
            cmyk = np.asarray(im.convert("CMYK"), dtype=np.uint16)
    tac = cmyk.sum(axis=2) * 100.0 / 255.0
    peak = float(tac.max())
    if peak > limit + 0.5:
        problems.error("ink", f"total ink coverage reaches {peak:.0f} % (limit {limit:.0f} %)", page=number,
                       file=pdf.name)
    best = summary.setdefault("ink_peak", {})
    best[number] = round(peak, 1)
    return f"measured at {dpi} dpi with Ghostscript"
