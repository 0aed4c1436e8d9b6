"""The build cache is never trusted blindly.

It lives in OUT/<slug>/.cache, a folder anyone may copy, share or edit: an
entry that is damaged, truncated, renamed, forged or made by someone else is
detected and made again — it never reaches a PDF; nothing read back can run
code (no pickle); and pruning never deletes anything outside OUT.
"""
from __future__ import annotations

import ast
import hashlib
import os
from pathlib import Path

import pytest

from layout.build import build_edition
from layout.cache import BuildCache
from layout.codec import CodecError, decode, encode
from layout.problems import Problems

from .conftest import ROOT

PRODUCTS = ["mini.pdf", "layout.json", "print/01.pdf", "print/02.pdf"]


def products(out_dir: Path) -> dict[str, bytes]:
    return {rel: (out_dir / rel).read_bytes() for rel in PRODUCTS}


def entries(out_dir: Path) -> list[Path]:
    return sorted(p for p in (out_dir / ".cache").rglob("*") if p.is_file())


@pytest.fixture
def built(edition_copy, tmp_path):
    """A mini edition built once into OUT, and a clean build's products to compare with."""
    folder = edition_copy("mini")
    first = build_edition(folder, tmp_path / "out")
    assert first.ok
    return folder, tmp_path / "out", products(first.out_dir)


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "empty", "header only"])
def test_a_damaged_cache_entry_is_rejected_and_made_again(built, damage):
    folder, out, clean = built
    for path in entries(out / "mini"):
        data = path.read_bytes()
        if damage == "flip a byte":
            data = data[:-10] + bytes([data[-10] ^ 0x20]) + data[-9:]
        elif damage == "truncate":
            data = data[: len(data) // 2]
        elif damage == "empty":
            data = b""
        else:
            data = data[: data.index(b"\n") + 1]
        path.write_bytes(data)
    again = build_edition(folder, out)
    assert again.ok
    assert again.cache["hits"] == 0 and again.cache["rejected"] >= 8
    assert products(again.out_dir) == clean


def test_an_entry_moved_to_another_key_is_foreign_and_rejected(built):
    folder, out, clean = built
    cache = out / "mini" / ".cache"
    pages = sorted((cache / "pages").iterdir())
    assert len(pages) == 2
    a, b = (p.read_bytes() for p in pages)
    pages[0].write_bytes(b)            # page 2's entry under page 1's key
    pages[1].write_bytes(a)
    (reader,), (prints,) = (cache / "reader").iterdir(), (cache / "print").iterdir()
    reader.write_bytes(prints.read_bytes())   # the print digests' pack as the reader streams'
    again = build_edition(folder, out)
    assert again.cache["kinds"]["pages"] == {"hits": 0, "misses": 2}
    assert again.cache["kinds"]["reader"] == {"hits": 0, "misses": 2}
    assert again.cache["rejected"] == 3
    assert products(again.out_dir) == clean


def test_print_pages_and_the_reader_are_kept_as_digests_and_out_s_files_checked_against_them(built):
    """OUT has the print pages and the reader edition: the cache holds only their length
    and SHA-256, and a build takes OUT's file only while it still matches — a file altered,
    removed or replaced by a link since is made again."""
    folder, out, clean = built
    cache = out / "mini" / ".cache"
    (edition,) = (cache / "edition").iterdir()
    assert edition.suffix == ".digest" and edition.stat().st_size < 300
    (prints,) = (cache / "print").iterdir()          # both pages' digests, in one entry
    assert prints.suffix == ".pack" and prints.stat().st_size < 600
    again = build_edition(folder, out)
    assert again.cache["kinds"]["print"] == {"hits": 2, "misses": 0}
    assert again.cache["kinds"]["edition"] == {"hits": 1, "misses": 0}
    page1, page2, reader = (out / "mini" / rel for rel in ("print/01.pdf", "print/02.pdf", "mini.pdf"))
    data = page1.read_bytes()
    page1.write_bytes(data[:-10] + bytes([data[-10] ^ 0x20]) + data[-9:])   # the same length
    page2.unlink()
    copy = out / "elsewhere.pdf"
    copy.write_bytes(reader.read_bytes())
    reader.unlink()
    reader.symlink_to(copy)          # the very bytes, but not a file of OUT's
    again = build_edition(folder, out)
    assert again.cache["kinds"]["print"] == {"hits": 0, "misses": 2}
    assert again.cache["kinds"]["edition"] == {"hits": 0, "misses": 1}
    assert products(again.out_dir) == clean and not reader.is_symlink()


def test_a_page_entry_names_its_line_which_is_taken_from_out_s_layout_json_only_while_it_matches(built):
    """A page's layout.json line is not kept twice: its entry holds the line's digest, and
    a build takes the line from OUT's layout.json — a page whose line was altered there
    since (or is gone with the file) is composed again, not read from it."""
    folder, out, clean = built
    layout = out / "mini" / "layout.json"
    lines = layout.read_bytes().split(b"\n")[1:-2]
    for entry in (out / "mini" / ".cache" / "pages").iterdir():
        assert not any(line.rstrip(b",") in entry.read_bytes() for line in lines)
    layout.write_bytes(layout.read_bytes().replace(b'{"number":2,', b'{"number":2 ,', 1))
    again = build_edition(folder, out)
    assert again.cache["kinds"]["pages"] == {"hits": 1, "misses": 1} and again.cache["rejected"] == 0
    assert products(again.out_dir) == clean
    layout.unlink()
    again = build_edition(folder, out)
    assert again.cache["kinds"]["pages"] == {"hits": 0, "misses": 2} and products(again.out_dir) == clean


def test_a_forged_entry_with_a_fresh_hash_is_rejected_without_the_users_key(built, tmp_path, monkeypatch):
    """Someone who can write OUT cannot make an entry the build accepts: the header's MAC
    needs the key kept in the user's own cache folder."""
    import layout.cache
    folder, out, clean = built
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    layout.cache.secret.cache_clear()
    try:
        other = build_edition(folder, tmp_path / "theirs")    # entries signed with another key
        for rel in ("pages", "print", "reader"):
            for path in (tmp_path / "theirs" / "mini" / ".cache" / rel).iterdir():
                (out / "mini" / ".cache" / rel / path.name).write_bytes(path.read_bytes())
        assert other.ok
    finally:
        monkeypatch.undo()
        layout.cache.secret.cache_clear()
    again = build_edition(folder, out)
    assert again.cache["kinds"]["pages"]["hits"] == 0 and again.cache["kinds"]["print"]["hits"] == 0
    assert again.cache["rejected"] >= 4
    assert products(again.out_dir) == clean


def test_cached_objects_are_data_that_cannot_name_code():
    """codec builds only registered data classes: a payload naming anything else is an error."""
    from layout.cache import register_types
    register_types()
    for payload in [b'{"o":"system","v":["echo pwned"]}', b'{"o":"Popen","v":[["sh"]]}',
                    b'{"o":"Box","v":[1,2]}', b'{"x":1}', b'{"b":"not base64!"}', b'[1,', b'\xff\xfe']:
        with pytest.raises(CodecError):
            decode(payload)
    from layout.tree import Box
    assert decode(encode((Box(1.1, 2.0000000000000004, 3, 4), {1: frozenset("ab")}))) == \
        (Box(1.1, 2.0000000000000004, 3, 4), {1: frozenset("ab")})


def test_no_module_of_banmian_unpickles_anything():
    offenders = []
    for path in (ROOT / "layout").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] in ("pickle", "marshal", "shelve", "dill", "cloudpickle") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_a_symlinked_cache_folder_is_not_used_and_nothing_behind_it_is_deleted(edition_copy, tmp_path):
    folder = edition_copy("mini")
    precious = tmp_path / "precious"
    (precious / "print").mkdir(parents=True)
    victim = precious / "print" / ("0" * 64 + ".pdf")       # named as a cache entry would be
    victim.write_bytes(b"the only copy")
    (precious / "notes.txt").write_text("keep me")
    (tmp_path / "out" / "mini").mkdir(parents=True)
    (tmp_path / "out" / "mini" / ".cache").symlink_to(precious, target_is_directory=True)
    for clean in (False, True):
        result = build_edition(folder, tmp_path / "out", clean=clean)
        assert result.ok
        assert any(p.kind == "cache" and "symbolic link" in p.message for p in result.problems.warnings)
    assert victim.read_bytes() == b"the only copy"
    assert (precious / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in precious.rglob("*")) == ["0" * 64 + ".pdf", "notes.txt", "print"]


