"""The pipeline, read as the pipeline: load → typeset+compose → render → assemble → write.

`build_edition(folder, out)` returns a `BuildResult` with every problem of
the run. Outputs (OUT/<slug>/<slug>.pdf, print/NN.pdf, layout.json,
report.json) are written to temporary names and renamed into place only
after everything was drawn, so a failed build never destroys the last good
PDF.
"""
from __future__ import annotations

import functools
import gc
import hashlib
import io
import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .edition.load import load_edition
from .edition.model import Edition
from .edition.source import display_path, read_limited
from .engine import compose_edition, draw_products
from .fonts import FontError, FontRegistry
from .output import (
    Staged,
    Unchanged,
    commit,
    discard,
    lock,
    print_page_path,
    recover,
    stage_chunks,
    write_atomic,  # noqa: F401  (used by the CLI and QA)
)
from .preload import CachedArticles, save_records
from .problems import Problems, Severity
from .render.pdf import RenderOptions, page_ops
from .styles import PageTemplate, load_template
from .tree import EditionTree, page_line


@dataclass
class BuildResult:
    problems: Problems
    edition: Edition | None = None
    tree: EditionTree | None = None
    out_dir: Path | None = None
    files: list[Path] = field(default_factory=list)
    registry: FontRegistry | None = None
    template: PageTemplate | None = None
    timings: dict[str, float] = field(default_factory=dict)   # seconds per stage
    icc: bytes | None = None                                 # the CMYK output profile for PDF/X-4
    cache: dict = field(default_factory=dict)                # hits and misses of the incremental cache
    page_lines: Mapping[int, bytes] = field(default_factory=dict)  # page number -> its layout.json line
                                                              # (UTF-8; a tree.LineSpool: kept on disk)
    drawings: dict = field(default_factory=dict)              # page number -> its drawing (build only;
                                                              # a render.drawing.SpooledDrawing: on disk)
    jobs: int = 1                                            # processes the build used

    @property
    def ok(self) -> bool:
        return self.tree is not None and not self.problems.has_errors()


def layout_json(tree: EditionTree, lines: Mapping[int, bytes] | None = None) -> bytes:
    """Compact JSON, one page per line: the C encoder (no indent) is ~20× faster than
    a pretty-printed dump of a 64-page manifest, and a page per line still diffs well.
    `lines` are pages already encoded (`tree.page_line`, as UTF-8), by page number."""
    return b"".join(layout_json_chunks(tree, lines))


def layout_json_chunks(tree: EditionTree, lines: Mapping[int, bytes] | None = None) -> Iterator[bytes]:
    """layout.json a page at a time: a build writes it to its file without ever holding the
    whole (~140 KB a page), with its lines read back from the spool one by one."""
    data = tree.to_json(pages=False)
    head = json.dumps(data, ensure_ascii=False, separators=(",", ":"))[:-1]
    lines = lines or {}
    yield f'{head},"pages":[\n'.encode()
    for i, p in enumerate(tree.pages):
        if i:
            yield b",\n"
        yield lines.get(p.number) or page_line(p).encode()
    yield b"\n]}\n"


def report_json(result: BuildResult) -> bytes:
    probs = result.problems
    data = {"edition": result.edition.slug if result.edition else "",
            "ok": result.ok,
            "errors": len(probs.errors), "warnings": len(probs.warnings),
            "problems": [p.to_json() for p in probs]}
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def compose(folder: Path, allow_overset: bool = False, progress=None, pool=None, cache=None,
            draw_pages: bool = False, spool_dir: Path | None = None, layout_file: Path | None = None,
            early=None) -> BuildResult:
    """Load and compose, without rendering (check, diff and tests use this); with
    `draw_pages`, each page's operators are made as soon as it is composed. What is held
    on disk until the products are made goes to `spool_dir` (a build: OUT/<slug>/);
    `layout_file` is the layout.json there, which holds the lines of the pages the cache keeps.
    `early`: a `preload.EarlyLoad` of `folder`, whose edition is taken if it loaded."""
    t0 = time.perf_counter()
    # the fonts do not depend on the edition: with an early load they are read while it loads
    registry = _font_registry(cache) if early is not None else None
    loaded = early.take(folder) if early is not None else None
    if loaded is not None:
        edition, problems = loaded
    elif cache is not None:
        articles = CachedArticles(cache, Path(folder).resolve())
        edition, problems = load_edition(folder, load=articles)
        articles.save()
    else:
        edition, problems = load_edition(folder)
    result = BuildResult(problems, edition)
    result.timings["load"] = time.perf_counter() - t0
    if edition is not None:
        _compose_loaded(result, allow_overset, progress, pool, cache, draw_pages, spool_dir, layout_file,
                        registry if registry is not None else _font_registry(cache))
    if loaded is not None and cache is not None:
        # the records the child made while this process composed
        records = early.records()
        if records is not None:
            save_records(cache, Path(folder).resolve(), records)
    return result


