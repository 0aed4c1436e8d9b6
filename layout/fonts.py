"""Font registry: the shipped faces, their metrics, coverage and fallback chains.

FontFace       one font file: PostScript name, advance widths per character (em)
               and glyph ids per character (what the PDF embedding needs)
FontRegistry   faces by key, chains by role; resolves each character along a
               chain

Metrics come from the font files (fonttools: cmap + hmtx), read once per
file and cached by path and modification time — never "every hanzi is 1 em".
A missing glyph would be drawn as an empty box, so coverage is checked here,
before anything is drawn.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# the fonts we ship: fonts/ beside the package (a source tree, an editable install), or the
# copy a wheel carries inside it (setup.py); never a font the machine happens to have
FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"
if not (FONTS_DIR / "fonts.yaml").is_file():
    FONTS_DIR = Path(__file__).resolve().parent / "_fonts"


class FontError(Exception):
    """A font file or the font configuration is unusable."""


@dataclass(frozen=True, eq=False)   # identity: one object per face, compared by `is`
class FontFace:
    key: str                     # e.g. "song"
    path: Path
    psname: str                  # PostScript name (name ID 6)
    widths: dict = field(repr=False, hash=False, compare=False)  # char -> advance in em
    index: int = 0               # face number inside a .ttc collection
    gids: dict = field(default_factory=dict, repr=False, hash=False, compare=False)  # char -> glyph id

    def advance(self, char: str) -> float:
        return self.widths[char]


def _cache_file(path: str, mtime_ns: int, size: int, index: int = 0) -> Path:
    import hashlib
    import sys
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "banmian" / "fonts"
    key = hashlib.sha256(f"{path}|{mtime_ns}|{size}|{index}|5|{sys.byteorder}".encode()).hexdigest()[:32]
    return base / f"{key}.metrics"


_METRICS = b"banmian font metrics 5\n"   # 5: code points in 4 bytes (beyond the BMP)


def _pack_metrics(psname: str, widths: dict, gids: dict) -> bytes:
    """The metrics as arrays (code points, advances, glyph ids) after a SHA-256 of them: read
    back in ~5 ms a face where the JSON of the same dicts took ~25 ms to decode and check."""
    import hashlib
    from array import array
    chars = list(widths)
    name = psname.encode("utf-8")
    body = b"".join([len(name).to_bytes(2, "little"), name, len(chars).to_bytes(4, "little"),
                     array("I", map(ord, chars)).tobytes(), array("d", [widths[c] for c in chars]).tobytes(),
                     array("I", [gids[c] for c in chars]).tobytes()])
    return _METRICS + hashlib.sha256(body).digest() + body


def _unpack_metrics(data: bytes) -> tuple[str, dict, dict] | None:
    """`_pack_metrics`' data, or None when it is not exactly that (a damaged or foreign file:
    the file is the user's)."""
    import hashlib
    import math
    from array import array
    head = len(_METRICS) + 32
    body = data[head:]
    if not data.startswith(_METRICS) or hashlib.sha256(body).digest() != data[len(_METRICS):head]:
        return None
    size = int.from_bytes(body[:2], "little")
    psname = body[2:2 + size].decode("utf-8")
    at = 2 + size
    count = int.from_bytes(body[at:at + 4], "little")
    at += 4
    codes, advances, glyphs = array("I"), array("d"), array("I")
    for arr in (codes, advances, glyphs):
        end = at + count * arr.itemsize
        arr.frombytes(body[at:end])
        at = end
    if at != len(body) or (count and not (min(advances) >= 0 and max(advances) < 100
                                          and math.isfinite(sum(advances)))):
        return None
    chars = list(map(chr, codes))
    return psname, dict(zip(chars, advances)), dict(zip(chars, glyphs))


@functools.lru_cache(maxsize=64)
def _read_face(path: str, mtime_ns: int, index: int = 0) -> tuple[str, dict, dict]:
    """(PostScript name, char -> advance in em, char -> glyph id), from a per-user cache when
    the file is unchanged: decoding a GBK face's cmap and hmtx costs ~0.15 s, the cache
    ~5 ms."""
    cache = _cache_file(path, mtime_ns, Path(path).stat().st_size, index)
    try:
        value = _unpack_metrics(cache.read_bytes())
        if value is not None:
            return value
    except (OSError, ValueError):
        pass
    value = _decode_face(path, index)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(_pack_metrics(*value))
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only home is fine: the metrics were decoded anyway
    return value


