"""The diff's self-contained HTML report: one file, pictures inlined as data URLs."""
from __future__ import annotations

import base64
import html
import io

from PIL import Image, ImageDraw

THUMB_W = 180
VIEW_W = 640
CROP_H = 160
MAX_CROPS = 8
CROP_MARGIN_PT = 18


def _data_url(img: Image.Image) -> str:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _scaled(img: Image.Image, width: int) -> Image.Image:
    h = round(img.height * width / img.width)
    return img.resize((width, h), Image.Resampling.LANCZOS)


def _crop_box(box: list[float], dpi: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    k = dpi / 72.0
    x, y, w, h = box
    m = CROP_MARGIN_PT
    return (max(0, round((x - m) * k)), max(0, round((y - m) * k)),
            min(size[0], round((x + w + m) * k)), min(size[1], round((y + h + m) * k)))


def _scaled_to_height(img: Image.Image, height: int) -> Image.Image:
    if img.height <= height:
        return img
    return img.resize((max(1, round(img.width * height / img.height)), height), Image.Resampling.LANCZOS)


def _outlined(img: Image.Image, regions: list[dict], dpi: float, colour=(220, 0, 0)) -> Image.Image:
    out = img.copy()
    d = ImageDraw.Draw(out)
    k = dpi / 72.0
    for r in regions:
        x, y, w, h = (v * k for v in r["box"])
        d.rectangle([x - 3, y - 3, x + w + 3, y + h + 3], outline=colour, width=max(2, round(k * 1.5)))
    return out


def _overlay(a: Image.Image, b: Image.Image) -> Image.Image:
    """A in red, B in cyan: what only A has shows red, what only B has shows cyan, the rest grey."""
    la, lb = a.convert("L"), b.convert("L")
    return Image.merge("RGB", (lb, la, la)) if la.size == lb.size else b


def change_text(c: dict) -> str:
    what = f"{c.get('article') or 'page'} {c['kind']}" + (f" #{c['index'] + 1}" if c.get("index") else "")
    if c["change"] == "moved":
        return f"{what} moved dx {c['dx_mm']:+.2f} mm, dy {c['dy_mm']:+.2f} mm"
    if c["change"] == "restyled":
        return f"{what} restyled {c['style_a']} → {c['style_b']}"
    if c["change"] in ("reflowed", "text"):
        return f"{what} {c['change']} ({c['lines_a']} → {c['lines_b']} lines)"
    return f"{what} {c['change']}"


def render_html(data: dict, images: dict, dpi: float) -> str:
    e = html.escape
    parts = [f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>banmian diff</title><style>
body{{font-family:sans-serif;margin:24px;color:#222}} h1{{font-size:22px}} h2{{font-size:18px;margin-top:32px}}
.thumbs{{display:flex;flex-wrap:wrap;gap:12px}} .thumb{{width:{THUMB_W}px;text-align:center;font-size:13px}}
.thumb img,.ph{{width:{THUMB_W}px;border:1px solid #999}} .ph{{height:{round(THUMB_W * 1.4)}px;background:#eee;
display:flex;align-items:center;justify-content:center;color:#888}} .changed img{{border:2px solid #d00}}
.pair{{display:flex;gap:16px;flex-wrap:wrap}} .pair figure{{margin:0}} .pair img{{width:{VIEW_W // 2}px;
border:1px solid #999}} figcaption{{font-size:13px;color:#555}} del{{background:#fcc}} ins{{background:#cfc}}
.crops img{{width:auto;max-width:{VIEW_W}px}} .ok{{color:#070}} .bad{{color:#b00}}
code{{font-size:12px}}</style></head><body>
<h1>banmian diff</h1><p><b>A</b> {e(data['a'])}<br><b>B</b> {e(data['b'])}</p>
<p>{data['pages_compared']} pages compared, {data['changed_pages']} changed
({data['rendered_pages']} rendered), {len(data['articles'])} articles with text changes —
<span class="{'ok' if data['exit'] == 0 else 'bad'}">exit {data['exit']}</span></p><div class="thumbs">"""]
    for page in data["pages"]:
        n = page["page"]
        if n in images:
            thumb = _scaled(_outlined(images[n]["b"], page.get("regions", []), dpi), THUMB_W)
            parts.append(f'<div class="thumb changed"><a href="#p{n}"><img alt="page {n}" '
                         f'src="{_data_url(thumb)}"></a><br>{n:02d} changed</div>')
        else:
            parts.append(f'<div class="thumb"><div class="ph">{e(page["status"])}</div>{n:02d}</div>')
    parts.append("</div>")
    for page in data["pages"]:
        n = page["page"]
        if n not in images:
            continue
        a, b = images[n]["a"], images[n]["b"]
        regions = page.get("regions", [])
        parts.append(f'<h2 id="p{n}">Page {n:02d}</h2><div class="pair">')
        for label, img in (("A", _outlined(a, regions, dpi)), ("B", _outlined(b, regions, dpi)),
                           ("overlay: A red, B cyan", _outlined(_overlay(a, b), regions, dpi, (0, 0, 0)))):
            parts.append(f'<figure><img alt="{label}" src="{_data_url(_scaled(img, VIEW_W))}">'
                         f"<figcaption>{e(label)}</figcaption></figure>")
        parts.append("</div>")
        crops = []
        for r in regions[:MAX_CROPS]:
            box = _crop_box(r["box"], dpi, a.size)
            pair = [_scaled_to_height(img.crop(box), CROP_H) for img in (a, b)]
            crops.append(f'<figure><img alt="A" src="{_data_url(pair[0])}"> <img alt="B" src="{_data_url(pair[1])}">'
                         f"<figcaption>{e(', '.join(r['blocks']) or 'no block')}: A | B</figcaption></figure>")
        if crops:
            parts.append('<div class="pair crops">' + "".join(crops) + "</div>")
        parts.append("<ul>")
        for c in page.get("layout", []):
            parts.append(f"<li>{e(change_text(c))}</li>")
        for r in regions:
            parts.append(f"<li>changed area at {r['box']} pt: {e(', '.join(r['blocks']) or 'no block')}</li>")
        for key, v in page.get("print", {}).items():
            parts.append(f"<li>print {e(key)}: <code>{e(str(v['a']))}</code> → <code>{e(str(v['b']))}</code></li>")
        parts.append("</ul>")
    if data["articles"]:
        parts.append("<h2>Text changes</h2>")
        for art, info in data["articles"].items():
            parts.append(f"<h3>{e(art)} (pages {', '.join(map(str, info['pages']))})</h3><ul>")
            for ed in info["edits"]:
                parts.append(f"<li>…{e(ed['before'])}<del>{e(ed['a'])}</del><ins>{e(ed['b'])}</ins>"
                             f"{e(ed['after'])}…</li>")
            parts.append("</ul>")
    parts.append("</body></html>")
    return "".join(parts)


