"""The command line: parses arguments, shows progress, calls the library.

Exit codes: 0 ok, 1 problems found, 2 could not run.
"""
from __future__ import annotations

import contextlib
import math
import os
import sys
from pathlib import Path

import typer

from .problems import Problems, Severity

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="banmian 版面 — Chinese newspaper editions from YAML and text to print-ready PDF.")


@app.callback()
def _root() -> None:
    """banmian 版面 — Chinese newspaper editions from YAML and text to print-ready PDF."""


def _print_problems(problems: Problems, quiet_warnings: bool = False) -> None:
    for p in problems:
        if p.severity is Severity.ERROR or not quiet_warnings:
            typer.echo(str(p), err=True)


@app.command()
def build(edition_dir: Path = typer.Argument(..., help="the edition folder (with edition.yaml)"),
          out: Path = typer.Option(Path("output"), "-o", "--out", help="output folder"),
          allow_overset: bool = typer.Option(False, "--allow-overset",
                                             help="render overset articles with a red mark instead of failing"),
          quiet: bool = typer.Option(False, "-q", "--quiet", help="print errors only"),
          jobs: int = typer.Option(0, "-j", "--jobs", min=0,
                                   help="processes; 0 (default): from the edition's size and the free cores "
                                        "(the output is identical whatever the number)"),
          timings: bool = typer.Option(False, "--timings", help="print seconds per stage"),
          clean: bool = typer.Option(False, "--clean", help="ignore results of earlier builds")) -> None:
    """Build EDITION_DIR into OUT/<slug>/: <slug>.pdf, print/NN.pdf, layout.json, report.json."""
    if not (edition_dir / "edition.yaml").is_file():
        typer.echo(f"{edition_dir}: not an edition folder (no edition.yaml)", err=True)
        raise typer.Exit(2)
    from .parallel import free_cores
    from .preload import EarlyLoad
    # with a second process (asked for, or a core free when -j is left to banmian) the edition
    # is loaded there while this one imports the rest: -j 1 is one process, always
    second = jobs > 1 or (jobs == 0 and free_cores() > 1)
    with EarlyLoad(edition_dir) if second else contextlib.nullcontext() as early:
        _build(edition_dir, out, allow_overset, quiet, jobs, timings, clean, early)


def _build(edition_dir: Path, out: Path, allow_overset: bool, quiet: bool, jobs: int, timings: bool, clean: bool,
           early) -> None:
    from .build import build_edition
    bars: list = []

    def progress(done: int, total: int) -> None:
        if quiet:
            return
        if not bars:
            bars.append(typer.progressbar(length=total, label="composing pages", file=None))
            bars[0].__enter__()
        bars[0].update(1)

    try:
        result = build_edition(edition_dir, out, allow_overset=allow_overset, progress=progress, jobs=jobs,
                               clean=clean, early=early)
    except OSError as exc:  # an output folder that cannot be written, a disk that is full
        typer.echo(f"build could not run: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        if bars:
            bars[0].__exit__(None, None, None)
    _print_problems(result.problems, quiet)
    if not result.ok:
        n = len(result.problems.errors)
        typer.echo(f"build failed: {n} error{'s' if n != 1 else ''}; earlier outputs left unchanged", err=True)
        raise typer.Exit(1)
    if timings:
        typer.echo("  ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
                   + f"  cache {result.cache.get('hits', 0)} hits {result.cache.get('misses', 0)} misses"
                   + f"  jobs {result.jobs}")
    if not quiet:
        pages = len(result.tree.pages)
        typer.echo(f"built {result.edition.slug}: {pages} pages → {result.out_dir}")


@app.command()
def watch(edition_dir: Path = typer.Argument(..., help="the edition folder (with edition.yaml)"),
          out: Path = typer.Option(Path("output"), "-o", "--out", help="output folder"),
          allow_overset: bool = typer.Option(False, "--allow-overset",
                                             help="render overset articles with a red mark instead of failing"),
          jobs: int = typer.Option(0, "-j", "--jobs", min=0, help="processes; 0: chosen from the edition's size"),
          interval: float = typer.Option(0.5, "--interval", min=0.05, max=60.0,
                                         help="seconds between looks at the edition's files")) -> None:
    """Build EDITION_DIR now and again whenever one of its files is saved.

    Each build is `build`'s, with the same outputs in OUT/<slug>/; a failed build is
    reported and leaves the last good outputs. Ctrl-C stops."""
    import time

    from .watch import Build
    from .watch import watch as run
    if not (edition_dir / "edition.yaml").is_file():
        typer.echo(f"{edition_dir}: not an edition folder (no edition.yaml)", err=True)
        raise typer.Exit(2)
    if math.isnan(interval):
        raise typer.BadParameter("--interval must be a number")

    def report(b: Build) -> None:
        stamp = time.strftime("%H:%M:%S")
        why = f" ({len(b.changed)} changed: {', '.join(b.changed[:3])}{' …' if len(b.changed) > 3 else ''})" \
            if b.changed else ""
        if b.result is None:
            typer.echo(f"{stamp} build could not run{why}: {b.error}", err=True)
            return
        _print_problems(b.result.problems, quiet_warnings=True)
        if b.result.ok:
            typer.echo(f"{stamp} built {b.result.edition.slug}: {len(b.result.tree.pages)} pages in "
                       f"{b.seconds:.2f} s{why} → {b.result.out_dir}")
        else:
            n = len(b.result.problems.errors)
            typer.echo(f"{stamp} build failed{why}: {n} error{'s' if n != 1 else ''}; earlier outputs left "
                       "unchanged", err=True)
    typer.echo(f"watching {edition_dir} (Ctrl-C stops)")
    try:
        run(edition_dir, out, report, jobs=jobs, allow_overset=allow_overset, interval=interval)
    except KeyboardInterrupt:
        typer.echo("stopped")


@app.command()
def check(edition_dir: Path = typer.Argument(..., help="the edition folder"),
          out: Path = typer.Option(Path("output"), "-o", "--out", help="where report.json goes: OUT/<slug>/")) -> None:
    """Preflight: compose and render to a temporary folder, then report what a press would refuse."""
    import json

    from .build import write_atomic
    from .qa.preflight import check_edition
    if not (edition_dir / "edition.yaml").is_file():
        typer.echo(f"{edition_dir}: not an edition folder (no edition.yaml)", err=True)
        raise typer.Exit(2)
    try:
        problems, summary = check_edition(edition_dir)
    except Exception as exc:  # the check itself could not run: say so, exit 2
        typer.echo(f"check could not run: {exc}", err=True)
        raise typer.Exit(2) from None
    rows = [(p.severity.value, p.kind, str(p.page or ""), p.article or "", p.message) for p in problems]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(("severity", "kind", "page", "article"))]
    header = ("severity", "kind", "page", "article", "message")
    for r in [header, *rows]:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4])
    errors = len(problems.errors)
    typer.echo(f"{summary['edition']}: {summary['pages']} pages, {errors} errors, {len(problems.warnings)} "
               f"warnings; ink: {summary['ink']}")
    slug = summary["edition"]
    report = {"edition": slug, "ok": errors == 0, "errors": errors, "warnings": len(problems.warnings),
              "summary": summary, "problems": [p.to_json() for p in problems]}
    write_atomic(out / slug / "report.json", (json.dumps(report, ensure_ascii=False, indent=1) + "\n").encode())
    raise typer.Exit(1 if errors else 0)


