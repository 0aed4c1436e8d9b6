#!/usr/bin/env python3
"""Pictures: what photographs cost a build, a rebuild and the reader's download.

    python -m bench.pictures [--runs 5]

The sample edition with its six pictures made photographs: each PNG replaced by a
JPEG of the same pixel size with a photograph's fine detail (noise over a gradient,
quality 85). Prints the median of RUNS: a clean build at -j1 (stages), a rebuild
after one article is edited in a process that builds again and again as `banmian
watch` does (one CacheMemory, imports ready), and the reader edition's size and
that of its pictures.
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def photographs(folder: Path) -> int:
    """Replace the edition's PNG pictures by photograph-like JPEGs; returns how many."""
    from PIL import Image
    rng = random.Random(2026)
    count = 0
    for png in sorted((folder / "images").glob("*.png")):
        with Image.open(png) as im:
            size = im.size
        w, h = size
        base = Image.linear_gradient("L").resize(size).convert("RGB")
        noise = Image.frombytes("RGB", size, rng.randbytes(w * h * 3))
        Image.blend(base, noise, 0.15).save(png.with_suffix(".jpg"), "JPEG", quality=85)
        png.unlink()
        count += 1
    for article in (folder / "articles").glob("*.md"):
        text = article.read_text(encoding="utf-8")
        article.write_text(re.sub(r"(images/[\w-]+)\.png", r"\1.jpg", text), encoding="utf-8")
    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from layout.build import build_edition
    from layout.cache import CacheMemory
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "qinghe-ribao"
        shutil.copytree(ROOT / "editions" / "qinghe-ribao", folder)
        count = photographs(folder)
        out = Path(tmp) / "out"
        build_edition(folder, out, jobs=1, clean=True)          # warm-up
        walls, stages = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            result = build_edition(folder, out, jobs=1, clean=True)
            walls.append(time.perf_counter() - t)
            stages.append(result.timings)
        clean = statistics.median(walls)
        print(f"sample with {count} photographs (JPEG), clean build -j1: {clean:.2f} s  stages: "
              + "  ".join(f"{k} {statistics.median(s[k] for s in stages):.2f}s" for k in stages[0]))
        reader = result.out_dir / f"{result.edition.slug}.pdf"
        import pikepdf
        with pikepdf.open(reader) as pdf:
            pictures = sum(len(x.read_raw_bytes()) for p in pdf.pages
                           for _, x in p.Resources.get("/XObject", {}).items() if x.get("/Subtype") == "/Image")
        print(f"    reader edition {reader.stat().st_size / 1e6:.2f} MB, of which pictures {pictures / 1e6:.2f} MB")
        memory = CacheMemory()
        build_edition(folder, out, jobs=1, memory=memory)
        victim = folder / "articles" / "briefs.md"
        original = victim.read_text(encoding="utf-8")
        edits = []
        try:
            for i in range(args.runs):
                victim.write_text(original.replace("。", "！", 1 + i % 3), encoding="utf-8")
                t = time.perf_counter()
                build_edition(folder, out, jobs=1, memory=memory)
                edits.append(time.perf_counter() - t)
                victim.write_text(original, encoding="utf-8")
                build_edition(folder, out, jobs=1, memory=memory)
        finally:
            victim.write_text(original, encoding="utf-8")
        edit = statistics.median(edits)
        print(f"    one article edited, rebuilt in a watching process: {edit:.2f} s = {100 * edit / clean:.0f} % "
              f"of a clean build (median of {len(edits)})")


if __name__ == "__main__":
    main()
