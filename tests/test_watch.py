"""`banmian watch`: an edition built again each time one of its files is saved.

Each build is the build of `banmian build` — the same outputs, byte for byte — and a
failed one leaves the last good outputs and the watch going.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from layout.build import build_edition
from layout.watch import changes, snapshot, watch

from .conftest import ROOT
from .robust import banmian, edit

PRODUCTS = ["mini.pdf", "layout.json", "print/01.pdf", "print/02.pdf", "report.json"]


def products(out_dir):
    return {rel: (out_dir / rel).read_bytes() for rel in PRODUCTS}


def test_a_snapshot_sees_the_files_a_build_reads_and_not_editors_leftovers_or_out(edition_copy):
    folder = edition_copy("mini")
    (folder / ".a.md.swp").write_text("vim")
    (folder / "articles" / "a.md~").write_text("backup")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref")
    out = folder / "output" / "mini"            # OUT inside the edition folder: its files are not the edition's
    out.mkdir(parents=True)
    (out / "mini.pdf").write_bytes(b"%PDF")
    seen = snapshot(folder, skip=out)
    assert sorted(seen) == ["articles/a.md", "articles/b.md", "articles/c.md", "edition.yaml"]
    edit(folder, "articles/b.md", "。", "！")
    (folder / "articles" / "d.md").write_text("new", encoding="utf-8")
    (folder / "articles" / "c.md").unlink()
    assert changes(seen, snapshot(folder, skip=out)) == ["articles/b.md", "articles/c.md", "articles/d.md"]


def test_watching_builds_now_and_after_each_save_as_build_does_and_goes_on_after_a_failure(edition_copy,
                                                                                           tmp_path):
    folder, out = edition_copy("mini"), tmp_path / "out"
    saves = [
        lambda: edit(folder, "articles/c.md", "八个月", "九个月"),          # a good edit
        lambda: edit(folder, "edition.yaml", "pages:", "pages: [oops"),    # a broken edition.yaml
        lambda: edit(folder, "edition.yaml", "pages: [oops", "pages:"),    # mended
    ]
    builds, looks = [], []

    def sleep(_seconds):
        looks.append(1)
        if len(looks) % 3 == 0 and saves and len(builds) == len(looks) // 3:
            saves.pop(0)()            # a save while the watch looks

    def on_build(b):
        builds.append((b.changed, b.result.ok, products(b.result.out_dir) if b.result.ok else None))

    watch(folder, out, on_build, jobs=1, interval=0, settle=0, sleep=sleep, stop=lambda: len(builds) == 4)
    assert [(changed, ok) for changed, ok, _ in builds] == [
        ([], True), (["articles/c.md"], True), (["edition.yaml"], False), (["edition.yaml"], True)]
    after_edit = builds[1][2]
    assert products(out / "mini") == after_edit              # the failed build left them as they were
    fresh = build_edition(folder, tmp_path / "fresh", jobs=1, clean=True)
    assert products(fresh.out_dir) == after_edit             # what `build` makes of the edited edition
    assert builds[0][2]["mini.pdf"] != after_edit["mini.pdf"]


def test_watch_refuses_a_folder_that_is_not_an_edition(tmp_path):
    proc = banmian("watch", tmp_path, "-o", tmp_path / "out")
    assert proc.returncode == 2 and "not an edition folder" in proc.stderr


def test_ctrl_c_stops_the_watch_with_exit_0(edition_copy, tmp_path):
    folder = edition_copy("mini")
    # Ctrl-C's usual handler in the child whatever this process was started with: a shell
    # starts a background job with SIGINT ignored, and a child inherits that
    start = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
             "sys.argv = ['banmian'] + sys.argv[1:]; runpy.run_module('layout', run_name='__main__')")
    proc = subprocess.Popen([sys.executable, "-c", start, "watch", str(folder), "-o", str(tmp_path / "out"),
                             "--interval", "0.1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if " built mini: 2 pages" in line:
                break
        assert any(" built mini: 2 pages" in ln for ln in lines), lines
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "stopped" in out and "Traceback" not in err
    assert (tmp_path / "out" / "mini" / "mini.pdf").is_file()


def test_a_watching_process_keeps_what_its_builds_read_and_stays_byte_identical(edition_copy, tmp_path):
    """Between builds the watch keeps the page entries, the decoded articles and the font
    registry (`cache.CacheMemory`): after an edit, the unchanged pages and articles are not
    read from disk again — here they are gone from it — and the outputs are those of a
    fresh build."""
    from layout.cache import CacheMemory
    folder, out = edition_copy("mini"), tmp_path / "out"
    memory = CacheMemory()
    first = build_edition(folder, out, jobs=1, memory=memory)
    assert first.ok and memory.entries and memory.articles and memory.fonts
    registry = memory.fonts[1]
    for kind in ("pages", "articles"):
        for entry in (out / "mini" / ".cache" / kind).iterdir():
            entry.unlink()
    edit(folder, "articles/c.md", "八个月", "九个月")     # page 2 composed again; page 1 and a, b kept
    again = build_edition(folder, out, jobs=1, memory=memory)
    assert again.ok and again.cache["kinds"]["pages"]["hits"] >= 1
    assert memory.fonts[1] is registry
    fresh = build_edition(folder, tmp_path / "fresh", jobs=1, clean=True)
    assert products(again.out_dir) == products(fresh.out_dir)
    # page 1's entry, read by the second build, is kept decoded — its drawing's marks too, once
    # the structure tree has read them — and the third build reuses the very objects
    (page1,) = [v for p, v in memory.decoded.items() if p.parent.name == "pages" and v.head.number == 1]
    assert page1.drawing._marks is not None
    edit(folder, "articles/c.md", "九个月", "十个月")
    third = build_edition(folder, out, jobs=1, memory=memory)
    assert [v is page1 for p, v in memory.decoded.items() if p.parent.name == "pages" and v.head.number == 1] \
        == [True]
    fresh = build_edition(folder, tmp_path / "fresh3", jobs=1, clean=True)
    assert third.ok and products(third.out_dir) == products(fresh.out_dir)


class _SignalInFinalizer:
    """Ctrl-C arriving while the garbage collector runs a finalizer: raised there, a
    KeyboardInterrupt would be swallowed ("Exception ignored in …")."""

    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):          # the handler runs between these instructions
            pass


def test_ctrl_c_while_a_finalizer_runs_still_stops_the_watch(edition_copy, tmp_path):
    folder, out = edition_copy("mini"), tmp_path / "out"
    looks = []

    def sleep(_seconds):
        looks.append(1)
        _SignalInFinalizer()           # made and dropped at once: its finalizer runs here

    before = signal.signal(signal.SIGINT, signal.default_int_handler)   # as a terminal's Ctrl-C
    try:
        with pytest.raises(KeyboardInterrupt):
            watch(folder, out, lambda b: None, jobs=1, interval=0, settle=0, sleep=sleep,
                  stop=lambda: len(looks) > 50)
        assert len(looks) == 1, "the watch stopped after the look the signal came in"
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler   # put back as it was
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_watch_started_with_ctrl_c_ignored_keeps_ignoring_it(edition_copy, tmp_path):
    """A shell's background job has SIGINT ignored: waiting for a save does not change that."""
    folder, out = edition_copy("mini"), tmp_path / "out"
    looks = []

    def sleep(_seconds):
        looks.append(1)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGINT)   # ignored

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        watch(folder, out, lambda b: None, jobs=1, interval=0, settle=0, sleep=sleep, stop=lambda: len(looks) >= 3)
    finally:
        signal.signal(signal.SIGINT, before)
    assert len(looks) == 3