def test_a_symlinked_kind_folder_or_entry_is_never_followed(built, tmp_path):
    folder, out, clean = built
    outside = tmp_path / "outside"
    outside.mkdir()
    secret_file = outside / "secret.txt"
    secret_file.write_text("do not read or delete")
    cache = out / "mini" / ".cache"
    # a kind folder replaced by a link to a folder outside OUT
    for p in (cache / "print").iterdir():
        p.unlink()
    (cache / "print").rmdir()
    (cache / "print").symlink_to(outside, target_is_directory=True)
    # an entry replaced by a link to a file outside OUT
    entry = next((cache / "reader").iterdir())
    entry.unlink()
    entry.symlink_to(secret_file)
    again = build_edition(folder, out)
    assert again.ok and products(again.out_dir) == clean
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert secret_file.read_text() == "do not read or delete"
    assert not entry.exists() or not entry.is_symlink() or entry.resolve() != secret_file


def test_pruning_removes_only_files_named_as_entries(tmp_path):
    folder = tmp_path / ".cache"
    (folder / "print").mkdir(parents=True)
    ours = folder / "print" / ("a" * 64 + ".pdf")
    stale_tmp = folder / "print" / ("." + "b" * 64 + ".pdf.0123456789abcdef.banmian-tmp")  # a killed put
    theirs = folder / "print" / "README.txt"
    for p in (ours, stale_tmp, theirs):
        p.write_text("x")
    cache = BuildCache(folder)
    assert cache.prune() == 2
    assert [p.name for p in (folder / "print").iterdir()] == ["README.txt"]


