"""OUT always matches the edition: after a success, a failure part-way, or a kill.

- a successful build leaves exactly the edition's products (print pages of
  removed pages go; proofs and a site of an older edition PDF go);
- a write that fails part-way (a full disk) leaves the previous complete set;
- what a killed build leaves (temporary files, an unfinished commit) is put
  right by the next build;
- runs into one OUT/<slug> (build, site) never collide;
- the website's links stay inside it and can never become a script.
"""
from __future__ import annotations

import errno
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import layout.output
from layout.build import build_edition
from layout.output import JOURNAL, TMP_SUFFIX, Unchanged, commit, stage, stage_chunks

from .conftest import ROOT
from .robust import banmian, edit


def snapshot(out_dir: Path) -> dict[str, bytes]:
    """Every product file in OUT/<slug> (not the cache, not the lock) and its bytes."""
    return {str(p.relative_to(out_dir)): p.read_bytes() for p in sorted(out_dir.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and p.name != ".lock"}


def three_pages(folder: Path) -> None:
    (folder / "articles" / "d.md").write_text("---\nheadline: 第三版的消息\n---\n" + "第三版的正文。" * 40 + "\n",
                                             encoding="utf-8")
    (folder / "edition.yaml").write_text((folder / "edition.yaml").read_text(encoding="utf-8") +
                                         "  - number: 3\n    section: 副刊\n    articles:\n"
                                         "      - source: articles/d.md\n", encoding="utf-8")


def test_print_pages_of_pages_the_edition_no_longer_has_are_removed(edition_copy, tmp_path):
    folder = edition_copy("mini")
    original = (folder / "edition.yaml").read_text(encoding="utf-8")
    three_pages(folder)
    out = tmp_path / "out"
    assert build_edition(folder, out).ok
    assert sorted(p.name for p in (out / "mini" / "print").iterdir()) == ["01.pdf", "02.pdf", "03.pdf"]
    (folder / "edition.yaml").write_text(original, encoding="utf-8")
    result = build_edition(folder, out)
    assert result.ok
    assert sorted(p.name for p in (out / "mini" / "print").iterdir()) == ["01.pdf", "02.pdf"]
    clean = build_edition(folder, tmp_path / "clean")
    assert snapshot(out / "mini") == snapshot(clean.out_dir)


def test_proofs_and_a_site_of_an_older_edition_pdf_are_removed_when_it_changes(edition_copy, tmp_path):
    folder = edition_copy("mini")
    out = tmp_path / "out"
    assert banmian("site", folder, "-o", out).returncode == 0
    assert banmian("proof", folder, "-o", out, "--dpi", "20").returncode == 0
    assert (out / "mini" / "site" / "index.html").is_file() and (out / "mini" / "proofs" / "01.png").is_file()
    assert build_edition(folder, out).ok                 # same edition: they still match
    assert (out / "mini" / "site" / "index.html").is_file() and (out / "mini" / "proofs" / "01.png").is_file()
    edit(folder, "articles/c.md", "八个月", "九个月")
    assert build_edition(folder, out).ok
    assert not (out / "mini" / "site").exists() and not (out / "mini" / "proofs").exists()


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4, 5])
def test_a_write_that_fails_part_way_leaves_the_previous_complete_set(edition_copy, tmp_path, monkeypatch,
                                                                       fail_at):
    folder = edition_copy("mini")
    tmp_path = tmp_path / "out"
    assert build_edition(folder, tmp_path).ok
    before = snapshot(tmp_path / "mini")
    edit(folder, "articles/c.md", "八个月", "九个月")      # page 2's print PDF, the edition PDF, layout change
    edit(folder, "articles/a.md", "186公里", "187公里")    # and page 1's
    real, calls = layout.output.write_with, []

    def disk_full(path, write):
        # every product is written through write_with: layout.json, the print pages and the
        # edition PDF as they are made, then report.json and the commit's journal (a cache
        # entry too, but one that cannot be written only costs the next build time)
        if ".cache" in path.parts:
            return real(path, write)
        calls.append(path.name)
        if len(calls) == fail_at:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, write)

    monkeypatch.setattr(layout.output, "write_with", disk_full)
    with pytest.raises(OSError, match="No space left"):
        build_edition(folder, tmp_path)
    assert len(calls) == fail_at
    assert snapshot(tmp_path / "mini") == before
    assert not [p for p in (tmp_path / "mini").rglob(f"*{TMP_SUFFIX}")]


