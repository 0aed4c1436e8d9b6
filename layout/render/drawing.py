"""A page's drawing (`pdf.PageOps`) kept out of memory until the products are made.

A drawing is ~100 KB of operators and marks a page. It is encoded once, as three
records — what a document must prepare for the page (the characters per face and
`PageOps.uses`), its marks, and its operators — which the build cache keeps as they
are and a `DrawingSpool` holds on disk. A `SpooledDrawing` reads like a `PageOps` and
decodes a field each time it is read: the reader edition of an edition that changed on
one page decodes the other pages' characters and marks, never their operators (their
content streams are kept), and no page's drawing lives in memory to the end of a build.

The operators are codec JSON (`layout.codec`: it builds data, never runs code, from a
cache anyone may edit; a picture is a Block); the head and the marks are plain JSON,
which decodes several times faster.
"""
from __future__ import annotations

import json
from typing import NamedTuple

from ..codec import CodecError, decode, encode
from ..spool import Spool
from .pdf import Mark, PageOps


class EncodedDrawing(NamedTuple):
    """A drawing as three JSON records (UTF-8, no newline in any: JSON escapes it)."""
    head: bytes      # {"chars": …, "uses": […]}
    marks: bytes     # [[role, article, text, last], …]
    parts: bytes     # codec JSON of PageOps.parts


def encode_drawing(ops: PageOps) -> EncodedDrawing:
    from ..cache import register_types  # pictures' blocks are codec types
    register_types()
    head = json.dumps({"chars": ops.chars, "uses": list(ops.uses)}, ensure_ascii=False, separators=(",", ":"))
    marks = json.dumps([list(m) for m in ops.marks], ensure_ascii=False, separators=(",", ":"))
    return EncodedDrawing(head.encode(), marks.encode(), encode(ops.parts))


def _head(data: bytes) -> tuple[dict, tuple]:
    try:
        head = json.loads(data)
        chars, uses = head["chars"], tuple(head["uses"])
        if not (isinstance(chars, dict) and all(isinstance(v, str) for v in chars.values())
                and all(isinstance(u, str) for u in uses)):
            raise TypeError("chars and uses are not strings")
    except (ValueError, TypeError, KeyError) as exc:
        raise CodecError(f"not a drawing's head: {exc}") from None
    return chars, uses


def _marks(data: bytes) -> tuple[Mark, ...]:
    try:
        return tuple(map(Mark._make, json.loads(data)))
    except (ValueError, TypeError) as exc:   # not JSON, not arrays of four
        raise CodecError(f"not a drawing's marks: {exc}") from None


def _parts(data: bytes) -> tuple:
    from ..cache import register_types
    register_types()
    parts = decode(data)
    if not isinstance(parts, tuple):
        raise CodecError("a drawing's parts are not a tuple")
    return parts


class DrawingSpool(Spool):
    """Pages' encoded drawings by page number."""

    def add(self, number: int, encoded: EncodedDrawing) -> SpooledDrawing:
        for i, record in enumerate(encoded):
            self.put((number, i), record)
        return SpooledDrawing(self, number)


class HeldDrawing:
    """A drawing held in memory as encoded — by a page's cache entry that a watching
    process keeps decoded (`cache.BuildCache.get_decoded`) — read like a `PageOps`: its head
    and marks are decoded the first time they are read and kept with it, so the builds
    after an edit do not decode every page's marks again for the structure tree; its
    operators, read only to draw the page again, are decoded each time and not kept."""

    __slots__ = ("encoded", "_head", "_marks")

    def __init__(self, encoded: EncodedDrawing):
        self.encoded = encoded
        # decoded now, a cache entry's drawing is checked as it is read, so that one of
        # another shape is made again (the entry's signature vouches that banmian wrote the
        # rest; the marks and parts are checked when the products decode them)
        self._head = _head(encoded.head)
        self._marks: tuple[Mark, ...] | None = None

    @property
    def chars(self) -> dict:
        return dict(self._head[0])

    @property
    def uses(self) -> tuple:
        return self._head[1]

    @property
    def marks(self) -> tuple[Mark, ...]:
        if self._marks is None:
            self._marks = _marks(self.encoded.marks)
        return self._marks

    @property
    def parts(self) -> tuple:
        return _parts(self.encoded.parts)

    def __getstate__(self):
        return self.encoded

    def __setstate__(self, encoded) -> None:
        self.__init__(encoded)


class SpooledDrawing:
    """One page's drawing in a `DrawingSpool`, read like a `PageOps`: each field is decoded
    when read (and not kept)."""

    __slots__ = ("spool", "number")

    def __init__(self, spool: DrawingSpool, number: int):
        self.spool, self.number = spool, number

    @property
    def chars(self) -> dict:
        return _head(self.spool.read((self.number, 0)))[0]

    @property
    def uses(self) -> tuple:
        return _head(self.spool.read((self.number, 0)))[1]

    @property
    def marks(self) -> tuple[Mark, ...]:
        return _marks(self.spool.read((self.number, 1)))

    @property
    def parts(self) -> tuple:
        return _parts(self.spool.read((self.number, 2)))
