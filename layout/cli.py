"""The command line: parses arguments, shows progress, calls the library.

Exit codes: 0 ok, 1 problems found, 2 could not run.
"""
from __future__ import annotations

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
          quiet: bool = typer.Option(False, "-q", "--quiet", help="print errors only")) -> None:
    """Build EDITION_DIR into OUT/<slug>/: <slug>.pdf, print/NN.pdf, layout.json, report.json."""
    from .build import build_edition
    if not (edition_dir / "edition.yaml").is_file():
        typer.echo(f"{edition_dir}: not an edition folder (no edition.yaml)", err=True)
        raise typer.Exit(2)
    bars: list = []

    def progress(done: int, total: int) -> None:
        if quiet:
            return
        if not bars:
            bars.append(typer.progressbar(length=total, label="composing pages", file=None))
            bars[0].__enter__()
        bars[0].update(1)

    try:
        result = build_edition(edition_dir, out, allow_overset=allow_overset, progress=progress)
    finally:
        if bars:
            bars[0].__exit__(None, None, None)
    _print_problems(result.problems, quiet)
    if not result.ok:
        n = len(result.problems.errors)
        typer.echo(f"build failed: {n} error{'s' if n != 1 else ''}; earlier outputs left unchanged", err=True)
        raise typer.Exit(1)
    if not quiet:
        pages = len(result.tree.pages)
        typer.echo(f"built {result.edition.slug}: {pages} pages → {result.out_dir}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
