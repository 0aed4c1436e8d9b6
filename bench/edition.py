#!/usr/bin/env python3
"""Edition build speed: synthetic editions of 4, 16 and 64 pages, clean builds.

    python -m bench.edition [--sizes 4,16,64] [--runs 5] [--jobs 1,2]

Each build runs as its own process (`banmian build --timings`), so wall time,
CPU time and peak RSS are the whole command's. Prints, per size and job count,
the median of RUNS runs after one warm-up: wall, CPU, peak RSS, reader PDF
bytes (and per page), characters per second, and seconds per stage.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import write_edition  # noqa: E402

# An installed banmian runs from compiled bytecode (pip compiles on install); a machine
# that sets PYTHONDONTWRITEBYTECODE would make every build compile its modules afresh.
BUILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_build(edition: Path, out: Path, jobs: int, clean: bool = True) -> dict:
    cmd = [sys.executable, "-m", "layout", "build", str(edition), "-o", str(out), "-q", "--timings",
           "-j", str(jobs)] + (["--clean"] if clean else [])
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=BUILD_ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    stdout = proc.stdout.read()
    stderr = proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed:\n{stderr[-2000:]}")
    stages = {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+)s", stdout)}
    # children's usage covers the worker processes of --jobs
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "stages": stages}


def characters(edition: Path) -> int:
    n = 0
    for f in (edition / "articles").glob("*.md"):
        body = f.read_text(encoding="utf-8").split("---", 2)[2]
        n += len(re.sub(r"\s|^## ", "", body))
    return n


def typst_available() -> bool:
    try:
        import typst  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4,16,64")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--jobs", default="1,2")
    args = ap.parse_args()
    typst: dict[int, tuple[float, float]] = {}   # pages -> Typst's median wall and peak RSS
    with tempfile.TemporaryDirectory(prefix="banmian-bench-") as tmp:
        tmp = Path(tmp)
        for size in (int(s) for s in args.sizes.split(",")):
            edition = write_edition(size, tmp / "src")
            chars = characters(edition)
            for jobs in (int(j) for j in args.jobs.split(",")):
                out = tmp / f"out-{size}-{jobs}"
                run_build(edition, out, jobs)  # warm-up (and the font metrics cache)
                runs = [run_build(edition, out, jobs) for _ in range(args.runs)]
                med = {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "rss_mb")}
                stages = {k: statistics.median(r["stages"].get(k, 0.0) for r in runs) for k in runs[0]["stages"]}
                pdf = out / edition.name / f"{edition.name}.pdf"
                size_b = pdf.stat().st_size
                print(f"{size:3d} pages, --jobs {jobs}: {chars:,} chars  wall {med['wall']:.2f} s  "
                      f"cpu {med['cpu']:.2f} s  peak RSS {med['rss_mb']:.0f} MB  PDF {size_b / 1e6:.2f} MB "
                      f"({size_b / size / 1000:.1f} KB/page)  {chars / med['wall']:,.0f} chars/s")
                print("    stages: " + "  ".join(f"{k} {v:.2f}s" for k, v in stages.items()), flush=True)
                if jobs == 1:
                    # incremental: one article edited, the rest reused from the cache
                    files = sorted((edition / "articles").glob("*.md"))
                    victim = files[len(files) // 2]
                    original = victim.read_text(encoding="utf-8")
                    times = []
                    for i in range(args.runs):
                        run_build(edition, out, jobs, clean=False)          # the cache is warm
                        victim.write_text(original.replace("。", "！", 1 + i % 3), encoding="utf-8")
                        times.append(run_build(edition, out, jobs, clean=False)["wall"])
                        victim.write_text(original, encoding="utf-8")
                    inc = statistics.median(times)
                    print(f"    one article edited: rebuild {inc:.2f} s = {100 * inc / med['wall']:.0f} % of a clean "
                          f"build", flush=True)
                if typst_available():
                    if size not in typst:
                        from bench.typst_peer import typst_build
                        work = tmp / f"typst-{size}"
                        work.mkdir(exist_ok=True)
                        typst_build(edition, work)  # warm-up
                        runs = [typst_build(edition, work) for _ in range(args.runs)]
                        typst[size] = (statistics.median(r[0] for r in runs), statistics.median(r[2] for r in runs))
                    t, rss = typst[size]
                    print(f"    typst {t:.2f} s, peak RSS {rss:.0f} MB (clean compile in a fresh process, same text, "
                          f"fonts and page) → banmian -j{jobs} / typst = {med['wall'] / t:.2f} wall, "
                          f"{med['rss_mb'] / rss:.2f} RSS", flush=True)


if __name__ == "__main__":
    main()
