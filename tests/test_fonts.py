"""The font registry: shipped faces, coverage, fallback chains, missing glyphs."""
from __future__ import annotations

import hashlib
import shutil
import struct

import pytest

from layout.fonts import FONTS_DIR, FontError, FontRegistry, codepoint


def test_every_shipped_face_has_its_own_postscript_name(registry):
    names = [f.psname for f in registry.faces.values()]
    assert len(names) == len(set(names)) == 4
    assert all(n.startswith("Banmian") for n in names), "shipped files are renamed (OFL RFN, Noto trademark)"


def test_the_body_face_covers_gbk_names_outside_gb2312(registry):
    for ch in "镕喆堃赟":
        assert registry.resolve(ch, "body").key == "song"


def test_a_headline_chain_falls_back_for_rare_characters(registry):
    # the 黑体 subset is GB2312 only; 镕 comes from the next face of the chain
    assert registry.resolve("中", "hei").key == "hei"
    assert registry.resolve("镕", "hei").key == "song"


def test_metrics_come_from_the_font_files(registry):
    song = registry.faces["song"]
    assert song.advance("中") == 1.0
    assert 0.2 < song.advance("i") < 0.4, "Latin is proportional, not ½ em"
    assert registry.faces["kai"].advance("“") < 0.5, "the Kai face has proportional quotes"


def test_coverage_and_missing_characters_are_answered(registry):
    assert registry.missing("中文𪚥", "body") == ["𪚥"]
    assert registry.coverage("中文", "body") == 1.0
    assert codepoint("𪚥") == "U+2A6A5"


def test_a_missing_font_file_is_a_clear_error(tmp_path):
    shutil.copy(FONTS_DIR / "fonts.yaml", tmp_path / "fonts.yaml")
    with pytest.raises(FontError, match="font file not found"):
        FontRegistry(tmp_path / "fonts.yaml")


def test_a_postscript_name_clash_is_refused(tmp_path):
    for f in FONTS_DIR.glob("*.ttf"):
        (tmp_path / f.name).symlink_to(f)
    (tmp_path / "fonts.yaml").write_text(
        "faces:\n  a: {file: BanmianHei-Bold.ttf}\n  b: {file: BanmianHei-Bold.ttf}\nchains:\n  body: [a, b]\n")
    with pytest.raises(FontError, match="PostScript name"):
        FontRegistry(tmp_path / "fonts.yaml")


def test_converted_glyphs_keep_their_side_bearings():
    """fonts.md trap: after CFF→TrueType the hmtx lsb must equal the glyph's xMin,
    or renderers draw the outline shifted."""
    from fontTools.ttLib import TTFont
    font = TTFont(FONTS_DIR / "BanmianSong-Regular.ttf", lazy=True)
    glyf, hmtx, cmap = font["glyf"], font["hmtx"], font.getBestCmap()
    for ch in "中国新闻，。“”ABCxyz123":
        g = glyf[cmap[ord(ch)]]
        assert hmtx[cmap[ord(ch)]][1] == g.xMin, ch


def test_only_shipped_faces_are_used_so_output_never_depends_on_the_machine(tmp_path):
    """A face found on the machine (an absolute path) would make two machines' builds
    differ: the configuration refuses it, and the shipped one names only fonts/ files."""
    import yaml
    shipped = yaml.safe_load((FONTS_DIR / "fonts.yaml").read_text(encoding="utf-8"))
    assert all(set(spec) <= {"file", "index"} for spec in shipped["faces"].values())
    assert all((FONTS_DIR / spec["file"]).is_file() for spec in shipped["faces"].values())
    for f in FONTS_DIR.glob("*.ttf"):
        (tmp_path / f.name).symlink_to(f)
    for face in ("{path: /usr/share/fonts/truetype/arphic/uming.ttc, optional: true}",
                 "{file: ../../usr/share/fonts/x.ttf}"):
        (tmp_path / "fonts.yaml").write_text(
            f"faces:\n  song: {{file: BanmianSong-Regular.ttf}}\n  extra: {face}\nchains:\n  body: [song, extra]\n")
        with pytest.raises(FontError):
            FontRegistry(tmp_path / "fonts.yaml")


def test_a_damaged_metrics_cache_in_the_users_folder_is_decoded_again(tmp_path, monkeypatch):
    from layout import fonts
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = FONTS_DIR / "BanmianHei-Bold.ttf"
    st = path.stat()
    good = fonts._read_face.__wrapped__(str(path), st.st_mtime_ns)
    cache = fonts._cache_file(str(path), st.st_mtime_ns, st.st_size)
    packed = cache.read_bytes()
    assert fonts._read_face.__wrapped__(str(path), st.st_mtime_ns) == good     # read back from the cache
    flipped = bytearray(packed)
    flipped[-5] ^= 0xFF                                                       # one glyph id damaged
    forged_head = fonts._METRICS + bytes(32) + packed[len(fonts._METRICS) + 32:]
    for damage in [packed[:-1], bytes(flipped), forged_head, b"", b'["X", {"\xe4": 1}, {}]', packed + b"\0"]:
        cache.write_bytes(damage)
        assert fonts._read_face.__wrapped__(str(path), st.st_mtime_ns) == good
    # a file with a matching digest but advances out of range is still refused
    body = packed[len(fonts._METRICS) + 32:]
    count_at = 2 + int.from_bytes(body[:2], "little")
    count = int.from_bytes(body[count_at:count_at + 4], "little")
    widths_at = count_at + 4 + 4 * count
    bad = body[:widths_at] + struct.pack("<d", -1.0) + body[widths_at + 8:]
    cache.write_bytes(fonts._METRICS + hashlib.sha256(bad).digest() + bad)
    assert fonts._unpack_metrics(cache.read_bytes()) is None


def test_metrics_of_characters_beyond_the_bmp_are_cached_too():
    """A face a newsroom adds may cover CJK Extension B (U+20000…): 𠀀 and 𪚥 keep their code
    points, advances and glyphs through the cache (two bytes a code point could not)."""
    from layout import fonts
    widths = {"中": 1.0, "\U00020000": 1.0, "\U0002A6A5": 0.5}
    gids = {"中": 7, "\U00020000": 70000, "\U0002A6A5": 9}
    assert fonts._unpack_metrics(fonts._pack_metrics("Face-Regular", widths, gids)) == ("Face-Regular", widths, gids)


def test_a_wheel_carries_the_shipped_fonts_and_draws_with_them_outside_the_source_tree(tmp_path):
    """`pip install .` (not -e) puts banmian where there is no fonts/ beside it: the wheel
    carries the shipped fonts as layout/_fonts, and the registry finds them there."""
    import subprocess
    import sys
    import zipfile
    root = FONTS_DIR.parent
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
                   check=True, cwd=tmp_path, capture_output=True, timeout=600)
    wheel = next(tmp_path.glob("banmian-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        z.extractall(tmp_path / "site")
    shipped = {p.name for p in FONTS_DIR.iterdir() if p.suffix == ".ttf"} | {"fonts.yaml", "OFL.txt"}
    assert {f"layout/_fonts/{name}" for name in shipped} <= names
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "from layout.fonts import FONTS_DIR, FontRegistry\n"
            "print(FONTS_DIR); print(sorted(f.path.name for f in FontRegistry().faces.values()))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "site")], cwd=tmp_path, check=True,
                         capture_output=True, text=True, timeout=60).stdout.splitlines()
    assert out[0] == str(tmp_path / "site" / "layout" / "_fonts")
    assert out[1] == str(sorted(p.name for p in FONTS_DIR.glob("*.ttf")))