def test_the_cli_says_a_full_disk_could_not_be_written_and_exits_2(edition_copy, tmp_path):
    folder = edition_copy("mini")
    tmp_path = tmp_path / "out"
    assert banmian("build", folder, "-o", tmp_path).returncode == 0
    before = snapshot(tmp_path / "mini")
    edit(folder, "articles/c.md", "八个月", "九个月")
    code = ("import errno, sys, layout.output as o, layout.cli as c\n"
            "real = o.write_new\n"
            "def full(p, *chunks):\n"
            "    if p.suffix == '.pdf' and 'print' in p.parts: raise OSError(errno.ENOSPC, 'No space left on device')\n"
            "    return real(p, *chunks)\n"
            "o.write_new = full\n"
            f"sys.argv = ['banmian', 'build', {str(folder)!r}, '-o', {str(tmp_path)!r}]\n"
            "c.main()\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "No space left" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(tmp_path / "mini") == before


def test_what_a_killed_build_left_is_finished_or_removed_by_the_next(edition_copy, tmp_path):
    folder = edition_copy("mini")
    tmp_path = tmp_path / "out"
    out_dir = tmp_path / "mini"
    assert build_edition(folder, tmp_path).ok
    good = snapshot(out_dir)
    # killed while writing: temporary files beside the products
    for rel in ("mini.pdf", "print/01.pdf", "layout.json"):
        (out_dir / f"{Path(rel).parent}/.{Path(rel).name}.0123456789abcdef{TMP_SUFFIX}").write_bytes(b"half")
    # killed while renaming: a journal whose first rename was done and second not
    staged = out_dir / "print" / f".02.pdf.fedcba9876543210{TMP_SUFFIX}"
    staged.write_bytes(good["print/02.pdf"])
    (out_dir / JOURNAL).write_text('{"rename": [["print/.02.pdf.fedcba9876543210.banmian-tmp", "print/02.pdf"]],'
                                   ' "remove": ["print/07.pdf"]}', encoding="utf-8")
    (out_dir / "print" / "07.pdf").write_bytes(b"a page of an older edition")
    result = build_edition(folder, tmp_path)
    assert result.ok
    notes = [p.message for p in result.problems if p.kind == "recovered"]
    assert any("finished the commit" in n for n in notes) and any("temporary files" in n for n in notes)
    assert snapshot(out_dir) | {"report.json": b""} == good | {"report.json": b""}
    assert not list(out_dir.rglob(f"*{TMP_SUFFIX}")) and not (out_dir / JOURNAL).exists()


def test_an_output_folder_that_is_the_edition_folder_itself_is_refused(edition_copy, tmp_path):
    folder = edition_copy("mini")
    proc = banmian("build", folder, "-o", tmp_path)
    assert proc.returncode == 2 and "is the edition folder" in proc.stderr
    assert not (folder / "print").exists() and not (folder / "layout.json").exists()


def test_a_journal_naming_paths_outside_out_is_discarded_unread(tmp_path):
    out_dir = tmp_path / "out" / "mini"
    out_dir.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (out_dir / JOURNAL).write_text('{"rename": [], "remove": ["../../victim.txt"]}', encoding="utf-8")
    assert layout.output.recover(out_dir) == ["discarded an unreadable commit journal"]
    assert victim.read_text() == "keep"


def test_commit_replaces_only_what_changed_and_removes_what_it_is_told(tmp_path):
    (tmp_path / "a").write_bytes(b"same")
    (tmp_path / "gone").write_bytes(b"old")
    changed = commit(tmp_path, {tmp_path / "a": b"same", tmp_path / "b": b"new"}, [tmp_path / "gone"])
    assert changed == [tmp_path / "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_staged_products_are_renamed_into_place_or_dropped_when_the_file_already_holds_them(tmp_path):
    (tmp_path / "a").write_bytes(b"same")
    (tmp_path / "c").write_bytes(b"old")
    a, b, c = stage(tmp_path / "a", b"same"), stage_chunks(tmp_path / "b", iter([b"n", b"ew"])), \
        stage(tmp_path / "c", b"changed")
    assert isinstance(a, Unchanged)                  # OUT holds these bytes: nothing is written
    assert b.tmp.name.endswith(TMP_SUFFIX) and b.tmp.read_bytes() == b"new" and c.tmp.read_bytes() == b"changed"
    same = stage_chunks(tmp_path / "a", iter([b"sa", b"me"]))   # staged, found the same at the commit
    assert commit(tmp_path, {tmp_path / "a": same, tmp_path / "b": b, tmp_path / "c": c}) == [tmp_path / "b",
                                                                                             tmp_path / "c"]
    assert commit(tmp_path, {tmp_path / "a": a}) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]      # no temporary file left
    assert (tmp_path / "b").read_bytes() == b"new" and (tmp_path / "c").read_bytes() == b"changed"


def test_a_commit_that_fails_removes_the_products_staged_for_it(tmp_path, monkeypatch):
    staged = stage(tmp_path / "print" / "01.pdf", b"page")

    def disk_full(path, *chunks):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    monkeypatch.setattr(layout.output, "write_new", disk_full)
    with pytest.raises(OSError):
        commit(tmp_path, {tmp_path / "print" / "01.pdf": staged, tmp_path / "layout.json": b"{}"})
    assert list(tmp_path.rglob("*")) == [tmp_path / "print"]


def test_a_build_whose_drawing_fails_leaves_no_staged_page_behind(edition_copy, tmp_path, monkeypatch):
    import layout.render.edition
    folder, out = edition_copy("mini"), tmp_path / "out"
    assert build_edition(folder, out).ok
    before = snapshot(out / "mini")
    edit(folder, "articles/a.md", "186公里", "187公里")
    real, calls = layout.render.edition.print_pdf, []

    def fails_on_the_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("drawing failed")
        return real(*args, **kwargs)
    monkeypatch.setattr(layout.render.edition, "print_pdf", fails_on_the_second)
    with pytest.raises(RuntimeError):
        build_edition(folder, out, jobs=1, clean=True)
    assert snapshot(out / "mini") == before
    assert not [p for p in (out / "mini").rglob("*") if p.name.endswith(TMP_SUFFIX)]


def test_two_site_runs_into_one_folder_at_once_both_succeed_with_one_complete_site(edition_copy, tmp_path):
    folder = edition_copy("mini")
    out = tmp_path / "out"
    procs: list = [None, None]

    def run(i):
        procs[i] = banmian("site", folder, "-o", out)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.returncode for p in procs] == [0, 0], [p.stderr for p in procs]
    site = out / "mini" / "site"
    assert (site / "index.html").is_file() and len(list((site / "pages").glob("*.html"))) == 2
    assert [p.name for p in (out / "mini").iterdir() if p.name.startswith(".site")] == []


