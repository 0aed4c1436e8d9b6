"""`banmian proof`: one PNG per page, rendered with pdfium (pypdfium2).

Deterministic: the same PDF, dpi and pdfium give the same pixels, and PNGs
are written without timestamps. The PDF may come from anywhere: one that is
not a PDF, or a page so large that its proof would not fit in memory, is a
`ProofError`, never a crash.
"""
from __future__ import annotations

import io
from pathlib import Path

from ..build import write_atomic

MAX_PROOF_PIXELS = 200_000_000    # a broadsheet at 600 dpi is 119 MP


class ProofError(Exception):
    pass


def parse_pages(spec: str | None, count: int) -> list[int]:
    """'1,3-4' -> [1, 3, 4] (1-based; '3-' runs to the last page); None -> every page.
    Out-of-range pages are an error."""
    if not spec:
        return list(range(1, count + 1))
    pages: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        a, dash, b = part.partition("-")
        try:
            lo, hi = int(a), int(b) if b else (count if dash else int(a))
        except ValueError:
            raise ValueError(f"page range {part!r} is not a page number or a range such as 3-4") from None
        if lo < 1 or hi > count or lo > hi:
            raise ValueError(f"page range {part!r} is outside 1–{count}")
        pages.extend(range(lo, hi + 1))
    return sorted(set(pages))


def open_pdf(pdf: Path):
    import pypdfium2 as pdfium
    try:
        doc = pdfium.PdfDocument(str(pdf))
    except (pdfium.PdfiumError, OSError, ValueError) as exc:
        raise ProofError(f"{pdf}: not a readable PDF ({exc})") from None
    if len(doc) == 0:
        doc.close()
        raise ProofError(f"{pdf}: the PDF has no pages")
    return doc


def render_pages(pdf: Path, pages: list[int] | None = None, dpi: float = 150.0) -> dict[int, object]:
    """Page number -> PIL image (RGB)."""
    doc = open_pdf(pdf)
    try:
        numbers = pages or list(range(1, len(doc) + 1))
        out = {}
        scale = dpi / 72.0
        for n in numbers:
            page = doc[n - 1]
            w, h = page.get_size()
            if w * scale * h * scale > MAX_PROOF_PIXELS:
                page.close()
                raise ProofError(f"{pdf}: page {n} ({w / 72 * 25.4:.0f} × {h / 72 * 25.4:.0f} mm) at {dpi:g} dpi "
                                 f"would be over {MAX_PROOF_PIXELS:,} pixels; use a lower --dpi")
            out[n] = page.render(scale=scale).to_pil().convert("RGB")
            page.close()
        return out
    finally:
        doc.close()


def png_bytes(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def proof(pdf: Path, out_dir: Path, pages: str | list[int] | None = None, dpi: float = 150.0) -> list[Path]:
    """PNG proofs of `pages` ('1,3-4', a list, or None for all) of `pdf` in `out_dir`."""
    if pages is None or isinstance(pages, str):
        doc = open_pdf(pdf)
        count = len(doc)
        doc.close()
        pages = parse_pages(pages, count)
    written = []
    for n, image in render_pages(pdf, pages, dpi).items():
        path = out_dir / f"{n:02d}.png"
        write_atomic(path, png_bytes(image))
        written.append(path)
    return written
