"""Write the sample edition's golden layout summaries: python -m tests.golden.update

Run it when a change to the layout is meant, and read the diff before committing it:
the golden files are what `tests/test_golden.py` holds every build to."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def summary(page: dict) -> dict:
    """The design decisions of a page, without the glyph runs: where every block is, what it
    is, its rules and colour, how many lines it sets and the first and last of them; where
    every article is placed and whether it jumps."""
    blocks = []
    for b in page["blocks"]:
        lines = b.get("lines", [])
        entry = {"kind": b["kind"], "box": b["box"]}
        for key in ("article", "column", "colour", "link", "image", "crop", "label", "fill"):
            if key in b:
                entry[key] = b[key]
        if lines:
            entry["lines"] = len(lines)
            entry["first"] = lines[0]["text"]
            entry["last"] = lines[-1]["text"]
        if b.get("rules"):
            entry["rules"] = b["rules"]
        blocks.append(entry)
    return {"number": page["number"], "label": page["label"], "section": page["section"],
            "size": [page["width"], page["height"]], "bleed": page["bleed"], "crop_marks": page["crop_marks"],
            "auto_placed": page["auto_placed"], "grid": page["grid"],
            "articles": [{k: a[k] for k in ("id", "box", "part", "continued_from", "continued_on", "characters")}
                         for a in page["articles"]],
            "blocks": blocks}


def write(layout: dict, folder: Path = HERE) -> list[Path]:
    out = []
    for page in layout["pages"]:
        path = folder / f"qinghe-ribao-{page['number']:02d}.json"
        path.write_text(json.dumps(summary(page), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        out.append(path)
    return out


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from layout.build import build_edition
    with tempfile.TemporaryDirectory() as tmp:
        result = build_edition(ROOT / "editions" / "qinghe-ribao", Path(tmp))
        if not result.ok:
            raise SystemExit("the sample did not build")
        layout = json.loads((result.out_dir / "layout.json").read_text(encoding="utf-8"))
    for path in write(layout):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
