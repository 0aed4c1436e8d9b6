"""`banmian proof`: one PNG per page, rendered with pdfium (pypdfium2).

Deterministic: the same PDF, dpi and pdfium give the same pixels, and PNGs
are written without timestamps.
"""
from __future__ import annotations

import io
from pathlib import Path

from ..build import write_atomic


def parse_pages(spec: str | None, count: int) -> list[int]:
    """'1,3-4' -> [1, 3, 4] (1-based); None -> every page. Out-of-range pages are an error."""
    if not spec:
        return list(range(1, count + 1))
    pages: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        a, _, b = part.partition("-")
        lo, hi = int(a), int(b or a)
        if lo < 1 or hi > count or lo > hi:
            raise ValueError(f"page range {part!r} is outside 1–{count}")
        pages.extend(range(lo, hi + 1))
    return sorted(set(pages))


def render_pages(pdf: Path, pages: list[int] | None = None, dpi: float = 150.0) -> dict[int, object]:
    """Page number -> PIL image (RGB)."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(str(pdf))
    try:
        numbers = pages or list(range(1, len(doc) + 1))
        out = {}
        for n in numbers:
            page = doc[n - 1]
            out[n] = page.render(scale=dpi / 72.0).to_pil().convert("RGB")
            page.close()
        return out
    finally:
        doc.close()


def png_bytes(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def proof(pdf: Path, out_dir: Path, pages: list[int] | None = None, dpi: float = 150.0) -> list[Path]:
    written = []
    for n, image in render_pages(pdf, pages, dpi).items():
        path = out_dir / f"{n:02d}.png"
        write_atomic(path, png_bytes(image))
        written.append(path)
    return written
