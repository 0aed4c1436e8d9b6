"""The same synthetic edition set by Typst, for a speed comparison (optional).

Used by bench/edition.py when the `typst` Python package is installed. The
template is as close as Typst allows to banmian's broadsheet: 390 × 545 mm,
the same margins, 6 columns with 1.5-character gutters, 9 pt body in the
same shipped fonts (Song body, Hei headlines, Kai kickers), justified with a
2-em first-line indent and Typst's CJK–Latin spacing. Typst flows the text in
page-wide columns rather than article blocks on a grid, so it does somewhat
less work than banmian: read the ratio with that in mind.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

FONTS = Path(__file__).resolve().parent.parent / "fonts"

TEMPLATE = """#set page(width: 390mm, height: 545mm, margin: (x: 20mm, top: 20mm, bottom: 18mm), columns: 6)
#set columns(gutter: 13.5pt)
#set text(font: ("Banmian Song", "Banmian Kai"), size: 9pt, lang: "zh", region: "cn")
#set par(justify: true, leading: 5pt, spacing: 5pt, first-line-indent: 2em)
#show heading.where(level: 1): it => block(text(font: "Banmian Hei", size: 22pt, it.body))
#show heading.where(level: 2): it => block(align(center, text(font: "Banmian Hei", size: 9pt, it.body)))
"""


def _lit(text: str) -> str:
    return '#"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def typst_source(edition: Path) -> str:
    out = [TEMPLATE]
    for f in sorted((edition / "articles").glob("*.md")):
        front, body = f.read_text(encoding="utf-8").split("---", 2)[1:]
        head = re.search(r"^headline: (.*)$", front, re.M).group(1)
        kicker = re.search(r"^kicker: (.*)$", front, re.M)
        if kicker:
            out.append(f'#text(font: "Banmian Kai", size: 12pt, {_lit(kicker.group(1))[1:]})\n')
        out.append(f"= {_lit(head)}\n")
        for para in body.strip().split("\n\n"):
            para = para.strip()
            if para.startswith("## "):
                out.append(f"== {_lit(para[3:])}\n")
            elif para:
                out.append(_lit(para.replace("\n", "")) + "\n")
    return "\n".join(out)


def typst_build(edition: Path, workdir: Path) -> tuple[float, bytes, float]:
    """(seconds, PDF, peak RSS in MB) for one clean compile of the edition's text with Typst,
    in a fresh process like a banmian build: within one process Typst memoises its work,
    and a second compile of the same source costs almost nothing."""
    src = workdir / "edition.typ"
    out = workdir / "edition.pdf"
    src.write_text(typst_source(edition), encoding="utf-8")
    code = ("import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], font_paths=[sys.argv[3]], "
            "ignore_system_fonts=True)")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(src), str(out), str(FONTS)])
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("typst failed")
    return time.perf_counter() - t0, out.read_bytes(), usage.ru_maxrss / 1024
