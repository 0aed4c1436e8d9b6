"""Flate streams (PDF 32000-1 §7.4.4: zlib format) for page content and font programs.

Compressed with libdeflate (the `deflate` package) rather than zlib: a complete DEFLATE
implementation that is about twice as fast at the same level and a little smaller — every
stream of 64 synthetic pages (12.5 MB: reader and print content, font programs) in 109
against 208 ms, 4.01 against 4.06 MB. Any Flate reader decodes it; the same input gives
the same bytes (the library's version is part of the cache's identity)."""
from __future__ import annotations

import deflate


def flate(data: bytes, level: int = 6) -> bytes:
    return bytes(deflate.zlib_compress(data, level))   # (it gives a bytearray: streams are kept and hashed)
