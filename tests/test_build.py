"""`banmian build` end to end: the sample edition, failed builds, determinism, the CLI."""
from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from layout.build import build_edition, layout_json

from .conftest import ROOT, SAMPLE
from .robust import edit


def _fonts_of(reader: PdfReader) -> dict[str, bool]:
    """BaseFont -> embedded?, for every font of every page (resources and the preamble)."""
    fonts = {}
    for page in reader.pages:
        res = page["/Resources"]
        for _, ref in (res.get("/Font") or {}).items():
            font = ref.get_object()
            if "/DescendantFonts" in font:   # a composite (Type0) font: the CID font has it
                font = font["/DescendantFonts"][0].get_object()
            desc = font.get("/FontDescriptor")
            desc = desc.get_object() if desc is not None else {}
            fonts[str(font["/BaseFont"])] = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return fonts


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def same_as_a_clean_build(folder, result, tmp_path, rels) -> None:
    """Every output `rels` of `result` has the very bytes a clean build of `folder` writes."""
    clean = build_edition(folder, tmp_path / "clean", clean=True)
    for rel in rels:
        assert (result.out_dir / rel).read_bytes() == (clean.out_dir / rel).read_bytes(), rel


def test_the_sample_builds_into_one_edition_pdf_with_every_page(sample_build):
    out = sample_build.out_dir
    assert out.name == "qinghe-ribao"
    reader = PdfReader(out / "qinghe-ribao.pdf")
    assert len(reader.pages) == 6
    assert (out / "layout.json").is_file() and (out / "report.json").is_file()
    assert sorted(p.name for p in (out / "print").iterdir()) == [f"{n:02d}.pdf" for n in range(1, 7)]


def test_every_font_in_every_pdf_is_embedded(sample_build):
    out = sample_build.out_dir
    for pdf in [out / "qinghe-ribao.pdf", *sorted((out / "print").glob("*.pdf"))]:
        fonts = _fonts_of(PdfReader(pdf))
        assert fonts and all(fonts.values()), (pdf.name, fonts)
        assert not any("Helvetica" in name for name in fonts)
        assert b"Helvetica" not in pdf.read_bytes()


def test_every_headline_is_in_the_extracted_text(sample_build):
    reader = PdfReader(sample_build.out_dir / "qinghe-ribao.pdf")
    text = _flat("".join(page.extract_text() for page in reader.pages))
    for article in sample_build.edition.articles:
        assert _flat(article.headline.replace("|", "")) in text, article.headline


def test_the_report_lists_the_runs_problems(sample_build):
    import json
    report = json.loads((sample_build.out_dir / "report.json").read_text(encoding="utf-8"))
    assert report["ok"] is True and report["errors"] == 0
    assert any(p["kind"] == "copy-cleanup" and p["article"] == "nightlife" for p in report["problems"])


def test_two_builds_in_different_folders_are_byte_identical(sample_build, tmp_path, edition_copy):
    copy = edition_copy(SAMPLE)
    again = build_edition(copy, tmp_path / "again")
    assert again.ok
    for rel in ["qinghe-ribao.pdf", "layout.json", "print/01.pdf", "print/04.pdf"]:
        a = (sample_build.out_dir / rel).read_bytes()
        b = (again.out_dir / rel).read_bytes()
        assert hashlib.sha256(a).hexdigest() == hashlib.sha256(b).hexdigest(), rel


def test_a_failed_build_leaves_the_last_good_pdf_untouched(edition_copy, tmp_path):
    folder = edition_copy("mini")
    out = tmp_path / "out"
    assert build_edition(folder, out).ok
    pdf = out / "mini" / "mini.pdf"
    before = pdf.read_bytes()
    (folder / "articles" / "b.md").write_text("---\nheadline: ''\n---\n正文。\n", encoding="utf-8")
    result = build_edition(folder, out)
    assert not result.ok
    assert pdf.read_bytes() == before
    assert not list((out / "mini").glob(".*.tmp")), "no temporary files are left behind"


