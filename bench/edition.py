#!/usr/bin/env python3
"""Edition build speed: synthetic editions of 4, 16 and 64 pages, clean builds.

    python -m bench.edition [--sizes 4,16,64] [--runs 5] [--jobs 1,2]

Each build runs as its own process (`banmian build --timings`), so wall time,
CPU time and peak RSS are the whole command's. Prints, per size and job count,
the median of RUNS runs after one warm-up: wall, CPU, peak RSS, reader PDF
bytes (and per page), characters per second, and seconds per stage. With the
`typst` package installed, Typst compiles the same text in the same rounds
(interleaved: each round builds with every job count, then with Typst), and
the ratios are of those medians. Then, at -j1, one article edited: its
rebuild against a clean build made just before it, and its rebuild in a
running `banmian watch` (the process stays: no start-up, imports ready).
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


def watch_edits(edition: Path, out: Path, victim: Path, original: str, runs: int) -> list[float]:
    """Seconds `banmian watch` reports for rebuilding after each of `runs` edits of `victim`
    (the time from a save to the new outputs is that plus up to one --interval)."""
    proc = subprocess.Popen([sys.executable, "-m", "layout", "watch", str(edition), "-o", str(out), "-j", "1",
                             "--interval", "0.1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=BUILD_ENV)

    def next_build() -> float:
        for line in proc.stdout:
            found = re.search(r" built \S+: \d+ pages in ([\d.]+) s", line)
            if found:
                return float(found.group(1))
        raise SystemExit("banmian watch ended")
    seconds = []
    try:
        next_build()                      # the first build
        for i in range(runs):
            victim.write_text(original.replace("。", "！", 1 + i % 3), encoding="utf-8")
            seconds.append(next_build())
            victim.write_text(original, encoding="utf-8")
            next_build()                  # back to the original
    finally:
        victim.write_text(original, encoding="utf-8")
        proc.terminate()
        proc.wait()
    return seconds


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
    job_counts = [int(j) for j in args.jobs.split(",")]
    with_typst = typst_available()
    with tempfile.TemporaryDirectory(prefix="banmian-bench-") as tmp:
        tmp = Path(tmp)
        for size in (int(s) for s in args.sizes.split(",")):
            edition = write_edition(size, tmp / "src")
            chars = characters(edition)
            outs = {jobs: tmp / f"out-{size}-{jobs}" for jobs in job_counts}
            work = tmp / f"typst-{size}"
            work.mkdir(exist_ok=True)
            # warm-ups (and the font metrics cache), then rounds in which every contender builds
            # once, one after another: a slow minute of the machine falls on all of them alike
            for jobs in job_counts:
                run_build(edition, outs[jobs], jobs)
            if with_typst:
                from bench.typst_peer import typst_build
                typst_build(edition, work)
            runs: dict = {jobs: [] for jobs in job_counts}
            typst_runs = []
            for _ in range(args.runs):
                for jobs in job_counts:
                    runs[jobs].append(run_build(edition, outs[jobs], jobs))
                if with_typst:
                    wall, _pdf, rss = typst_build(edition, work)
                    typst_runs.append({"wall": wall, "rss_mb": rss})
            typst = {k: statistics.median(r[k] for r in typst_runs) for k in ("wall", "rss_mb")} if typst_runs else None
            for jobs in job_counts:
                med = {k: statistics.median(r[k] for r in runs[jobs]) for k in ("wall", "cpu", "rss_mb")}
                stages = {k: statistics.median(r["stages"].get(k, 0.0) for r in runs[jobs])
                          for k in runs[jobs][0]["stages"]}
                pdf = outs[jobs] / edition.name / f"{edition.name}.pdf"
                size_b = pdf.stat().st_size
                print(f"{size:3d} pages, --jobs {jobs}: {chars:,} chars  wall {med['wall']:.2f} s  "
                      f"cpu {med['cpu']:.2f} s  peak RSS {med['rss_mb']:.0f} MB  PDF {size_b / 1e6:.2f} MB "
                      f"({size_b / size / 1000:.1f} KB/page)  {chars / med['wall']:,.0f} chars/s")
                print("    stages: " + "  ".join(f"{k} {v:.2f}s" for k, v in stages.items()), flush=True)
                if typst is not None:
                    # this machine's speed drifts from minute to minute (Typst alone: 1.14–1.58 s for
                    # the same 64 pages in one afternoon): the ratio of each round's two builds, made
                    # one after the other, drifts less than the ratio of the medians
                    paired = statistics.median(r["wall"] / t["wall"] for r, t in zip(runs[jobs], typst_runs))
                    print(f"    typst {typst['wall']:.2f} s, peak RSS {typst['rss_mb']:.0f} MB (clean compile in a "
                          f"fresh process, same text, fonts and page; the same rounds) → banmian -j{jobs} / typst = "
                          f"{med['wall'] / typst['wall']:.2f} wall ({paired:.2f}: median of the rounds' ratios), "
                          f"{med['rss_mb'] / typst['rss_mb']:.2f} RSS", flush=True)
            if 1 in job_counts:
                # incremental: one article edited, the rest reused from the cache; each edit's
                # rebuild is set against a clean build of the same round
                files = sorted((edition / "articles").glob("*.md"))
                victim = files[len(files) // 2]
                original = victim.read_text(encoding="utf-8")
                shares, times = [], []
                for i in range(args.runs):
                    clean = run_build(edition, outs[1], 1)["wall"]      # the cache is warm
                    victim.write_text(original.replace("。", "！", 1 + i % 3), encoding="utf-8")
                    try:
                        inc = run_build(edition, outs[1], 1, clean=False)["wall"]
                    finally:
                        victim.write_text(original, encoding="utf-8")
                    times.append(inc)
                    shares.append(inc / clean)
                print(f"    one article edited (-j1): rebuild {statistics.median(times):.2f} s = "
                      f"{100 * statistics.median(shares):.0f} % of a clean build (median of {args.runs} pairs)",
                      flush=True)
                clean = statistics.median(r["wall"] for r in runs[1])
                watched = watch_edits(edition, outs[1], victim, original, args.runs)
                inc = statistics.median(watched)
                print(f"    one article edited, `banmian watch -j1` running: rebuild {inc:.2f} s = "
                      f"{100 * inc / clean:.0f} % of a clean build (median of {len(watched)})", flush=True)


if __name__ == "__main__":
    main()
