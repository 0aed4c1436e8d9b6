"""The reader edition's incremental update (`render.update`): object streams and a
cross-reference stream appended to a file with a classic cross-reference table."""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from layout.render.update import OBJECTS_PER_STREAM, incremental_update, last_xref

from .conftest import SAMPLE

pikepdf = pytest.importorskip("pikepdf")


def _classic_file() -> bytes:
    """A one-page PDF with a classic cross-reference table, as reportlab writes them."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 100))
    pdf.pages[0].Contents = pdf.make_stream(b"0 0 m 200 100 l S")
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable, static_id=True)
    return out.getvalue()


def _updated(base: bytes) -> tuple[bytes, int]:
    """`base` with a new catalog (/Lang, and /Notes: an array of 250 new objects that count
    up), and a new stream. Returns the file and the number of the first new object."""
    with pikepdf.open(io.BytesIO(base)) as pdf:
        size = int(pdf.trailer.Size)
        root = pdf.Root.objgen[0]
        ident = bytes(pdf.trailer.ID[0]).hex().upper().encode()
        catalog = pdf.Root.unparse(resolved=True)[:-2]
    count = 2 * OBJECTS_PER_STREAM + 50
    objects = {size + i: b"[%d (item %d)]" % (i, i) for i in range(count)}
    notes = " ".join(f"{size + i} 0 R" for i in range(count))
    stream_num = size + count
    objects[root] = catalog + f"/Lang(zh-Hans)/Notes[{notes}]/Extra {stream_num} 0 R>>".encode()
    streams = {stream_num: b"<</Length 5>>\nstream\nhello\nendstream"}
    update = incremental_update(len(base), last_xref(base), objects, streams, stream_num + 1,
                                f"/Root {root} 0 R".encode(), ident)
    return base + update, size


def test_an_update_gives_new_objects_and_new_versions_of_old_ones_to_every_reader():
    base = _classic_file()
    data, first = _updated(base)
    assert data.startswith(base), "the file before the update is left as it was"
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.check_pdf_syntax() == []
        assert pdf.Root.Lang == "zh-Hans", "the catalog's new version replaced the old"
        notes = pdf.Root.Notes
        assert len(notes) == 2 * OBJECTS_PER_STREAM + 50
        assert [int(n[0]) for n in notes] == list(range(len(notes)))
        assert str(notes[-1][1]) == f"item {len(notes) - 1}"
        assert pdf.Root.Extra.read_bytes() == b"hello"
        assert len(pdf.pages) == 1 and pdf.pages[0].Contents.read_bytes() == b"0 0 m 200 100 l S"
    import pypdfium2
    assert len(pypdfium2.PdfDocument(data)) == 1


def test_an_update_packs_its_dictionaries_a_hundred_to_a_compressed_object_stream():
    data, _ = _updated(_classic_file())
    update = data[data.index(b"%%EOF") + 5:]
    assert update.count(b"/Type/ObjStm") == 3, "250 objects and the catalog: three object streams"
    assert b"(item 7)" not in update, "packed objects are compressed"
    assert b"/Type/XRef" in update and update.rstrip().endswith(b"%%EOF")


def test_an_update_keeps_the_files_first_identifier_and_is_the_same_bytes_each_time():
    base = _classic_file()
    first, _ = _updated(base)
    assert first == _updated(base)[0]
    with pikepdf.open(io.BytesIO(base)) as before, pikepdf.open(io.BytesIO(first)) as after:
        assert bytes(after.trailer.ID[0]) == bytes(before.trailer.ID[0])
        assert bytes(after.trailer.ID[1]) != bytes(before.trailer.ID[1])


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_checks_an_updated_file_clean(tmp_path):
    path = tmp_path / "updated.pdf"
    path.write_bytes(_updated(_classic_file())[0])
    proc = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "WARNING" not in proc.stderr + proc.stdout, proc.stdout + proc.stderr


def test_the_numbers_reportlab_kept_are_the_ones_its_file_holds(edition_copy, tmp_path, monkeypatch):
    """An edition without PDF ads is tagged from what reportlab's document kept of the file
    it wrote (numbers, offsets), not from the file read again: the two agree — the sample's
    pages, its jump lines' link annotations, the catalog — and each dictionary's text,
    written again as an update, is the object the file holds."""
    import layout.render.edition as edition
    from layout.build import build_edition
    from layout.render.tagged import DrawnEdition
    drawn = []
    real_render = edition.render

    def render(*args, on_saved=None, **kwargs):
        def saved(doc, data):   # (the sample has PDF ads: its build reads its file with pikepdf)
            if args[3].mode == "reader":
                drawn.append(DrawnEdition.from_reportlab(doc, data))
            if on_saved is not None:
                on_saved(doc, data)
        return real_render(*args, on_saved=saved, **kwargs)
    monkeypatch.setattr(edition, "render", render)
    assert build_edition(edition_copy(SAMPLE), tmp_path / "out").ok
    (kept,) = drawn
    read = DrawnEdition.read(kept.data)
    facts = ("size", "root", "info", "ident", "pages", "links")
    assert [getattr(kept, f) for f in facts] == [getattr(read, f) for f in facts]
    assert any(kept.links) and kept.dicts.keys() == read.dicts.keys()
    again = kept.data + incremental_update(len(kept.data), last_xref(kept.data), kept.dicts, {}, kept.size,
                                           f"/Root {kept.root} 0 R".encode(), kept.ident)
    with pikepdf.open(io.BytesIO(again)) as rewritten, pikepdf.open(io.BytesIO(kept.data)) as original:
        for num in kept.dicts:
            assert rewritten.get_object(num, 0).unparse(resolved=True) == \
                original.get_object(num, 0).unparse(resolved=True)
