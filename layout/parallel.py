"""`--jobs N`: the independent parts of a build in N worker processes.

The independent heavy parts: setting each article's body (it depends on
nothing but the article, the template and the fonts), drawing the reader
edition (one canvas: one task) and drawing each print page (it depends on
nothing but its page of the layout tree). All are deterministic, so the
output is byte-identical to `--jobs 1`.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

_REGISTRY = None


def _registry():
    global _REGISTRY
    if _REGISTRY is None:
        from .fonts import FontRegistry
        _REGISTRY = FontRegistry()
    return _REGISTRY


def _flow(args):
    from .compose.body import body_flow
    from .compose.display import Setter
    article, width, size = args
    registry = _registry()
    return article.id, body_flow(article, width, size, registry, Setter(registry))


def _print_page(args):
    from .render.edition import print_pdf
    tree, page, opts, key, ops = args
    return page.number, print_pdf(tree, page, _registry(), opts, key, ops)


def _reader(args):
    """The reader edition, and every page's operators (for the cache)."""
    from .render.edition import reader_pdf
    tree, opts, content_hash, ops = args
    return reader_pdf(tree, _registry(), opts, content_hash, ops), ops


class Pool:
    """A process pool for one build, or nothing at all with jobs=1."""

    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        self._executor = ProcessPoolExecutor(self.jobs) if self.jobs > 1 else None

    def flows(self, articles, width: float, size: float) -> dict:
        work = [(a, width, size) for a in articles]
        return dict(self._executor.map(_flow, work, chunksize=max(1, len(work) // (4 * self.jobs))))

    def submit_reader(self, tree, opts, content_hash, ops: dict):
        return self._executor.submit(_reader, (tree, opts, content_hash, ops))

    def submit_prints(self, tree, opts, keys: dict, pages, ops: dict):
        # each task gets the tree with its own page only: pickling all 64 pages per task
        # would cost more than drawing them
        import dataclasses
        return [self._executor.submit(_print_page, (dataclasses.replace(tree, pages=(page,)), page, opts,
                                                    keys[page.number], ops.get(page.number)))
                for page in pages]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._executor is not None:
            self._executor.shutdown()

    @property
    def parallel(self) -> bool:
        return self._executor is not None