def _font_registry(cache) -> FontRegistry | FontError:
    """The shipped faces (a watching process keeps them while they do not change), or what
    is wrong with them."""
    try:
        return cache.memory.registry() if cache is not None and cache.memory is not None else FontRegistry()
    except FontError as exc:
        return exc


def _compose_loaded(result: BuildResult, allow_overset: bool, progress, pool, cache, draw_pages: bool,
                    spool_dir: Path | None, layout_file: Path | None, registry: FontRegistry | FontError) -> None:
    edition, problems = result.edition, result.problems
    if pool is not None:
        pool.settle(len(edition.pages))
        result.jobs = pool.jobs
    if isinstance(registry, FontError):
        problems.error("font", str(registry))
        return
    tpl = load_template(edition.template, edition.template_overrides)
    result.template = tpl
    if tpl.column_chars < 2 or tpl.lines < 10:
        problems.error("template", f"template {tpl.name}: columns of {tpl.column_chars} characters and "
                       f"{tpl.lines} lines are too small for a page",
                       file=display_path(edition.root / "edition.yaml"), field="template")
        return
    t0 = time.perf_counter()
    result.icc = _output_profile(edition, tpl, problems)
    draw = functools.partial(page_ops, registry=registry) if draw_pages else None
    composed = compose_edition(edition, tpl, registry, allow_overset, progress, pool, cache, draw, spool_dir,
                               layout_file)
    tree, cproblems = composed.tree, composed.problems
    result.page_lines = composed.lines
    result.drawings = composed.drawings
    result.timings["typeset"] = composed.typeset_seconds
    result.timings["compose"] = time.perf_counter() - t0 - composed.typeset_seconds
    if allow_overset:
        # the editor asked to see the overset: it is drawn as a red mark and reported, not fatal
        cproblems.items = [replace(p, severity=Severity.WARNING) if p.kind == "overset" else p
                           for p in cproblems.items]
    problems.extend(cproblems)
    result.tree = tree
    result.registry = registry


def _output_profile(edition: Edition, tpl: PageTemplate, problems: Problems) -> bytes | None:
    """The template's ICC output profile, which must exist and be CMYK (PDF/X-4 output intent)."""
    if not tpl.icc_profile:
        return None
    from PIL import ImageCms

    from .edition.source import inside
    where = {"file": display_path(edition.root / "edition.yaml"), "field": "template.icc_profile"}
    path = inside(edition.root, tpl.icc_profile)
    if path is None or not path.is_file():
        problems.error("icc", f"ICC profile not found in the edition folder: {tpl.icc_profile}", **where)
        return None
    try:
        data = read_limited(path, 64 * 1024 * 1024)
    except OSError as exc:
        problems.error("icc", f"cannot read the ICC profile {tpl.icc_profile}: {exc}", **where)
        return None
    try:
        space = ImageCms.ImageCmsProfile(io.BytesIO(data)).profile.xcolor_space.strip()
    except (OSError, ImageCms.PyCMSError) as exc:
        problems.error("icc", f"not an ICC profile: {tpl.icc_profile}: {exc}", **where)
        return None
    if space != "CMYK":
        problems.error("icc", f"the output profile must be CMYK, {tpl.icc_profile} is {space}", **where)
        return None
    return data


def build_edition(folder: Path | str, out: Path | str, allow_overset: bool = False,
                  progress=None, jobs: int = 0, clean: bool = False, memory=None, early=None) -> BuildResult:
    """Build an edition into OUT/<slug>/; results of an earlier build there are reused
    where their inputs did not change (`clean` ignores and empties that cache). A process
    that builds again and again passes one `cache.CacheMemory` to each of its builds.
    `early`: the edition being loaded in another process (`preload.EarlyLoad`)."""
    folder, out = Path(folder), Path(out)
    out_dir = out / folder.resolve().name
    if out_dir.resolve() == folder.resolve():
        # products, print/, site/ and the cache would be written — and pruned — among the copy
        raise OSError(f"{out_dir} is the edition folder itself: choose another output folder")
    with lock(out_dir):
        return _build_locked(folder, out, out_dir, allow_overset, progress, jobs, clean, memory, early)


