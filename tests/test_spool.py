"""What a build made of a page waits on disk, not in memory, until the products are made.

A page's layout.json line and its drawing are written to a temporary file as the page
is composed (`spool.Spool`); what is read back is exactly what was written — in this
process, in a worker forked while the spool is open, and in one that received the
spool pickled.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from layout.build import compose
from layout.render.drawing import DrawingSpool, SpooledDrawing, encode_drawing
from layout.render.pdf import PageOps, page_ops
from layout.spool import Spool
from layout.tree import LineSpool

from .conftest import SAMPLE


@pytest.fixture(scope="module")
def sample_drawn():
    """The sample composed twice: drawn as a build draws (spooled), and with its exact blocks."""
    drawn = compose(SAMPLE, draw_pages=True)
    exact = compose(SAMPLE)
    assert drawn.ok and exact.ok
    return drawn, exact


def test_every_sample_page_is_drawn_into_the_spool_and_read_back_exactly(sample_drawn):
    drawn, exact = sample_drawn
    assert sorted(drawn.drawings) == [p.number for p in exact.tree.pages]
    for page in exact.tree.pages:
        spooled = drawn.drawings[page.number]
        assert isinstance(spooled, SpooledDrawing)
        ops = page_ops(page, exact.registry)
        assert (spooled.parts, spooled.chars, spooled.marks, spooled.uses) == (ops.parts, ops.chars, ops.marks,
                                                                               ops.uses)


def test_a_drawing_says_what_its_page_must_be_prepared_for(sample_drawn):
    """`uses` lets a page drawn again from its kept stream get its colour and image
    resources without its operators being read."""
    drawn, exact = sample_drawn
    uses = {n: d.uses for n, d in drawn.drawings.items()}
    pictures = {p.number for p in exact.tree.pages if any(b.kind == "image" for b in p.blocks)}
    assert {n for n, u in uses.items() if "picture" in u} == pictures and pictures
    assert any("accent" in u for u in uses.values())


def test_encoding_a_drawing_keeps_every_field_and_writes_no_newline():
    from layout.render.pdf import Mark
    from layout.tree import Block, Box
    ops = PageOps(("BT\n/F1 9 Tf ET", Block("image", Box(1.5, 2, 3, 4), "a", image="x.png")),
                  {"Song": "中文\n"}, (Mark("P", "a", "第一行\n", False), Mark("Artifact")), ("picture",))
    encoded = encode_drawing(ops)
    assert not any(b"\n" in record for record in encoded)
    back = DrawingSpool().add(1, encoded)
    assert PageOps(back.parts, back.chars, back.marks, back.uses) == ops


def _digests(spool, keys):
    return [hashlib.sha256(spool.read(k)).hexdigest() for k in keys]


_INHERITED: list = []   # what a forked worker finds as the parent left it (not pickled to it)


def _inherited_digests(keys):
    return _digests(_INHERITED[0], keys)


def test_a_worker_forked_while_the_spool_is_open_reads_it_as_this_process_does():
    """Reads at an offset: a forked worker reading shares no file position with this one."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here")
    spool = Spool()
    keys = list(range(40))
    for k in keys:
        spool.put(k, bytes([k]) * (10_000 + 997 * k))
    want = [hashlib.sha256(bytes([k]) * (10_000 + 997 * k)).hexdigest() for k in keys]
    _INHERITED[:] = [spool]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as ex:
        theirs = [ex.submit(_inherited_digests, keys) for _ in range(20)]
        ours = []
        while not all(f.done() for f in theirs):    # this process reads while they do
            ours.append(_digests(spool, keys))
        assert all(f.result() == want for f in theirs)
    assert all(d == want for d in ours)


def test_spools_travel_pickled_as_their_records_to_a_worker_that_is_not_forked():
    lines = LineSpool()
    lines.add(2, "第二版".encode() * 1000)
    lines.add(1, b"{}")
    again = pickle.loads(pickle.dumps(lines))
    assert dict(again.items()) == dict(lines.items()) and again.digest(2) == lines.digest(2)
    drawings = DrawingSpool()
    drawing = drawings.add(5, encode_drawing(PageOps(("q Q",), {"Song": "字"})))
    moved = pickle.loads(pickle.dumps(drawing))
    assert moved.spool is not drawings and moved.parts == ("q Q",) and moved.chars == {"Song": "字"}


def test_a_build_keeps_its_temporary_files_in_out_and_leaves_none(edition_copy, tmp_path, monkeypatch):
    """On the disk the outputs go to, not in the system's temporary folder (which may be
    memory: tmpfs); and nothing of them stays behind."""
    import tempfile

    from layout.build import build_edition
    made = []

    def watched(real):
        def temporary_file(*args, **kwargs):
            made.append(kwargs.get("dir"))
            return real(*args, **kwargs)
        return temporary_file
    for name in ("TemporaryFile", "NamedTemporaryFile"):
        monkeypatch.setattr(tempfile, name, watched(getattr(tempfile, name)))
    folder = edition_copy("mini")
    before = set(tmp_path.rglob("*"))
    result = build_edition(folder, tmp_path / "out", jobs=1)
    assert result.ok and len(made) >= 2     # the lines, the drawings
    assert all(folder == result.out_dir for folder in made), made
    left = {p for p in set(tmp_path.rglob("*")) - before if ".cache" not in p.parts}
    assert {p.relative_to(tmp_path / "out" / "mini").as_posix() for p in left if p.is_file()} == {
        ".lock", "layout.json", "mini.pdf", "print/01.pdf", "print/02.pdf", "report.json"}