# Proof and diff resolutions: a broadsheet page at 600 dpi is already 9,200 × 12,900 pixels.
MIN_DPI, MAX_DPI = 10.0, 600.0


def _dpi(value: float) -> float:
    """NaN passes a range check (every comparison with it is false): refuse it by name."""
    if not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a resolution: give one from {MIN_DPI:g} to {MAX_DPI:g}")
    return value


@app.command()
def proof(source: Path = typer.Argument(..., help="an edition folder or a PDF"),
          dpi: float = typer.Option(150.0, "--dpi", min=MIN_DPI, max=MAX_DPI, callback=_dpi),
          pages: str = typer.Option(None, "--pages", help="e.g. 1,3-4"),
          out: Path = typer.Option(Path("output"), "-o", "--out")) -> None:
    """PNG proofs of every page (or --pages), written to OUT/<slug>/proofs/NN.png."""
    from .output import lock
    from .qa.proof import ProofError
    from .qa.proof import proof as make_proofs
    from .site.build import file_name
    if source.is_dir():
        from .build import build_edition
        if not (source / "edition.yaml").is_file():
            typer.echo(f"{source}: not an edition folder (no edition.yaml)", err=True)
            raise typer.Exit(2)
        result = build_edition(source, out)
        _print_problems(result.problems, True)
        if not result.ok:
            raise typer.Exit(1)
        pdf, slug = result.out_dir / f"{result.edition.slug}.pdf", result.edition.slug
    elif source.is_file():
        pdf, slug = source, file_name(source.stem)   # a name that stays inside OUT
    else:
        typer.echo(f"{source}: no such file or folder", err=True)
        raise typer.Exit(2)
    try:
        with lock(out / slug):
            written = make_proofs(pdf, out / slug / "proofs", pages, dpi)
    except (ProofError, ValueError, OSError) as exc:
        typer.echo(f"proof: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{len(written)} proofs → {out / slug / 'proofs'}")