def test_a_character_no_font_has_fails_the_build_naming_it(edition_copy, tmp_path):
    folder = edition_copy("mini")
    path = folder / "articles" / "c.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n生僻字𪚥在此。\n", encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    (err,) = [p for p in result.problems.errors if p.kind == "missing-glyph"]
    assert "U+2A6A5" in err.message and err.article == "c" and err.page == 2


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "layout", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_the_cli_prints_every_problem_as_file_line_field_message_without_traceback(edition_copy, tmp_path):
    folder = edition_copy("mini")
    ed = folder / "edition.yaml"
    ed.write_text(ed.read_text(encoding="utf-8").replace("issue: 101", "issue: hundred")
                  .replace("articles/c.md", "articles/gone.md"), encoding="utf-8")
    proc = run_cli("build", str(folder), "-o", str(tmp_path / "out"), "-q")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ": error: " in ln]
    assert len(lines) == 2
    assert any(re.match(r".*edition\.yaml:3: issue: error: expected a whole number", ln) for ln in lines)
    assert any(re.match(r".*edition\.yaml:17: pages\[1\]\.articles\[0\]\.source: error: file not found", ln)
               for ln in lines)


def test_the_cli_exits_2_when_it_cannot_run(tmp_path):
    proc = run_cli("build", str(tmp_path / "nowhere"), "-o", str(tmp_path))
    assert proc.returncode == 2 and "not an edition folder" in proc.stderr


