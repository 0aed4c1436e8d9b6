"""`banmian diff A B`: what changed between two builds, in newsroom terms.

A and B are build folders (OUT/<slug> with layout.json and the PDFs) or
edition PDFs. Per page:

1. pages whose content hash is unchanged are skipped without rendering;
2. layout diff per block, matched by article, kind and order: added, removed,
   moved (dx, dy in mm), resized, restyled (font, size, colour), reflowed
   (same text, other lines), overset changed — and an article whose blocks
   all moved by one vector is reported as *one* move of that article;
3. raster diff at 150 dpi with a tolerance for anti-aliasing: a pixel counts
   only when no pixel of the other image within 1 px matches it; changed
   regions become boxes labelled with the blocks they overlap;
4. print deltas: fonts, boxes, colour spaces, overprint of the print pages.

Plus a character-level text diff per article (Chinese has no spaces to diff
on). Results: `diff.json` (docs/diff-schema.md), `report.html`, exit code.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader

from ..units import to_mm

MOVE_TOLERANCE_PT = 0.05
PIXEL_TOLERANCE = 64          # of 255, grey levels
TILE = 6                      # px; changed pixels are grouped in tiles of this size


class DiffError(Exception):
    """The two sides cannot be compared (exit 2)."""


@dataclass
class Side:
    path: Path
    layout: dict | None          # layout.json, when a build folder
    pdf: Path                    # the reader edition
    prints: dict[int, Path] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(self.path)


def open_side(path: Path) -> Side:
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() != ".pdf":
            raise DiffError(f"{path}: not a PDF or a build folder")
        _check_pdf(path)
        return Side(path, None, path)
    if not path.is_dir():
        raise DiffError(f"{path}: no such file or folder")
    folder = path
    if not (folder / "layout.json").is_file():
        subs = [d for d in sorted(path.iterdir()) if (d / "layout.json").is_file()]
        if len(subs) != 1:
            raise DiffError(f"{path}: not a build folder (no layout.json)")
        folder = subs[0]
    manifest = folder / "layout.json"
    try:
        layout = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DiffError(f"{manifest}: unreadable layout manifest: {exc}") from None
    problem = _manifest_problem(layout)
    if problem:
        raise DiffError(f"{manifest}: not a layout manifest banmian wrote: {problem}")
    pdf = folder / f"{layout['slug']}.pdf"
    if not pdf.is_file():
        raise DiffError(f"{folder}: the edition PDF {pdf.name} is missing")
    _check_pdf(pdf)
    prints = {int(p.stem): p for p in sorted((folder / "print").glob("*.pdf")) if p.stem.isdigit()}
    return Side(folder, layout, pdf, prints)


def _manifest_problem(layout) -> str:
    """What makes `layout` unusable as a layout.json, or "" (the shape the diff reads)."""
    if not isinstance(layout, dict):
        return "not a JSON object"
    slug = layout.get("slug")
    if not isinstance(slug, str) or not re.fullmatch(r"[^/\\\0]{1,200}", slug) or slug in (".", ".."):
        return f"slug {slug!r} is not a folder name"
    pages = layout.get("pages")
    if not isinstance(pages, list):
        return "no list of pages"
    for i, page in enumerate(pages):
        if not isinstance(page, dict):
            return f"pages[{i}] is not an object"
        for key, kind in (("number", int), ("width", (int, float)), ("height", (int, float)), ("blocks", list),
                          ("articles", list)):
            if not isinstance(page.get(key), kind):
                return f"pages[{i}].{key} is missing or of the wrong type"
        for j, item in enumerate(page["blocks"] + page["articles"]):
            box = item.get("box") if isinstance(item, dict) else None
            if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)):
                return f"pages[{i}]: item {j} has no box of four numbers"
    return ""


def _check_pdf(path: Path) -> None:
    try:
        PdfReader(path).pages[0]
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds for a damaged file
        raise DiffError(f"{path}: corrupt or empty PDF: {type(exc).__name__}: {exc}") from None


# -- hashing ------------------------------------------------------------------

def _pdf_page_hashes(pdf: Path) -> list[str]:
    reader = PdfReader(pdf)
    out = []
    for page in reader.pages:
        h = hashlib.sha256()
        h.update(page.get_contents().get_data() if page.get_contents() is not None else b"")
        for ref in ((page.get("/Resources") or {}).get("/XObject") or {}).values():
            h.update(hashlib.sha256(ref.get_object().get_data()).digest())
        h.update(repr([float(v) for v in page.mediabox]).encode())
        out.append(h.hexdigest())
    return out


def _layout_page_hash(page: dict) -> str:
    return hashlib.sha256(json.dumps(page, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# -- layout diff --------------------------------------------------------------

def _blocks_by_key(page: dict) -> dict[tuple, dict]:
    seen: dict[tuple, int] = {}
    out = {}
    for b in page["blocks"]:
        if b["kind"] in ("rule", "frame"):
            continue
        base = (b.get("article", ""), b["kind"])
        i = seen.get(base, 0)
        seen[base] = i + 1
        out[base + (i,)] = b
    return out


def _styles(block: dict) -> list:
    return sorted({(r["font"], r["size"]) for ln in block.get("lines", []) for r in ln["runs"]})


def _mm(v: float) -> float:
    return round(to_mm(v), 2)


def layout_changes(a: dict, b: dict) -> list[dict]:
    """Block-level changes on one page, articles that moved whole reported once."""
    ka, kb = _blocks_by_key(a), _blocks_by_key(b)
    changes: list[dict] = []
    moved: dict[str, list] = {}
    other_change: set[str] = set()
    for key in sorted(set(ka) | set(kb), key=lambda k: (k[0], k[1], k[2])):
        article, kind, _ = key
        label = {"article": article, "kind": kind, "index": key[2]}
        if key not in kb:
            changes.append({"change": "removed", **label, "box_a": ka[key]["box"]})
            other_change.add(article)
            continue
        if key not in ka:
            changes.append({"change": "added", **label, "box_b": kb[key]["box"]})
            other_change.add(article)
            continue
        x, y = ka[key], kb[key]
        (ax, ay, aw, ah), (bx, by, bw, bh) = x["box"], y["box"]
        if abs(aw - bw) > MOVE_TOLERANCE_PT or abs(ah - bh) > MOVE_TOLERANCE_PT:
            changes.append({"change": "resized", **label, "box_a": x["box"], "box_b": y["box"]})
            other_change.add(article)
        elif abs(ax - bx) > MOVE_TOLERANCE_PT or abs(ay - by) > MOVE_TOLERANCE_PT:
            moved.setdefault(article, []).append((key, bx - ax, by - ay))
        if _styles(x) != _styles(y) or x.get("colour", "K") != y.get("colour", "K"):
            changes.append({"change": "restyled", **label, "style_a": _styles(x), "style_b": _styles(y),
                            "colour_a": x.get("colour", "K"), "colour_b": y.get("colour", "K")})
            other_change.add(article)
        la = [ln["text"] for ln in x.get("lines", [])]
        lb = [ln["text"] for ln in y.get("lines", [])]
        if la != lb:
            same_text = "".join(la) == "".join(lb)
            changes.append({"change": "reflowed" if same_text else "text", **label,
                            "lines_a": len(la), "lines_b": len(lb)})
        if x.get("image_sha256") != y.get("image_sha256"):
            changes.append({"change": "image", **label, "image_a": x.get("image"), "image_b": y.get("image")})
            other_change.add(article)
    for article, moves in moved.items():
        vectors = {(round(dx, 2), round(dy, 2)) for _, dx, dy in moves}
        count_a = sum(1 for k in ka if k[0] == article)
        if article and len(vectors) == 1 and len(moves) == count_a:
            dx, dy = next(iter(vectors))
            changes.append({"change": "moved", "article": article, "kind": "article", "index": 0,
                            "blocks": len(moves), "dx_mm": _mm(dx), "dy_mm": _mm(dy)})
        else:
            for key, dx, dy in moves:
                changes.append({"change": "moved", "article": key[0], "kind": key[1], "index": key[2],
                                "dx_mm": _mm(dx), "dy_mm": _mm(dy)})
    oa = {b.get("article") for b in a["blocks"] if b["kind"] == "overset"}
    ob = {b.get("article") for b in b["blocks"] if b["kind"] == "overset"}
    for art in sorted(oa ^ ob):
        changes.append({"change": "overset", "article": art, "kind": "overset", "index": 0,
                        "overset_a": art in oa, "overset_b": art in ob})
    arts_a = {x["id"] for x in a["articles"]}
    arts_b = {x["id"] for x in b["articles"]}
    for art in sorted(arts_a - arts_b):
        changes.append({"change": "article-removed", "article": art, "kind": "article", "index": 0})
    for art in sorted(arts_b - arts_a):
        changes.append({"change": "article-added", "article": art, "kind": "article", "index": 0})
    return changes


def article_texts(layout: dict) -> dict[str, str]:
    """Each article's text across the edition (deck, body, captions, jump lines), in order."""
    out: dict[str, list[str]] = {}
    for page in layout["pages"]:
        for b in page["blocks"]:
            if b.get("article") and b["kind"] not in ("rule", "frame", "overset"):
                out.setdefault(b["article"], []).extend(ln["text"] for ln in b.get("lines", []))
    return {k: "".join(v) for k, v in out.items()}