@app.command()
def diff(a: Path = typer.Argument(..., help="build folder (OUT/<slug>) or edition PDF"),
         b: Path = typer.Argument(..., help="build folder (OUT/<slug>) or edition PDF"),
         out: Path = typer.Option(Path("output/diff"), "-o", "--out", help="folder for diff.json and report.html"),
         allow: list[str] = typer.Option([], "--allow", help="an article whose changes are expected (repeatable)"),
         max_changed_pages: int = typer.Option(None, "--max-changed-pages",
                                               help="pass while at most N pages change unexpectedly"),
         dpi: float = typer.Option(150.0, "--dpi", min=MIN_DPI, max=MAX_DPI, callback=_dpi)) -> None:
    """Compare two builds: diff.json, report.html; exit 0 identical, 1 differences, 2 error."""
    import json

    from .build import write_atomic
    from .qa.diff import DiffError
    from .qa.diff import diff as run_diff
    from .qa.report import change_text, render_html
    try:
        result = run_diff(a, b, tuple(allow), max_changed_pages, dpi)
        data = result.data
        write_atomic(out / "diff.json", (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode())
        write_atomic(out / "report.html", render_html(data, result.images, dpi).encode())
    except (DiffError, OSError) as exc:
        typer.echo(f"diff: {exc}", err=True)
        raise typer.Exit(2) from None
    for page in data["pages"]:
        if page["status"] == "unchanged":
            continue
        typer.echo(f"page {page['page']:02d}: {page['status']}"
                   + ("" if not page.get("expected") else " (expected)"))
        for c in page.get("layout", []):
            typer.echo(f"  {change_text(c)}")
    for art, info in data["articles"].items():
        typer.echo(f"article {art}: {len(info['edits'])} text edits on page {', '.join(map(str, info['pages']))}")
    typer.echo(f"{data['changed_pages']} of {data['pages_compared']} pages changed → {out / 'report.html'}")
    raise typer.Exit(data["exit"])


@app.command()
def site(edition_dir: Path = typer.Argument(..., help="an edition folder, or an archive: a folder of edition folders"),
         out: Path = typer.Option(Path("output"), "-o", "--out"),
         jobs: int = typer.Option(0, "-j", "--jobs", min=0, help="processes; 0: chosen from the edition's size"),
         base_url: str = typer.Option("", "--base-url",
                                      help="where OUT/<slug>/site/ will be served (https://…/); "
                                           "an archive's sites are served beside it as ../<slug>/site/")) -> None:
    """Build the edition, then its 数字报 website in OUT/<slug>/site/ (static, works from file://).
    Given a folder of edition folders (an archive, e.g. one per date), build every edition and
    its site, then OUT/archive/: 往期回顾 by month and a full-text 检索 over every article."""
    from .site.build import SiteError
    if (edition_dir / "edition.yaml").is_file():
        made = _site_of(edition_dir, out, jobs, base_url, "")
        if made is None:
            raise typer.Exit(1)
        typer.echo(f"site: {made.pages} pages, {made.articles} articles → {made.folder / 'index.html'}")
        return
    editions = sorted(p for p in edition_dir.iterdir() if (p / "edition.yaml").is_file()) \
        if edition_dir.is_dir() else []
    if not editions:
        typer.echo(f"{edition_dir}: neither an edition folder (no edition.yaml) nor an archive of them", err=True)
        raise typer.Exit(2)
    from .site.archive import build_archive, read_edition_site
    archived, failed = [], []
    for folder in editions:
        url = f"{base_url}{folder.name}/site/" if base_url else ""
        made = _site_of(folder, out, jobs, url, "../../archive/index.html")
        if made is None:
            failed.append(folder.name)
            continue
        archived.append(read_edition_site(out, made.folder.parent))
    try:
        result = build_archive(archived, out / "archive")
    except (SiteError, OSError) as exc:
        typer.echo(f"archive: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"archive: {result.editions} editions, {result.articles} articles, search index "
               f"{result.index_bytes / 1e6:.1f} MB → {result.folder / 'index.html'}")
    if failed:
        typer.echo(f"not in the archive (build failed): {', '.join(failed)}", err=True)
        raise typer.Exit(1)


def _site_of(edition_dir: Path, out: Path, jobs: int, base_url: str, archive: str):
    """Build one edition and its site; None (problems printed) when either fails."""
    from .build import build_edition
    from .site.build import SiteError, build_site
    try:
        result = build_edition(edition_dir, out, jobs=jobs)
    except OSError as exc:
        typer.echo(f"site could not run: {exc}", err=True)
        raise typer.Exit(2) from None
    _print_problems(result.problems, True)
    if not result.ok:
        typer.echo(f"{edition_dir}: build failed: no site written", err=True)
        return None
    try:
        return build_site(result.edition, result.out_dir, base_url=base_url, archive=archive)
    except SiteError as exc:
        typer.echo(f"site: {exc}", err=True)
        return None


def main() -> None:
    """The console entry point. Once the command has finished and its output is flushed,
    the process ends with os._exit: tearing down the interpreter's heap after a 64-page
    build takes ~0.2 s and frees nothing the operating system would not.

    Bad input is reported by the commands as problems (exit 1) or as a message (exit 2);
    should anything still escape, it is one line and exit 2 — "could not run" — never a
    traceback (BANMIAN_DEBUG=1 shows it)."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (Exception, MemoryError, RecursionError) as exc:  # noqa: B014 - said explicitly: these end in exit 2
        if os.environ.get("BANMIAN_DEBUG"):
            import traceback
            traceback.print_exc()
        print(f"banmian could not run: {type(exc).__name__}: {str(exc)[:300]} (a bug: please report it with "
              "the input; BANMIAN_DEBUG=1 shows where)", file=sys.stderr)
        code = 2
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
