"""An incremental update of a PDF file, written the PDF 1.5 way (PDF 32000-1 §7.5.6–7.5.8).

The reader edition is reportlab's file plus one update that adds the structure tree,
the outline and the XMP metadata, and new versions of the catalog, the pages and the
link annotations that refer to them (`tagged.add_structure`). The update's
dictionaries — thousands of small structure elements — are packed a hundred at a time
into compressed object streams (§7.5.7), and located by a compressed
cross-reference stream (§7.5.8) whose /Prev is reportlab's cross-reference table.

Why not let qpdf rewrite the file: reading and writing the ~4,700 objects of a
64-page edition again, linearised, took 50–70 ms of every build — a third of a
`watch` rebuild after one edited article — for the same objects in another order.
"""
from __future__ import annotations

import functools
import hashlib
import struct
import zlib

OBJECTS_PER_STREAM = 100    # as qpdf packs them: a reader decompresses one stream per lookup
# a cross-reference entry: type (1 byte), offset or object stream (4), generation or index (2)
_ENTRY, _W = struct.Struct(">BIH"), b"1 4 2"


def incremental_update(at: int, prev: int, objects: dict[int, bytes], streams: dict[int, bytes],
                       size: int, trailer: bytes, ident: bytes) -> bytes:
    """The bytes to append to a file of `at` bytes whose last cross-reference section starts at
    `prev` and whose objects are numbered below `size`.

    `objects`: number -> a dictionary's or array's PDF text (packed into object streams);
    `streams`: number -> a stream object's text, dictionary to `endstream` (written as it
    is: a stream cannot go into an object stream). Both may hold new versions of the
    file's objects. `trailer`: the trailer's other entries (/Root, /Info) as PDF text;
    `ident`: the file's permanent identifier (the first string of /ID, which an update
    keeps; the second is this update's own digest, PDF 32000-1 §14.4)."""
    numbers = sorted(objects)
    chunks = [numbers[i:i + OBJECTS_PER_STREAM] for i in range(0, len(numbers), OBJECTS_PER_STREAM)]
    first_free = max(size, max(objects, default=0) + 1, max(streams, default=0) + 1)
    xref_num = first_free + len(chunks)
    direct: dict[int, int] = {}       # number -> offset: a stream, an object stream, this table
    packed: dict[int, tuple[int, int]] = {}   # number -> (its object stream's number, its index there)
    out = bytearray(b"\n")
    for num in sorted(streams):
        direct[num] = at + len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, streams[num])
    for k, chunk in enumerate(chunks):
        pack_num = first_free + k
        bodies = [objects[num] for num in chunk]
        offsets, offset = [], 0
        for body in bodies:
            offsets.append(offset)
            offset += len(body) + 1
        head = " ".join(f"{num} {off}" for num, off in zip(chunk, offsets)).encode("ascii") + b"\n"
        data = _compressed(head + b"\n".join(bodies) + b"\n")
        packed.update((num, (pack_num, i)) for i, num in enumerate(chunk))
        direct[pack_num] = at + len(out)
        out += (b"%d 0 obj\n<</Type/ObjStm/N %d/First %d/Filter/FlateDecode/Length %d>>\nstream\n"
                % (pack_num, len(chunk), len(head), len(data)))
        out += data + b"\nendstream\nendobj\n"
    direct[xref_num] = at + len(out)
    listed = sorted(direct.keys() | packed.keys())
    table = b"".join(_ENTRY.pack(1, direct[num], 0) if num in direct else _ENTRY.pack(2, *packed[num])
                     for num in listed)
    index = []    # a (first number, count) pair per run of consecutive numbers
    for num in listed:
        if index and num == index[-2] + index[-1]:
            index[-1] += 1
        else:
            index += [num, 1]
    data = zlib.compress(table)
    second = hashlib.md5(bytes(out) + data, usedforsecurity=False).hexdigest().upper().encode()
    out += (b"%d 0 obj\n<</Type/XRef/Size %d/Index[%s]/W[%s]/Prev %d%s/ID[<%s><%s>]/Filter/FlateDecode/Length %d>>"
            b"\nstream\n" % (xref_num, xref_num + 1, " ".join(map(str, index)).encode(),
                             _W, prev, trailer, ident, second, len(data)))
    out += data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % direct[xref_num]
    return bytes(out)


@functools.lru_cache(maxsize=512)
def _compressed(stream: bytes) -> bytes:
    """An object stream's data, compressed. Remembered: when `watch` builds again after an
    edit, the structure elements of the pages it did not change are the same text in the
    same streams (most edits change no page's number of paragraphs), and deflating them
    again was ~5 ms of the rebuild of 64 pages. (512 streams: ~5 MB at most, the streams
    of ~700 pages.)"""
    return zlib.compress(stream)


def last_xref(data: bytes) -> int:
    """Where the last cross-reference section of the PDF file `data` starts (its startxref)."""
    return int(data[-1024:].rsplit(b"startxref", 1)[1].split()[0])