# -- the website ------------------------------------------------------------------

def hrefs(site: Path) -> list[tuple[Path, str]]:
    out = []
    for page in site.rglob("*.html"):
        for url in re.findall(r'(?:href|src)="([^"]*)"', page.read_text(encoding="utf-8")):
            out.append((page, url))
    return out


def test_no_name_in_the_edition_can_make_a_link_a_script_or_leave_the_site(edition_copy, tmp_path):
    folder = edition_copy("mini")
    for name in ("javascript:alert(1)", "..%2F..%2Fevil", "a b#c?d"):
        (folder / "articles" / f"{name}.md").write_text("---\nheadline: 名字古怪的稿件\n---\n正文。\n",
                                                        encoding="utf-8")
    edit(folder, "edition.yaml", "      - source: articles/b.md",
         "      - source: articles/b.md\n      - source: 'articles/javascript:alert(1).md'\n"
         "      - source: 'articles/..%2F..%2Fevil.md'\n      - source: 'articles/a b#c?d.md'")
    proc = banmian("site", folder, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    site = tmp_path / "out" / "mini" / "site"
    links = hrefs(site)
    assert links
    for page, url in links:
        if url == "#main":   # the skip link (跳到正文), the only fragment the templates write
            continue
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and not parts.query and not parts.fragment, (page, url)
        target = (page.parent / unquote(parts.path)).resolve()
        assert target.is_relative_to(site.resolve()) and target.exists(), (page, url)


def test_two_articles_pictures_with_one_file_name_stay_two_pictures(edition_copy, tmp_path):
    from PIL import Image
    folder = edition_copy("mini")
    for sub, colour in (("a", "red"), ("b", "blue")):
        (folder / "images" / sub).mkdir(parents=True)
        Image.new("RGB", (600, 400), colour).save(folder / "images" / sub / "photo.png")
    edit(folder, "articles/b.md", "---\n", "---\n")
    for art, sub in (("a.md", "a"), ("c.md", "b")):
        path = folder / "articles" / art
        text = path.read_text(encoding="utf-8")
        path.write_text(text + f"\n![同名图片{sub}](images/{sub}/photo.png)\n", encoding="utf-8")
    proc = banmian("site", folder, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    site = tmp_path / "out" / "mini" / "site"
    pictures = {u for p, u in hrefs(site) if "/images/" in u}
    assert len(pictures) == 2
    colours = {Image.open(site / "articles" / u).getpixel((0, 0)) for u in pictures}
    assert colours == {(255, 0, 0), (0, 0, 255)}