def test_an_entry_file_larger_than_any_entry_is_not_read(tmp_path):
    folder = tmp_path / ".cache"
    (folder / "print").mkdir(parents=True)
    big = folder / "print" / ("c" * 64 + ".pdf")
    with open(big, "wb") as f:          # sparse: 6 GB on paper, nothing on disk
        f.truncate(6 * 1024 ** 3)
    cache = BuildCache(folder)
    assert cache.get_bytes("print", "c" * 64, ".pdf") is None
    assert cache.stats()["misses"] == 1
    os.unlink(big)


def test_records_are_kept_as_they_are_one_per_line(tmp_path):
    """A page's layout.json line and its drawing are kept raw (not escaped into a JSON
    string), one record per line, so that a build decodes only those it needs."""
    cache = BuildCache(tmp_path / ".cache")
    line = '{"number":1,"blocks":[{"text":"“引号”"}]}'.encode()
    cache.put_records("pages", "a" * 64, [line, b"[1]", b""])
    assert cache.get_records("pages", "a" * 64) == [line, b"[1]", b""]
    assert line in (tmp_path / ".cache" / "pages" / ("a" * 64 + ".json")).read_bytes()
    with pytest.raises(ValueError):
        cache.put_records("pages", "c" * 64, [b"two\nlines"])


def _page(*parts) -> bytes:
    """A page entry's second record: codec JSON of (head, kept blocks, problems, jumps)."""
    from layout.cache import register_types
    register_types()
    return encode(parts)


# a page's line, as layout.json in OUT holds it, and the digest its entry names it by
LINE = b'{"number":1}'
DIGEST = hashlib.sha256(LINE).hexdigest().encode()


def _layout(tmp_path):
    from layout.engine import PreviousLines
    (tmp_path / "layout.json").write_bytes(b'{"schema":1,"pages":[\n' + LINE + b"\n]}\n")
    return PreviousLines(tmp_path / "layout.json")