def text_diff(a: str, b: str, context: int = 12) -> list[dict]:
    """Character-level edits: op, the text before and after, and some context."""
    out = []
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        out.append({"op": op, "at": i1, "a": a[i1:i2], "b": b[j1:j2],
                    "before": a[max(0, i1 - context):i1], "after": a[i2:i2 + context]})
    return out


# -- raster diff ----------------------------------------------------------------

def raster_regions(img_a, img_b, dpi: float) -> list[list[float]]:
    """Boxes [x, y, w, h] in pt of the changed areas, anti-aliasing tolerated."""
    import numpy as np
    a = np.asarray(img_a.convert("L"), dtype=np.int16)
    b = np.asarray(img_b.convert("L"), dtype=np.int16)
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    a, b = a[:h, :w], b[:h, :w]

    def unmatched(p, q):
        # p's pixel is unmatched when no pixel of q within 1 px is close to it
        best = np.full(p.shape, 255, dtype=np.int16)
        qp = np.pad(q, 1, mode="edge")
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                np.minimum(best, np.abs(p - qp[dy:dy + h, dx:dx + w]), out=best)
        return best > PIXEL_TOLERANCE

    mask = unmatched(a, b) | unmatched(b, a)
    if not mask.any():
        return []
    th, tw = (h + TILE - 1) // TILE, (w + TILE - 1) // TILE
    padded = np.zeros((th * TILE, tw * TILE), dtype=bool)
    padded[:h, :w] = mask
    tiles = padded.reshape(th, TILE, tw, TILE).any(axis=(1, 3))
    # join tiles within 2 tiles of each other into one region (8-connectivity after dilation)
    grown = tiles.copy()
    for _ in range(2):
        g = np.pad(grown, 1)
        grown = g[1:-1, 1:-1] | g[:-2, 1:-1] | g[2:, 1:-1] | g[1:-1, :-2] | g[1:-1, 2:] \
            | g[:-2, :-2] | g[:-2, 2:] | g[2:, :-2] | g[2:, 2:]
    seen = np.zeros_like(grown)
    regions = []
    scale = 72.0 / dpi * TILE
    for y0, x0 in zip(*np.nonzero(grown)):
        if seen[y0, x0]:
            continue
        stack = [(y0, x0)]
        seen[y0, x0] = True
        ys, xs = [], []
        while stack:
            y, x = stack.pop()
            if tiles[y, x]:
                ys.append(y)
                xs.append(x)
            for ny in (y - 1, y, y + 1):
                for nx in (x - 1, x, x + 1):
                    if 0 <= ny < th and 0 <= nx < tw and grown[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
        if ys:
            regions.append([round(float(min(xs) * scale), 2), round(float(min(ys) * scale), 2),
                            round(float((max(xs) - min(xs) + 1) * scale), 2),
                            round(float((max(ys) - min(ys) + 1) * scale), 2)])
    return regions


def _labels(region: list[float], *pages: dict | None) -> list[str]:
    x, y, w, h = region
    out = []
    for page in pages:
        if not page:
            continue
        for b in page["blocks"]:
            bx, by, bw, bh = b["box"]
            if b["kind"] in ("rule", "frame") or bw <= 0 or bh <= 0:
                continue
            if bx < x + w and x < bx + bw and by < y + h and y < by + bh:
                label = f"{b.get('article') or 'page'}:{b['kind']}"
                if label not in out:
                    out.append(label)
    return out


# -- print deltas -----------------------------------------------------------------

def print_deltas(a: Path | None, b: Path | None) -> dict:
    from .pdfinspect import inspect_pdf
    if a is None or b is None:
        return {}
    (fa,), (fb,) = inspect_pdf(a), inspect_pdf(b)
    out = {}
    ja, jb = fa.to_json(), fb.to_json()
    # a subset's tag (ABCDEF+) names its glyph set: an edit changes it, nothing a press sees
    ja["fonts"], jb["fonts"] = _untagged(ja["fonts"]), _untagged(jb["fonts"])
    for key in ("fonts", "boxes", "colour_spaces", "text_not_k", "text_not_overprint", "rgb_operators"):
        if ja[key] != jb[key]:
            out[key] = {"a": ja[key], "b": jb[key]}
    return out


def _untagged(fonts: dict) -> dict:
    return {re.sub(r"^/?[A-Z]{6}\+", "", name): embedded for name, embedded in fonts.items()}


# -- the whole diff ------------------------------------------------------------------

@dataclass
class DiffResult:
    data: dict
    rendered_pages: int
    images: dict = field(default_factory=dict)   # page -> {"a": PIL, "b": PIL}


def diff(path_a: Path, path_b: Path, allow: tuple[str, ...] = (), max_changed_pages: int | None = None,
         dpi: float = 150.0) -> DiffResult:
    """Compare two builds or PDFs. Anything that makes them incomparable — a damaged
    manifest or PDF, a page too large to render — is a DiffError (exit 2), which is
    never confused with "they differ" (exit 1)."""
    from .proof import ProofError
    A, B = open_side(path_a), open_side(path_b)
    try:
        return _diff(A, B, allow, max_changed_pages, dpi)
    except ProofError as exc:
        raise DiffError(str(exc)) from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise DiffError(f"{A.label} or {B.label}: malformed layout manifest or PDF "
                        f"({type(exc).__name__}: {exc})") from None


def _diff(A: Side, B: Side, allow: tuple[str, ...], max_changed_pages: int | None, dpi: float) -> DiffResult:
    from .proof import render_pages
    if A.layout and B.layout and A.layout.get("slug") != B.layout.get("slug"):
        raise DiffError(f"these are builds of different editions: {A.layout.get('slug')} and "
                        f"{B.layout.get('slug')}")
    both_layout = A.layout is not None and B.layout is not None
    if both_layout:
        ha = [_layout_page_hash(p) for p in A.layout["pages"]]
        hb = [_layout_page_hash(p) for p in B.layout["pages"]]
    else:
        ha, hb = _pdf_page_hashes(A.pdf), _pdf_page_hashes(B.pdf)
    pages_out = []
    images = {}
    rendered = 0
    n = max(len(ha), len(hb))
    for i in range(n):
        number = i + 1
        entry: dict = {"page": number}
        if i >= len(ha) or i >= len(hb):
            entry["status"] = "added" if i >= len(ha) else "removed"
            pages_out.append(entry)
            continue
        if ha[i] == hb[i]:
            entry["status"] = "unchanged"
            pages_out.append(entry)
            continue
        entry["status"] = "changed"
        la = A.layout["pages"][i] if A.layout else None
        lb = B.layout["pages"][i] if B.layout else None
        if la and lb:
            entry["layout"] = layout_changes(la, lb)
            if (la["width"], la["height"]) != (lb["width"], lb["height"]):
                entry["size_changed"] = {"a": [la["width"], la["height"]], "b": [lb["width"], lb["height"]]}
        ra = render_pages(A.pdf, [number], dpi)[number]
        rb = render_pages(B.pdf, [number], dpi)[number]
        rendered += 1
        if ra.size != rb.size:
            entry["size_changed"] = entry.get("size_changed") or {"a": list(ra.size), "b": list(rb.size)}
            entry["regions"] = []
        else:
            entry["regions"] = [{"box": r, "blocks": _labels(r, lb, la)} for r in raster_regions(ra, rb, dpi)]
        entry["print"] = print_deltas(A.prints.get(number), B.prints.get(number))
        images[number] = {"a": ra, "b": rb}
        pages_out.append(entry)
    articles = {}
    if both_layout:
        ta, tb = article_texts(A.layout), article_texts(B.layout)
        for art in sorted(set(ta) | set(tb)):
            if ta.get(art, "") != tb.get(art, ""):
                articles[art] = {"edits": text_diff(ta.get(art, ""), tb.get(art, "")),
                                 "pages": _pages_of(art, A.layout) | _pages_of(art, B.layout)}
        for a in articles.values():
            a["pages"] = sorted(a["pages"])
    allowed = set(allow)
    unexpected_pages = []
    for entry in pages_out:
        if entry["status"] == "unchanged":
            continue
        arts = {c.get("article") for c in entry.get("layout", [])}
        arts |= {lbl.split(":")[0] for r in entry.get("regions", []) for lbl in r["blocks"]}
        arts.discard(None)
        expected = bool(arts) and arts <= allowed and entry["status"] == "changed" and not entry.get("print")
        entry["expected"] = expected
        if not expected:
            unexpected_pages.append(entry["page"])
    changed = [e["page"] for e in pages_out if e["status"] != "unchanged"]
    data = {"schema": 1, "a": A.label, "b": B.label, "mode": "layout" if both_layout else "pdf",
            "pages_compared": n, "changed_pages": len(changed), "changed": changed,
            "unexpected_pages": unexpected_pages, "allow": sorted(allowed),
            "max_changed_pages": max_changed_pages, "rendered_pages": rendered,
            "pages": pages_out, "articles": articles}
    unexpected_articles = sorted(art for art in articles if art not in allowed)
    data["unexpected_articles"] = unexpected_articles
    if not changed and not articles:
        status = 0
    elif max_changed_pages is not None:
        # a budget of pages that may change in ways nobody listed with --allow
        status = 0 if len(unexpected_pages) <= max_changed_pages else 1
    else:
        status = 1 if unexpected_pages or unexpected_articles else 0
    data["exit"] = status
    return DiffResult(data, rendered, images)


def _pages_of(article: str, layout: dict) -> set[int]:
    return {p["number"] for p in layout["pages"] for a in p["articles"] if a["id"] == article}
