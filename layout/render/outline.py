"""The reader edition's outline (bookmarks, PDF 32000-1 §12.3.3): a page — "01 要闻" —
then each article it lists, at the top left of its block ("（续）" after the headline of a
continuation). The page entries stay open, so a reader sees the whole edition's list.

Written as PDF text into the reader edition's incremental update (`tagged.add_structure`):
reportlab formats each entry through its generic objects, encoding the titles character by
character — ~14 ms of the ~40 ms reportlab took for 64 pages' 433 entries.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..tree import EditionTree
from .pdf import page_geometry, text_string


@dataclass(frozen=True)
class Bookmark:
    title: str
    page: int                               # index of the page in the edition
    at: tuple[float, float] | None = None   # (left, top) on the page; None: the whole page
    kids: tuple[Bookmark, ...] = ()


def bookmarks(tree: EditionTree) -> list[Bookmark]:
    out = []
    for index, page in enumerate(tree.pages):
        off = page_geometry(page)[0]
        kids = tuple(Bookmark(entry.headline + ("（续）" if entry.part > 1 else ""), index,
                              (off + entry.box.x, off + page.height - entry.box.y + 4))
                     for entry in page.articles)
        out.append(Bookmark(f"{page.label} {page.section}", index, None, kids))
    return out


def outline_objects(entries: Sequence[Bookmark], page_nums: list[int], first: int) -> tuple[list[bytes], int]:
    """The outline's objects as PDF text, numbered from `first` (its root first), and the
    root's number; `page_nums`: each page's object number."""
    objects: list[bytes] = []

    def number(level, at: int) -> list[int]:
        """Object numbers for the entries of `level` from `at`, each followed by its kids'
        (depth first)."""
        nums, n = [], at
        for entry in level:
            nums.append(n)
            n += 1 + _count_all(entry.kids)
        return nums

    def write(level, parent: int, at: int) -> None:
        nums = number(level, at)
        for i, (entry, num) in enumerate(zip(level, nums)):
            page = page_nums[entry.page]
            dest = f"[{page} 0 R/Fit]" if entry.at is None else \
                f"[{page} 0 R/XYZ {entry.at[0]:.4f} {entry.at[1]:.4f} 0]"
            links = f"/Parent {parent} 0 R"
            if i:
                links += f"/Prev {nums[i - 1]} 0 R"
            if i + 1 < len(nums):
                links += f"/Next {nums[i + 1]} 0 R"
            if entry.kids:
                # open: the kids' count is positive (§12.3.3, table 153)
                kid_nums = number(entry.kids, num + 1)
                links += f"/First {kid_nums[0]} 0 R/Last {kid_nums[-1]} 0 R/Count {_count_all(entry.kids)}"
            objects.append(f"<</Title{text_string(entry.title)}{links}/Dest{dest}>>".encode("ascii"))
            write(entry.kids, num, num + 1)

    top = number(entries, first + 1)
    if not top:
        return [], 0
    objects.append(f"<</Type/Outlines/First {top[0]} 0 R/Last {top[-1]} 0 R/Count {_count_all(entries)}>>"
                   .encode("ascii"))
    write(entries, first, first + 1)
    return objects, first


def _count_all(entries) -> int:
    """Entries and all their kids: every one is shown, the page entries being open."""
    return sum(1 + _count_all(e.kids) for e in entries)