def _decode_face(path: str, index: int = 0) -> tuple[str, dict, dict]:
    from fontTools.ttLib import TTFont, TTLibError
    try:
        font = TTFont(path, lazy=True, fontNumber=index)
        if "glyf" not in font:
            raise FontError(f"{path}: not a TrueType-outline font (banmian embeds glyf fonts only)")
        upm = font["head"].unitsPerEm
        hmtx = font["hmtx"].metrics
        psname = font["name"].getDebugName(6) or Path(path).stem
        # Basic Multilingual Plane only: text is embedded as UTF-16 code units
        # (render/fontembed.py), so a character beyond it counts as one no face has
        cmap = {cp: g for cp, g in font.getBestCmap().items() if cp <= 0xFFFF}
        order = {name: i for i, name in enumerate(font.getGlyphOrder())}
        widths = {chr(cp): hmtx[g][0] / upm for cp, g in cmap.items()}
        gids = {chr(cp): order[g] for cp, g in cmap.items()}
        font.close()
    except (TTLibError, OSError, KeyError) as exc:
        raise FontError(f"{path}: cannot read font: {exc}") from exc
    return psname, widths, gids


def load_face(key: str, path: Path, index: int = 0) -> FontFace:
    if not path.is_file():
        raise FontError(f"font file not found: {path}")
    psname, widths, gids = _read_face(str(path), path.stat().st_mtime_ns, index)
    return FontFace(key, path, psname, widths, index, gids)


class FontRegistry:
    """Faces and chains from a fonts.yaml; pass one registry through a build."""

    def __init__(self, config: Path | None = None):
        config = config or FONTS_DIR / "fonts.yaml"
        try:
            data = yaml.safe_load(config.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise FontError(f"{config}: cannot read font configuration: {exc}") from exc
        self.config = config
        self.faces: dict[str, FontFace] = {}
        names: dict[str, str] = {}
        try:
            faces, chains = dict(data["faces"]), dict(data["chains"])
        except (TypeError, KeyError) as exc:
            raise FontError(f"{config}: needs 'faces' and 'chains' mappings") from exc
        for key, spec in faces.items():
            # every face is a file beside the configuration (fonts/): never one found on the
            # machine, whose presence would change the output from machine to machine
            if not isinstance(spec, dict) or set(spec) - {"file", "index"} or "file" not in spec:
                raise FontError(f"{config}: face '{key}' must name only its 'file' in {config.parent} "
                                "(and an 'index' in a collection)")
            name = Path(str(spec["file"]))
            if name.is_absolute() or ".." in name.parts:
                raise FontError(f"{config}: face '{key}' must be a file in {config.parent}")
            path = config.parent.resolve() / name
            face = load_face(key, path, int(spec.get("index", 0)))
            # two faces with one PostScript name cannot be told apart in a PDF's font list
            if face.psname in names:
                raise FontError(f"{face.path}: PostScript name {face.psname} is also used by "
                                f"face '{names[face.psname]}'")
            names[face.psname] = key
            self.faces[key] = face
        self.chains: dict[str, tuple[FontFace, ...]] = {}
        for role, keys in chains.items():
            missing = [k for k in keys if k not in self.faces]
            if missing:
                raise FontError(f"{config}: chain '{role}' names unknown faces {missing}")
            self.chains[role] = tuple(self.faces[k] for k in keys)
        self._resolved: dict[tuple[str, str], FontFace | None] = {}

    def chain(self, role: str) -> tuple[FontFace, ...]:
        try:
            return self.chains[role]
        except KeyError:
            raise FontError(f"no font chain for role '{role}'") from None

    def resolve(self, char: str, role: str) -> FontFace | None:
        """The first face of the role's chain that has `char`, or None."""
        key = (role, char)
        try:
            return self._resolved[key]
        except KeyError:
            pass
        face = next((f for f in self.chain(role) if char in f.widths), None)
        self._resolved[key] = face
        return face

    def missing(self, text: str, role: str) -> list[str]:
        """Characters of `text` (in order, once each) that no face of the chain has."""
        out: list[str] = []
        for ch in dict.fromkeys(text):
            if ch not in "\n" and self.resolve(ch, role) is None:
                out.append(ch)
        return out

    def coverage(self, text: str, role: str) -> float:
        chars = set(text)
        return 1.0 if not chars else 1 - len(self.missing(text, role)) / len(chars)


def codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"
