#!/usr/bin/env python3
"""The compiled line-setting core against the pure-Python one: check it, measure it.

    python -m bench.compiled [--runs 5]

The core (layout/text/_core.c) is built by `pip install` where there is a C compiler;
BANMIAN_PURE=1 makes a process set with paragraph.py alone. In fresh processes, this

- builds the sample edition and a 16-page synthetic one both ways and compares every
  output file byte for byte (exit 1 if any differs: the compiled core must be a drop-in);
- times `bench.typeset`'s paragraphs (11- and 17-em columns), compiled and pure
  alternating, and prints the medians.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import write_edition  # noqa: E402

SAMPLE = ROOT / "editions" / "qinghe-ribao"

_TIMING = """
import sys, json
root, chars = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, root)
import layout.text.paragraph as paragraph
from bench.newscopy import news_copy
from bench.typeset import run
from layout.fonts import FontRegistry
from layout.text.paragraph import FontMeasure
paras = news_copy(chars)
fm = FontMeasure(FontRegistry())
run(paras[:200], 11, fm)
print(json.dumps({"compiled": paragraph._compiled is not None, "11": run(paras, 11, fm)[0],
                  "17": run(paras, 17, fm)[0], "chars": sum(map(len, paras))}))
"""

_BUILD = """
import sys
root, edition, out = sys.argv[1:4]
sys.path.insert(0, root)
import layout.text.paragraph as paragraph
from layout.build import build_edition
result = build_edition(edition, out, jobs=1, clean=True)
print(paragraph._compiled is not None, result.ok)
"""


def env_for(name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BANMIAN_PURE", "PYTHONDONTWRITEBYTECODE")}
    if name == "pure":
        env["BANMIAN_PURE"] = "1"
    return env


def outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and p.name != ".lock"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--chars", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="banmian-compiled-") as tmp:
        tmp = Path(tmp)
        write_edition(16, tmp / "synth")
        same = True
        for edition in (SAMPLE, tmp / "synth" / "synth-16"):
            built = {}
            for name in ("pure", "compiled"):
                out = tmp / f"out-{name}"
                proc = subprocess.run([sys.executable, "-c", _BUILD, str(ROOT), str(edition), str(out)],
                                      capture_output=True, text=True, cwd=tmp, env=env_for(name))
                if proc.returncode != 0 or proc.stdout.split() != [str(name == "compiled"), "True"]:
                    print(f"{edition.name} ({name}): build failed or the core is not built "
                          f"(pip install -e . with a C compiler)\n{proc.stdout}{proc.stderr}")
                    return 1
                built[name] = outputs(out / edition.name)
            differ = sorted(k for k in built["pure"].keys() | built["compiled"].keys()
                            if built["pure"].get(k) != built["compiled"].get(k))
            print(f"{edition.name}: {len(built['pure'])} files, "
                  + ("byte-identical" if not differ else f"DIFFER: {', '.join(differ[:5])}"))
            same = same and not differ
        times: dict[str, list[dict]] = {"pure": [], "compiled": []}
        for _ in range(args.runs):
            for name in ("pure", "compiled"):
                proc = subprocess.run([sys.executable, "-c", _TIMING, str(ROOT), str(args.chars)],
                                      capture_output=True, text=True, check=True, cwd=tmp, env=env_for(name))
                row = json.loads(proc.stdout.strip().splitlines()[-1])
                assert row["compiled"] == (name == "compiled")
                times[name].append(row)
        for ems in ("11", "17"):
            pure = statistics.median(r[ems] for r in times["pure"])
            compiled = statistics.median(r[ems] for r in times["compiled"])
            chars = times["pure"][0]["chars"]
            print(f"{ems}-em column, {chars:,} chars: pure {pure:.3f} s ({chars / pure:,.0f}/s), "
                  f"compiled {compiled:.3f} s ({chars / compiled:,.0f}/s): {pure / compiled:.2f}×")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