@pytest.mark.parametrize("records", [
    [DIGEST],                                  # too few records
    [DIGEST, b"not json"],                     # the page is not codec JSON
    [DIGEST, encode((1, 2, 3, 4))],            # not a page's blocks, problems and jumps
    [DIGEST, _page(1, [], Problems(), []), b"[", b"[]", b'{"t":[]}'],   # a drawing whose head is not JSON
    [DIGEST, _page(1, [], Problems(), []), b"{}", b"[]", b'{"t":[]}'],  # nor a drawing's head
])
def test_a_signed_page_entry_of_the_wrong_shape_is_a_miss_and_rejected(tmp_path, records):
    """An entry under our signature that is not what this banmian writes (another version's,
    say) is composed again, never half-read."""
    from layout.engine import _cached_page
    cache = BuildCache(tmp_path / ".cache")
    cache.put_records("pages", "d" * 64, records)
    assert _cached_page(cache, "d" * 64, True, _layout(tmp_path)) is None
    assert cache.rejected == 1 and cache.stats()["misses"] == 1


def test_a_page_entry_without_a_drawing_serves_only_builds_that_draw_nothing(tmp_path):
    from layout.engine import _cached_page
    cache = BuildCache(tmp_path / ".cache")
    cache.put_records("pages", "e" * 64, [DIGEST, _page(1, [], Problems(), [])])
    entry = _cached_page(cache, "e" * 64, False, _layout(tmp_path))
    assert (entry.line, entry.head, entry.kept, entry.problems, entry.outgoing, entry.drawing) \
        == (LINE, 1, (), (), (), None)
    assert _cached_page(cache, "e" * 64, True, _layout(tmp_path)) is None and cache.rejected == 0
    # its line gone from layout.json: a miss, not a rejection
    from layout.engine import PreviousLines
    (tmp_path / "layout.json").write_bytes(b"{}\n")
    assert _cached_page(cache, "e" * 64, False, PreviousLines(tmp_path / "layout.json")) is None
    assert cache.rejected == 0


def test_the_articles_entry_keeps_unchanged_articles_records_as_they_were(edition_copy, tmp_path):
    """One article edited: it alone is loaded (and encoded) again; the others' records are
    written back byte for byte. A signed entry with an unreadable record is rejected whole."""
    from layout.preload import CachedArticles
    folder = edition_copy("mini")
    out = build_edition(folder, tmp_path / "out").out_dir
    cache = BuildCache(out / ".cache")
    before = CachedArticles(cache, folder.resolve())
    records = {r for r, _ in before.known.values()}
    article = sorted((folder / "articles").glob("*.md"))[0]
    article.write_text(article.read_text(encoding="utf-8").replace("。", "！", 1), encoding="utf-8")
    build_edition(folder, tmp_path / "out")
    after = CachedArticles(BuildCache(out / ".cache"), folder.resolve())
    kept = {r for r, _ in after.known.values()}
    assert len(kept) == len(records) and len(kept - records) == 1
    cache = BuildCache(out / ".cache")
    cache.put_records("articles", after.key, [*kept, b"0" * 64 + b" {not codec"])
    again = CachedArticles(cache, folder.resolve())
    assert again.known == {} and cache.rejected == 1


def test_a_pack_is_its_records_and_anything_else_is_not_a_pack():
    """A pack (the pages' reader streams, their print digests) is read back record for
    record; a payload that is not one is refused whole — its entry is then rejected."""
    from layout.cache import pack, unpack
    records = {"a" * 64: b"\n\x00 binary \xff", "b" * 64: b"", "c" * 64: b"x"}
    assert unpack(pack(records)) == records and list(unpack(pack(records))) == list(records)
    assert unpack(pack({})) == {}
    for bad in [b"", b"no index", b'{"a":1}\n', b'[["k",5]]\nabc', b'[["k",1]]\nabc', b'[["k",-1]]\n',
                b'[[1,1]]\nx', b'[["k",true]]\nx', b"\xff\n"]:
        with pytest.raises(ValueError):
            unpack(bad)