def _build_locked(folder: Path, out: Path, out_dir: Path, allow_overset: bool, progress, jobs: int,
                  clean: bool, memory=None, early=None) -> BuildResult:
    from .cache import BuildCache
    from .parallel import Pool
    notes = Problems()    # said before the build's own problems, and in its report
    for note in recover(out_dir):
        notes.info("recovered", f"{out_dir}: {note}")
    cache = BuildCache(out_dir / ".cache", memory)
    if cache.refused:
        notes.warning("cache", cache.refused)
    if clean:
        cache.clear()
    # A build makes millions of small objects (lines, runs) that live until it ends and
    # form no cycles: the cyclic collector would walk them again and again for nothing
    # (10 % of a 64-page build, measured; one collection afterwards finds ~8,000
    # objects). Workers forked during the build inherit this.
    collecting = gc.isenabled()
    gc.disable()
    try:
        result = _build(folder, out, out_dir, allow_overset, progress, Pool(jobs), cache, notes, early)
    finally:
        if collecting:
            gc.enable()
    if result.ok:
        cache.prune()
        if memory is not None:
            memory.keep_only(cache.used)
    result.cache = cache.stats()
    return result


def _build(folder: Path, out: Path, work_dir: Path, allow_overset: bool, progress, pool, cache,
           notes: Problems, early=None) -> BuildResult:
    """The build itself; `work_dir` is OUT/<slug>/ as locked (its temporary files go there)."""
    result = compose(folder, allow_overset, progress, pool, cache, draw_pages=True, spool_dir=work_dir,
                     layout_file=work_dir / "layout.json", early=early)
    result.problems.items[:0] = notes.items
    edition, tree = result.edition, result.tree
    if edition is None or tree is None or result.problems.has_errors():
        if edition is not None:
            out_dir = Path(out) / edition.slug
            write_atomic(out_dir / "report.json", report_json(result))
        return result
    out_dir = Path(out) / edition.slug
    files = _draw(result, out_dir, pool, cache)
    t0 = time.perf_counter()
    reader_path = out_dir / f"{edition.slug}.pdf"
    # only now, with everything drawn, replace the previous outputs — all of them or none
    # proofs and the website are made from the edition PDF: when it changes they go
    commit(out_dir, files, _stale_print_pages(out_dir, files),
           derived={reader_path: [out_dir / "proofs", out_dir / "site"]})
    result.timings["write"] = time.perf_counter() - t0
    result.out_dir = out_dir
    result.files = list(files)
    return result


def _draw(result: BuildResult, out_dir: Path, pool, cache) -> dict[Path, bytes | Staged | Unchanged]:
    """The products, by their path in OUT/<slug>/: layout.json and the print pages are staged
    there as they are made (`output.Staged`, or `Unchanged` when OUT holds those very bytes)
    rather than held to the end — and removed again should drawing fail."""
    edition, tree = result.edition, result.tree
    files: dict[Path, bytes | Staged | Unchanged] = {}
    try:
        t0 = time.perf_counter()
        lines = result.page_lines   # every page's line, spooled as it was composed
        digest = hashlib.sha256()

        def hashed(chunks: Iterator[bytes]) -> Iterator[bytes]:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk
        files[out_dir / "layout.json"] = stage_chunks(out_dir / "layout.json", hashed(layout_json_chunks(tree, lines)))
        content_hash = digest.hexdigest()
        title = f"{edition.paper.name} {edition.date.year}年{edition.date.month}月{edition.date.day}日"
        opts = RenderOptions(edition_root=edition.root, title=title,
                             author=edition.paper.publisher or edition.paper.name,
                             subject=f"{edition.paper.name} 第{edition.issue}期",
                             keywords=", ".join(p.section for p in edition.pages), date=edition.date,
                             icc=result.icc, ink_limit=float(result.template.ink_limit), accent=edition.accent)
        result.timings["manifest"] = time.perf_counter() - t0
        products = draw_products(tree, result.registry, opts, content_hash, lines, result.drawings, pool, cache,
                                 print_dir=out_dir / "print", reader_path=out_dir / f"{edition.slug}.pdf")
        result.drawings = {}     # drawn: not held while the files are written
        result.timings["render"] = products.render_seconds
        result.timings["print"] = products.print_seconds
        files[out_dir / f"{edition.slug}.pdf"] = products.reader
        for number, data in products.prints.items():
            files[print_page_path(out_dir / "print", number)] = data
        files[out_dir / "report.json"] = report_json(result)
    except BaseException:
        discard(files.values())   # a failed build leaves OUT as it was
        raise
    return files


_PRINT_PAGE = re.compile(r"\d{2,}\.pdf")


def _stale_print_pages(out_dir: Path, files: dict) -> list[Path]:
    """Print pages in OUT of pages the edition no longer has."""
    print_dir = out_dir / "print"
    if not print_dir.is_dir() or print_dir.is_symlink():
        return []
    return [p for p in sorted(print_dir.iterdir()) if _PRINT_PAGE.fullmatch(p.name) and p not in files]
