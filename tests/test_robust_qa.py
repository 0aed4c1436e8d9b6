"""diff and proof on input they cannot use: exit 2 with a message ("could not run"),
never 1 (which means "the builds differ") and never a traceback."""
from __future__ import annotations

import shutil

import pytest

from layout.build import build_edition

from .robust import banmian, failed_cleanly


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    from .conftest import FIXTURES
    out = tmp_path_factory.mktemp("qa-out")
    assert build_edition(FIXTURES / "mini", out).ok
    return out / "mini"


LAYOUTS = {
    "not JSON": b'{"slug": "mini", "pages": [',
    "not an object": b"[1, 2, 3]",
    "a slug that is a path": b'{"slug": "../../etc/passwd", "pages": []}',
    "pages that are not a list": b'{"slug": "mini", "pages": {"1": 2}}',
    "a page without blocks": b'{"slug": "mini", "pages": [{"number": 1, "width": 1, "height": 1, "articles": []}]}',
    "a box of three numbers": b'{"slug": "mini", "pages": [{"number": 1, "width": 1, "height": 1, "articles": [],'
                              b' "blocks": [{"kind": "body", "box": [1, 2, 3]}]}]}',
    "bytes that are not UTF-8": b"\xff\xfe\x00garbage",
}


@pytest.mark.parametrize("damage", LAYOUTS, ids=list(LAYOUTS))
def test_diff_of_a_build_with_a_damaged_layout_manifest_exits_2(build, tmp_path, damage):
    other = tmp_path / "other"
    shutil.copytree(build, other, ignore=shutil.ignore_patterns(".cache", ".lock"))
    (other / "layout.json").write_bytes(LAYOUTS[damage])
    proc = banmian("diff", build, other, "-o", tmp_path / "diff")
    failed_cleanly(proc, 2)
    assert "layout" in proc.stderr


@pytest.mark.parametrize("content", [b"", b"%PDF-1.7\n garbage", b"not a pdf at all", b"%PDF-1.4\n%%EOF\n"])
def test_diff_and_proof_of_a_file_that_is_not_a_pdf_exit_2(build, tmp_path, content):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(content)
    failed_cleanly(banmian("diff", build / "mini.pdf", bad, "-o", tmp_path / "diff"), 2)
    failed_cleanly(banmian("proof", bad, "-o", tmp_path / "proofs"), 2)


def test_a_damaged_edition_pdf_inside_a_build_exits_2(build, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(build, other, ignore=shutil.ignore_patterns(".cache", ".lock"))
    data = (other / "mini.pdf").read_bytes()
    (other / "mini.pdf").write_bytes(data[: len(data) // 3])
    failed_cleanly(banmian("diff", build, other, "-o", tmp_path / "diff"), 2)


@pytest.mark.parametrize("dpi", ["0", "-5", "100000", "nan"])
def test_dpi_is_bounded(build, tmp_path, dpi):
    for args in (("proof", build / "mini.pdf"), ("diff", build, build)):
        proc = banmian(*args, "--dpi", dpi, "-o", tmp_path / "x")
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "x").exists()


def test_proof_names_cannot_leave_out(build, tmp_path):
    odd = tmp_path / "in" / "...pdf"          # its stem is '..'
    odd.parent.mkdir()
    shutil.copyfile(build / "mini.pdf", odd)
    out = tmp_path / "deep" / "out"
    proc = banmian("proof", odd, "-o", out, "--dpi", "15", "--pages", "1")
    assert proc.returncode == 0, proc.stderr
    made = [p for p in tmp_path.rglob("*.png")]
    assert made and all(p.is_relative_to(out) for p in made)


@pytest.mark.parametrize("pages", ["x", "-1", "0", "3-1", "1,,2", "99", "2-99"])
def test_a_bad_page_list_exits_2(build, tmp_path, pages):
    failed_cleanly(banmian("proof", build / "mini.pdf", "--pages", pages, "-o", tmp_path), 2)