def test_the_cli_builds_and_says_where(edition_copy, tmp_path):
    proc = run_cli("build", str(edition_copy("mini")), "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "mini" / "mini.pdf").is_file()
    assert "built mini: 2 pages" in proc.stdout


@pytest.mark.skipif(not Path("/usr/bin/pdffonts").exists(), reason="poppler-utils not installed")
def test_pdffonts_sees_only_embedded_fonts(sample_build):
    proc = subprocess.run(["pdffonts", str(sample_build.out_dir / "qinghe-ribao.pdf")], capture_output=True,
                          text=True)
    rows = proc.stdout.splitlines()[2:]
    assert rows and all(" yes yes yes " in row for row in rows), proc.stdout


@pytest.fixture
def workers_always(monkeypatch):
    """Workers even for the few pages of a test edition (a real build does the work of
    fewer than engine.MIN_PAGES_FOR_WORKERS pages in its own process)."""
    import layout.engine
    monkeypatch.setattr(layout.engine, "MIN_PAGES_FOR_WORKERS", 1)


def test_parallel_jobs_give_byte_identical_output(edition_copy, tmp_path, workers_always):
    folder = edition_copy("mini")
    one = build_edition(folder, tmp_path / "j1", jobs=1)
    two = build_edition(folder, tmp_path / "j2", jobs=2)
    assert one.ok and two.ok
    for rel in ["mini.pdf", "layout.json", "print/01.pdf", "print/02.pdf"]:
        assert (one.out_dir / rel).read_bytes() == (two.out_dir / rel).read_bytes(), rel


def test_workers_started_afresh_where_there_is_no_fork_give_the_same_bytes(edition_copy, tmp_path, monkeypatch,
                                                                          workers_always):
    """macOS and Windows start workers afresh (spawn): what they need — the layout tree,
    the spooled drawings — travels pickled, and the output is that of one process."""
    import multiprocessing
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    folder = edition_copy(SAMPLE)
    one = build_edition(folder, tmp_path / "j1", jobs=1)
    two = build_edition(folder, tmp_path / "j2", jobs=2)
    assert one.ok and two.ok and two.jobs == 2
    files = sorted(p.relative_to(one.out_dir) for p in one.out_dir.rglob("*")
                   if p.is_file() and ".cache" not in p.parts)
    assert len(files) > 5
    for rel in files:
        assert (one.out_dir / rel).read_bytes() == (two.out_dir / rel).read_bytes(), rel


def test_two_jobs_cut_the_pages_only_where_no_jump_crosses_and_change_nothing(edition_copy, tmp_path,
                                                                              workers_always):
    from layout.engine import _ranges
    folder = edition_copy(SAMPLE)
    one = build_edition(folder, tmp_path / "j1", jobs=1)
    cut = _ranges(one.edition, 2)
    assert len(cut) == 2 and cut[0][0] == 0 and cut[0][1] == cut[1][0] >= 2 and cut[1][1] == 6   # the jump 1 → 2 whole
    two = build_edition(folder, tmp_path / "j2", jobs=2)
    rels = ["qinghe-ribao.pdf", "layout.json", "report.json", "print/02.pdf", "print/04.pdf"]
    for rel in rels:
        assert (one.out_dir / rel).read_bytes() == (two.out_dir / rel).read_bytes(), rel
    art = folder / "articles" / "opera.md"     # page 4: a worker's page, from the cache next time
    art.write_text(art.read_text(encoding="utf-8").replace("。", "！", 1), encoding="utf-8")
    again = build_edition(folder, tmp_path / "j2", jobs=2)
    clean = build_edition(folder, tmp_path / "clean", jobs=1, clean=True)
    assert again.cache["kinds"]["pages"] == {"hits": 5, "misses": 1}   # page 4 only
    for rel in rels:
        assert (again.out_dir / rel).read_bytes() == (clean.out_dir / rel).read_bytes(), rel
    assert {p.name for p in (tmp_path / "j2" / "qinghe-ribao" / ".cache" / "pages").iterdir()} \
        == {p.name for p in (tmp_path / "clean" / "qinghe-ribao" / ".cache" / "pages").iterdir()}


def test_a_rebuild_with_few_pages_to_make_starts_no_worker(edition_copy, tmp_path, monkeypatch):
    """An edit recomposes a page or two: with -j2 the build does it in its own process
    (a worker would mostly send back what the cache holds), and a clean build of as many
    pages as make a worker worth it uses one."""
    import layout.engine
    import layout.parallel
    started = []
    real = layout.parallel.Pool.alongside

    def alongside(self, state, fn, chunks, here):
        started.append((fn.__name__, len(chunks)))
        return real(self, state, fn, chunks, here)
    monkeypatch.setattr(layout.parallel.Pool, "alongside", alongside)
    monkeypatch.setattr(layout.engine, "MIN_PAGES_FOR_WORKERS", 4)   # the sample has 6 pages
    folder = edition_copy(SAMPLE)
    assert build_edition(folder, tmp_path / "out", jobs=2).ok
    # the pages cut in two where no jump crosses, the first run this process's; the print
    # pages two at a time
    assert started == [("compose_range_in_worker", 1), ("print_pages", 3)]
    started.clear()
    edit(folder, "articles/opera.md", "。", "！")
    assert build_edition(folder, tmp_path / "out", jobs=2).ok
    assert started == []


def _chunk_where(event, chunk: int):
    """A chunk's result and the process that made it; the first waits until a later one
    has run (a worker busy with it cannot take more meanwhile)."""
    import os
    if chunk == 0:
        event.wait(10)
    else:
        event.set()
    return chunk * 10, os.getpid()


def test_this_process_takes_the_chunks_no_worker_has_started_once_its_own_work_is_done():
    """`Pool.alongside`: workers take chunks from the front; this process, when `here()`
    returns, takes from the back those still waiting — the results stay in order."""
    import multiprocessing
    import os

    from layout.parallel import Pool
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("the event is handed to the worker by fork")
    event = multiprocessing.get_context("fork").Event()
    first, results = Pool(2).alongside(event, _chunk_where, [0, 1, 2, 3, 4, 5], lambda: "here")
    assert first == "here"
    assert [r for r, _ in results] == [0, 10, 20, 30, 40, 50]
    assert results[-1][1] == os.getpid()        # the worker was still on chunk 0 (or had not begun)
    # one process only: every chunk here, in order
    here = os.getpid()
    assert Pool(1).alongside(event, _chunk_where, [1, 2], lambda: "here") == ("here", [(10, here), (20, here)])


def test_outputs_do_not_depend_on_the_installation(edition_copy, tmp_path, monkeypatch):
    """Cache keys hold banmian's source files' dates; nothing that reaches an output may."""
    import layout.cache
    folder = edition_copy("mini")
    here = build_edition(folder, tmp_path / "a")
    monkeypatch.setattr(layout.cache, "code_identity", lambda: "another installation")
    there = build_edition(folder, tmp_path / "b")
    for rel in ["mini.pdf", "layout.json", "report.json", "print/01.pdf", "print/02.pdf"]:
        assert (here.out_dir / rel).read_bytes() == (there.out_dir / rel).read_bytes(), rel


def test_a_clean_build_keeps_only_what_a_later_build_reads(edition_copy, tmp_path):
    """The cache holds what the next build reuses — articles, each page with its drawing,
    the reader's page streams and fonts, print pages — and not a page's blocks: the
    products are drawn from the drawing, and a drawn page's blocks are read back from
    its layout.json line when asked, to layout.json's 0.001 pt."""
    from layout.build import compose
    folder = edition_copy("mini")
    built = build_edition(folder, tmp_path / "out", clean=True)
    cache = built.out_dir / ".cache"
    assert sorted(p.name for p in cache.iterdir()) == ["articles", "edition", "fonts", "pages", "print", "reader"]
    assert len(list((cache / "pages").iterdir())) == len(built.tree.pages)
    exact = compose(folder).tree
    written = layout_json(built.tree).decode()
    for page, same in zip(built.tree.pages, exact.pages):
        assert [b.kind for b in page.blocks] == [b.kind for b in same.blocks]
        assert [ln.text for b in page.blocks for ln in b.lines] == [ln.text for b in same.blocks for ln in b.lines]
        assert all(abs(a.box.y - b.box.y) <= 5e-4 and abs(a.box.x - b.box.x) <= 5e-4
                   for a, b in zip(page.blocks, same.blocks))
        assert page.articles == same.articles and page.grid == same.grid    # the rest stays exact
    assert written == layout_json(exact).decode()


def test_composed_pages_lines_are_held_on_disk_and_read_back_as_written(edition_copy, tmp_path):
    """A build does not hold every page's layout.json line in memory (~140 KB a page): they
    are spooled to a temporary file, hashed as they go there, and layout.json — written
    from the spool a page at a time — is what they make."""
    from layout.tree import LineSpool, SpooledLine, page_line
    built = build_edition(edition_copy("mini"), tmp_path / "out")
    lines = built.page_lines
    assert isinstance(lines, LineSpool) and sorted(lines) == [p.number for p in built.tree.pages]
    for page in built.tree.pages:
        assert lines[page.number] == page_line(page).encode()
        assert lines.digest(page.number) == hashlib.sha256(lines[page.number]).hexdigest()
    assert (built.out_dir / "layout.json").read_bytes() == layout_json(built.tree, lines)
    spool = LineSpool()
    line = spool.add(7, "第七版".encode() * 50_000)
    assert isinstance(line, SpooledLine) and bytes(line) == "第七版".encode() * 50_000 and len(spool) == 1


def test_a_rebuild_reuses_unchanged_results_and_stays_byte_identical(edition_copy, tmp_path):
    folder = edition_copy("mini")
    first = build_edition(folder, tmp_path / "inc")
    pdfs = {rel: (first.out_dir / rel).read_bytes() for rel in ["mini.pdf", "print/01.pdf", "print/02.pdf"]}
    again = build_edition(folder, tmp_path / "inc")
    assert again.cache["misses"] == 0
    hits = {k: v["hits"] for k, v in again.cache["kinds"].items()}
    # nothing changed: the reader edition is taken whole (its fonts are not even read)
    assert hits == {"articles": 1, "pages": 2, "reader": 2, "print": 2, "edition": 1}
    assert all((again.out_dir / rel).read_bytes() == data for rel, data in pdfs.items())
    # one article's body edited: only its page is composed and drawn again
    art = folder / "articles" / "c.md"
    assert any(s.article.id == "c" for s in first.edition.pages[1].slots)
    art.write_text(art.read_text(encoding="utf-8").replace("八个月", "九个月"), encoding="utf-8")
    edited = build_edition(folder, tmp_path / "inc")
    # (a page's entry holds its drawing: a page composed now is drawn as it is composed)
    kinds = edited.cache["kinds"]
    assert {k: kinds[k] for k in ("articles", "pages", "reader", "print")} == {
        "articles": {"hits": 1, "misses": 0}, "pages": {"hits": 1, "misses": 1},
        "reader": {"hits": 1, "misses": 1}, "print": {"hits": 1, "misses": 1}}
    # 九 is new to the body face: its subset is cut again; the other faces' subsets were kept
    # by the build that took the reader edition whole, though it did not read them
    assert kinds["fonts"] == {"hits": 3, "misses": 1} and kinds["edition"] == {"hits": 0, "misses": 1}
    assert (edited.out_dir / "print" / "01.pdf").read_bytes() == pdfs["print/01.pdf"]
    clean = build_edition(folder, tmp_path / "clean", clean=True)
    for rel in ["mini.pdf", "layout.json", "print/01.pdf", "print/02.pdf"]:
        assert (edited.out_dir / rel).read_bytes() == (clean.out_dir / rel).read_bytes(), rel
    assert layout_json(edited.tree) == layout_json(clean.tree)
    assert [str(p) for p in edited.problems] == [str(p) for p in clean.problems]


def test_a_new_headline_on_page_two_composes_page_one_again_for_its_masthead(edition_copy, tmp_path):
    folder = edition_copy(SAMPLE)
    build_edition(folder, tmp_path / "inc")
    art = folder / "articles" / "rural.md"       # the first story of page 2: named in 今日导读
    art.write_text(art.read_text(encoding="utf-8").replace("田间地头用上", "田间地头用起"), encoding="utf-8")
    edited = build_edition(folder, tmp_path / "inc")
    assert edited.cache["kinds"]["pages"] == {"hits": 4, "misses": 2}   # pages 1 (masthead) and 2
    assert "田间地头用起" in edited.page_lines[1].decode()          # the ear on page 1
    same_as_a_clean_build(folder, edited, tmp_path, ["qinghe-ribao.pdf", "layout.json", "print/01.pdf",
                                                     "print/02.pdf"])


def test_changing_an_article_on_one_page_composes_that_page_and_page_one_only_if_its_ear_changes(
        edition_copy, tmp_path):
    folder = edition_copy(SAMPLE)
    build_edition(folder, tmp_path / "inc")
    yaml_file = folder / "edition.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    opera = "      - source: articles/opera.md\n        rank: major\n"   # page 4, its second story
    assert opera in text
    yaml_file.write_text(text.replace(opera, opera.replace("major", "normal")), encoding="utf-8")
    edited = build_edition(folder, tmp_path / "inc")
    assert edited.cache["kinds"]["pages"] == {"hits": 5, "misses": 1}   # page 4: 今日导读 prints no ranks
    same_as_a_clean_build(folder, edited, tmp_path, ["qinghe-ribao.pdf", "layout.json", "print/04.pdf",
                                                     "report.json"])
    # the second story of page 4 becomes its third: page 1's 今日导读 lists another headline
    museum = "      - source: articles/museum.md\n        rank: lead\n"
    craft = "      - source: articles/craft.md\n"
    text = yaml_file.read_text(encoding="utf-8")
    moved = opera.replace("major", "normal")
    yaml_file.write_text(text.replace(museum + moved + craft, museum + craft + moved), encoding="utf-8")
    edited = build_edition(folder, tmp_path / "inc")
    assert edited.cache["kinds"]["pages"] == {"hits": 4, "misses": 2}   # pages 1 (its ear) and 4
    ear = edited.page_lines[1].decode()
    assert "04版 木版年画里的" in ear and "清河梆子" not in ear
    same_as_a_clean_build(folder, edited, tmp_path, ["qinghe-ribao.pdf", "layout.json", "print/01.pdf",
                                                     "print/04.pdf"])


def test_a_jump_continuation_is_rebuilt_when_the_article_that_jumps_changes(edition_copy, tmp_path):
    folder = edition_copy(SAMPLE)
    build_edition(folder, tmp_path / "inc")
    art = folder / "articles" / "railway.md"      # page 1, continued on page 2
    art.write_text(art.read_text(encoding="utf-8").replace("。", "，再说一句。", 3), encoding="utf-8")
    edited = build_edition(folder, tmp_path / "inc")
    assert edited.cache["kinds"]["pages"]["misses"] >= 2
    same_as_a_clean_build(folder, edited, tmp_path, ["qinghe-ribao.pdf", "layout.json", "print/02.pdf"])


def test_a_template_too_small_for_a_page_is_a_clear_error(edition_copy, tmp_path):
    folder = edition_copy("mini")
    ed = folder / "edition.yaml"
    ed.write_text(ed.read_text(encoding="utf-8").replace("template: tabloid",
                                                         "template: {name: tabloid, columns: 20, gutter_chars: 3}"),
                  encoding="utf-8")
    result = build_edition(folder, tmp_path / "out")
    (err,) = result.problems.errors
    assert err.kind == "template" and err.field == "template" and err.file.endswith("edition.yaml")


def test_an_output_folder_that_cannot_be_written_exits_2_without_traceback(edition_copy, tmp_path):
    blocked = tmp_path / "out"
    blocked.write_text("a file where the output folder should be", encoding="utf-8")
    proc = run_cli("build", str(edition_copy("mini")), "-o", str(blocked), "-q")
    assert proc.returncode == 2 and "could not run" in proc.stderr and "Traceback" not in proc.stderr


def test_the_number_of_processes_follows_the_edition_unless_given(edition_copy, tmp_path):
    import os

    from layout.parallel import auto_jobs
    assert auto_jobs(4) == 1 and auto_jobs(15) == 1, "under 16 pages a worker costs what it saves"
    cores = len(os.sched_getaffinity(0))
    assert 1 <= auto_jobs(64) <= min(cores, 5)
    assert auto_jobs(1000) <= cores
    result = build_edition(edition_copy("mini"), tmp_path / "out")
    assert result.ok and result.jobs == 1
    assert build_edition(edition_copy(SAMPLE), tmp_path / "out2", jobs=2).jobs == 2
