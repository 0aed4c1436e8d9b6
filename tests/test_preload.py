"""The edition loaded in a second process while the build gets ready (`preload.EarlyLoad`):
the build takes it only when the child loaded the very folder it builds, and the
edition, its problems, the products and the cache are those of a build that loaded
for itself."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import layout.preload
from layout.build import build_edition
from layout.edition.load import load_edition
from layout.preload import EarlyLoad

from .conftest import ROOT, SAMPLE
from .robust import edit

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the early load forks")


def _products(out_dir):
    return {p.relative_to(out_dir): p.read_bytes() for p in sorted(out_dir.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def test_an_early_load_gives_the_edition_and_the_problems_a_load_here_gives(edition_copy):
    folder = edition_copy(SAMPLE)
    edit(folder, "articles/opera.md", "。", ",")    # a copy clean-up warning, to come across too
    here, here_problems = load_edition(folder)
    with EarlyLoad(folder) as early:
        there, there_problems = early.take(folder)
        records = early.records()
    assert there == here
    assert [str(p) for p in there_problems] == [str(p) for p in here_problems]
    assert any(p.kind == "copy-cleanup" for p in there_problems)
    assert len(records) == len(here.articles) and all(b"\n" not in r for r in records)


def test_a_build_that_took_the_early_load_is_the_build_that_loaded_for_itself(edition_copy, tmp_path):
    folder = edition_copy(SAMPLE)
    alone = build_edition(folder, tmp_path / "alone", jobs=2)
    with EarlyLoad(folder) as early:
        taken = build_edition(folder, tmp_path / "early", jobs=2, early=early)
    assert alone.ok and taken.ok
    assert _products(alone.out_dir) == _products(taken.out_dir)
    # the cache holds the same article records, so the next build parses nothing again
    cached = sorted((taken.out_dir / ".cache" / "articles").iterdir())
    assert [p.read_bytes() for p in cached] == \
        [p.read_bytes() for p in sorted((alone.out_dir / ".cache" / "articles").iterdir())]
    edit(folder, "articles/opera.md", "。", "！")
    again = build_edition(folder, tmp_path / "early", jobs=1)
    assert again.cache["kinds"]["articles"] == {"hits": 1, "misses": 0}


def test_an_early_load_of_another_folder_is_not_taken(edition_copy, tmp_path):
    folder = edition_copy(SAMPLE)
    other = tmp_path / "other"
    other.mkdir()
    with EarlyLoad(other) as early:
        assert early.take(folder) is None
        assert early.records() is None
    assert build_edition(folder, tmp_path / "out", jobs=1, early=EarlyLoad(other)).ok


def test_a_child_that_fails_leaves_the_load_to_the_build(edition_copy, tmp_path, monkeypatch):
    def broken(folder, conn):
        raise MemoryError("the child could not load")
    monkeypatch.setattr(layout.preload, "_load", broken)
    folder = edition_copy(SAMPLE)
    with EarlyLoad(folder) as early:
        result = build_edition(folder, tmp_path / "out", jobs=2, early=early)
    assert result.ok and len(result.edition.pages) == 6
    assert _products(result.out_dir) == _products(build_edition(folder, tmp_path / "alone", jobs=1).out_dir)


def test_a_child_nobody_takes_from_is_ended_and_reaped(edition_copy):
    folder = edition_copy(SAMPLE)
    early = EarlyLoad(folder)
    pid = early._pid
    early.close()
    with pytest.raises(ChildProcessError):     # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)


def test_the_command_line_builds_the_same_with_and_without_a_second_process(edition_copy, tmp_path):
    folder = edition_copy(SAMPLE)
    for jobs in ("1", "2"):
        proc = subprocess.run([sys.executable, "-m", "layout", "build", str(folder), "-o", str(tmp_path / jobs),
                               "-q", "-j", jobs], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert _products(tmp_path / "1" / folder.name) == _products(tmp_path / "2" / folder.name)
