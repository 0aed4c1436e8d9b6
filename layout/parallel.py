"""`--jobs N`: the independent parts of a build shared with N-1 worker processes.

The independent heavy parts: composing runs of pages that no jump crosses
(setting their articles' bodies included: a page depends on nothing but its
articles, the template, the fonts and the jumps arriving from earlier pages),
and drawing print pages (each depends on its page of the layout tree only).
This process always takes a share itself — the first run of pages; the reader
edition, which is one canvas, while the workers draw the print pages, and then
the print pages no worker has started — so two jobs on two cores keep both busy.

Workers are forked when a phase starts, so they inherit what the phase reads
(the edition, the layout tree, the font metrics) instead of receiving it
pickled: only the names of their chunks go out, and results come back. Where
fork is not available the same state is pickled once per worker. Everything
is deterministic, so the output is byte-identical to `--jobs 1`.
"""
from __future__ import annotations

import os

_STATE = None


def _init(state) -> None:
    global _STATE
    _STATE = state


def _call(fn, chunk):
    return fn(_STATE, chunk)


# Below this many pages a second process does not pay for itself: starting a worker and
# sending it the pages costs about what it saves (bench.edition, 2026-12-03: 4 pages
# 0.69 s at -j 1 and 0.71 s at -j 2; 16 pages 1.52 s and 1.17 s; 64 pages 4.4 s and 2.9 s).
AUTO_MIN_PAGES = 16
AUTO_PAGES_PER_JOB = 16


def auto_jobs(pages: int) -> int:
    """The processes a build of `pages` pages uses when not told: one under AUTO_MIN_PAGES,
    else one more for every AUTO_PAGES_PER_JOB pages, no more than the cores this process
    may run on that the machine's load leaves free."""
    if pages < AUTO_MIN_PAGES:
        return 1
    return min(free_cores(), 1 + pages // AUTO_PAGES_PER_JOB)


def free_cores() -> int:
    """The cores this process may run on that the machine's load leaves free (at least one)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        cores = os.cpu_count() or 1
    try:
        free = cores - int(os.getloadavg()[0])
    except OSError:
        free = cores
    return max(1, min(cores, free))


class Pool:
    """How many processes a build may use; each phase forks its own workers. `jobs` 0: chosen
    from the edition's size once it is known (`settle`); the output is the same either way."""

    def __init__(self, jobs: int):
        self.auto = jobs == 0
        self.jobs = max(1, jobs)

    def settle(self, pages: int) -> None:
        if self.auto:
            self.jobs = auto_jobs(pages)
            self.auto = False

    @property
    def parallel(self) -> bool:
        return self.jobs > 1

    def alongside(self, state, fn, chunks: list, here):
        """Run `fn(state, chunk)` for every chunk in the workers while `here()` runs in
        this process; returns (here's result, the chunks' results in order).

        The workers take the chunks in order; once `here()` is done, this process takes
        those no worker has started yet, from the last one back: whichever side turns out
        faster does more, so many small chunks balance the work where a fixed share
        could not (64 synthetic pages: the reader edition took 0.35–0.48 s against the
        print pages' 0.45–0.55 s, one run to the next)."""
        if not self.parallel or not chunks:
            first = here()
            return first, [fn(state, chunk) for chunk in chunks]
        import multiprocessing  # (not at the top: the command line imports this module before it forks, preload)
        from concurrent.futures import ProcessPoolExecutor
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        workers = min(self.jobs - 1, len(chunks))
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(state,)) as ex:
            futures = [ex.submit(_call, fn, chunk) for chunk in chunks]
            first = here()
            done_here = {}
            # a future a worker has not taken can be cancelled; workers take them in
            # order, so the first one that cannot be is where this process stops
            for i in reversed(range(len(chunks))):
                if not futures[i].cancel():
                    break
                done_here[i] = fn(state, chunks[i])
            return first, [done_here[i] if i in done_here else f.result() for i, f in enumerate(futures)]
