"""Records kept in an unnamed temporary file instead of memory, by key, for one build.

A long edition's pages are made one after another and needed again only at the end
(layout.json, the reader edition, the print pages): held in memory, a 1,000-page
edition's layout.json lines (~140 KB a page) and drawings (~100 KB a page) would keep
~240 MB alive to the end of the build. A `Spool` writes each record as it is added and
reads it back when asked; the file goes when the spool does.

Worker processes forked while a spool is open read it too: a record is flushed to the
file as it is added, and read at its offset (`os.pread`) without moving the file
position the processes share. Where workers are started afresh rather than forked
(`parallel.Pool` without fork) a spool travels as its records and is written to a file
of the worker's own.
"""
from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Hashable, Iterator
from pathlib import Path


class Spool:
    """bytes by key, appended to a temporary file; a key added again points at its new record.
    The file is made in `folder` if given — a build puts it in OUT, on the disk its
    outputs go to: the system's temporary folder may be memory (tmpfs), where a spool
    would save the build's memory only to take the machine's."""

    def __init__(self, folder: Path | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=folder)   # noqa: SIM115 - open as long as the spool lives
        self._end = 0
        self._at: dict[Hashable, tuple[int, int] | bytes] = {}   # (offset, size) in the file, or the record held
        self._lock = threading.Lock()          # seek-and-read where there is no pread

    def put(self, key: Hashable, data: bytes) -> None:
        with self._lock:
            self._file.seek(self._end)
            self._file.write(data)    # a buffered file: written in full
            self._file.flush()        # on disk before a worker is forked that reads it
            self._at[key] = (self._end, len(data))
            self._end += len(data)

    def hold(self, key: Hashable, data: bytes) -> None:
        """A record that is in memory anyway (in a watching process's cache memory): held
        by reference, not written."""
        self._at[key] = data

    def read(self, key: Hashable) -> bytes:
        entry = self._at[key]
        if isinstance(entry, bytes):
            return entry
        at, size = entry
        if hasattr(os, "pread"):
            data = os.pread(self._file.fileno(), size, at) if size else b""
            while 0 < len(data) < size:     # a regular file reads short only at its end
                more = os.pread(self._file.fileno(), size - len(data), at + len(data))
                if not more:
                    break
                data += more
        else:
            with self._lock:
                self._file.seek(at)
                data = self._file.read(size)
        if len(data) != size:
            raise OSError(f"a build's temporary file lost its record {key!r}")
        return data

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._at

    def __getstate__(self) -> dict:
        # pickled for a worker that is not forked: the records themselves, and what a
        # subclass keeps beside them
        own = ("_file", "_end", "_at", "_lock")
        return {"records": {key: self.read(key) for key in self._at},
                "rest": {k: v for k, v in self.__dict__.items() if k not in own}}

    def __setstate__(self, state: dict) -> None:
        Spool.__init__(self)       # the worker's own temporary folder
        for key, data in state["records"].items():
            self.put(key, data)
        self.__dict__.update(state["rest"])
