"""`banmian watch`: build an edition again each time one of its files is saved.

Production staff edit an article and want to see the page: a watching process
builds once, then looks at the edition folder's files every `interval` seconds
(their sizes, modification times and inodes: no file-system events, which
differ on every system) and builds again when one changed, was added or was removed. A
save is often several writes (an editor truncates, writes, renames): a change
is built only once the folder has held still for `settle` seconds.

Each build is `build.build_edition`, the very build of `banmian build` — same
outputs, same byte-identical products, same refusal to replace good outputs
with a failed build — run in one process that stays: its imports, font
metrics and font programs are ready, and what earlier builds made is read from
the build cache in OUT. A failed build is reported and the watch goes on.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Snapshot = dict[str, tuple[int, int, int]]   # path relative to the edition folder -> (size, mtime in ns, inode):
                                             # an editor that saves by renaming a new file changes the inode


def _ignored(name: str) -> bool:
    """Hidden files and folders (.git, an editor's .swp) and editors' backups (a.md~, #a.md#)."""
    return name.startswith((".", "#")) or name.endswith("~")


def snapshot(folder: Path, skip: Path | None = None) -> Snapshot:
    """Every file under `folder` that a build may read, with its size and modification
    time; not the folder `skip` (OUT, when it lies inside the edition folder), nor
    folders reached through a symbolic link (which may loop)."""
    found: Snapshot = {}
    skip_real = os.path.realpath(skip) if skip is not None else None
    stack = [str(folder)]
    while stack:
        here = stack.pop()
        if skip_real is not None and os.path.realpath(here) == skip_real:
            continue
        try:
            entries = list(os.scandir(here))
        except OSError:          # removed while we looked, or unreadable: seen next time
            continue
        for entry in entries:
            if _ignored(entry.name):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file():
                    st = entry.stat()
                    found[os.path.relpath(entry.path, folder)] = (st.st_size, st.st_mtime_ns, st.st_ino)
            except OSError:
                continue
    return found


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """The files added, removed or changed between two snapshots, sorted."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


@dataclass
class Build:
    """One build of the watch, as reported."""
    changed: list[str]           # the files whose change started it (empty: the first build)
    seconds: float
    result: object = None        # build.BuildResult, or None if the build could not run
    error: str = ""              # why it could not run (an OSError: a full disk, a locked OUT)


def watch(folder: Path, out: Path, on_build: Callable[[Build], None], jobs: int = 0, allow_overset: bool = False,
          interval: float = 0.5, settle: float = 0.2, stop: Callable[[], bool] = lambda: False,
          sleep: Callable[[float], None] = time.sleep) -> None:
    """Build `folder` into `out` now and after every change, calling `on_build` with each
    build, until `stop()` is true (checked after every build and every look)."""
    from .build import build_edition
    from .cache import CacheMemory
    memory = CacheMemory()      # what the builds read and decode, kept for the next
    skip = out / folder.resolve().name
    changed: list[str] = []
    seen = snapshot(folder, skip)
    while True:
        t0 = time.perf_counter()
        try:
            result = build_edition(folder, out, allow_overset=allow_overset, jobs=jobs, memory=memory)
            on_build(Build(changed, time.perf_counter() - t0, result))
        except OSError as exc:
            on_build(Build(changed, time.perf_counter() - t0, None, str(exc)))
        with _interrupt_noted() as interrupted:
            now = _next_change(folder, skip, seen, interval, settle, lambda: bool(interrupted) or stop(), sleep)
        if interrupted:
            raise KeyboardInterrupt
        if now is None:
            return
        changed, seen = changes(seen, now), now


def _next_change(folder: Path, skip: Path, seen: Snapshot, interval: float, settle: float,
                 stopping: Callable[[], bool], sleep: Callable[[float], None]) -> Snapshot | None:
    """The folder's snapshot once it changed from `seen` and then held still for `settle`
    seconds; None when `stopping()` before that."""
    while not stopping():
        sleep(interval)
        now = snapshot(folder, skip)
        if now == seen:
            continue
        while not stopping():           # wait for the save to finish
            sleep(settle)
            later = snapshot(folder, skip)
            if later == now:
                return now
            now = later
    return None


@contextlib.contextmanager
def _interrupt_noted():
    """While the watch waits for a save, Ctrl-C (SIGINT) is noted — the list yielded gets
    the signal — rather than raised at once as KeyboardInterrupt: raised while the
    garbage collector runs a finalizer (a build's temporary files closing), it would be
    swallowed ("Exception ignored in …") and the watch would go on. The caller stops
    after the look it is in. During a build, Ctrl-C interrupts at once as usual. (Only
    the main thread may set a signal handler; and a process started with SIGINT ignored
    — a shell's background job — keeps ignoring it: elsewhere nothing changes.)"""
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield noted
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)
