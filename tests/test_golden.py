"""The sample's pages as designed: every block's place, kind, rules and colour, every
article's placement and jump, held to golden files (tests/golden/*.json). A change
that moves anything fails here with the first differences; when the change is meant,
`python -m tests.golden.update` rewrites the files and the diff shows what moved."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden.update import summary

GOLDEN = Path(__file__).resolve().parent / "golden"


def _differences(want, got, path="") -> list[str]:
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key in sorted(set(want) | set(got)):
            out += _differences(want.get(key), got.get(key), f"{path}.{key}")
        return out
    if isinstance(want, list) and isinstance(got, list):
        out = [] if len(want) == len(got) else [f"{path}: {len(want)} items, now {len(got)}"]
        for i, (a, b) in enumerate(zip(want, got)):
            out += _differences(a, b, f"{path}[{i}]")
        return out
    if isinstance(want, float) and isinstance(got, (int, float)):
        return [] if abs(want - got) < 0.01 else [f"{path}: {want} → {got}"]
    return [] if want == got else [f"{path}: {want!r} → {got!r}"]


@pytest.mark.parametrize("number", sorted(int(p.stem[-2:]) for p in GOLDEN.glob("qinghe-ribao-*.json")))
def test_the_sample_page_is_laid_out_as_designed(sample_build, number):
    layout = json.loads((sample_build.out_dir / "layout.json").read_text(encoding="utf-8"))
    page = next(p for p in layout["pages"] if p["number"] == number)
    want = json.loads((GOLDEN / f"qinghe-ribao-{number:02d}.json").read_text(encoding="utf-8"))
    diffs = _differences(want, summary(page))
    assert not diffs, f"page {number} moved ({len(diffs)} differences; python -m tests.golden.update " \
                      f"if meant):\n" + "\n".join(diffs[:25])


def test_the_golden_comparison_sees_a_block_move_by_a_tenth_of_a_point():
    page = {"number": 1, "blocks": [{"kind": "body", "box": [10.0, 20.0, 30.0, 40.0]}]}
    moved = {"number": 1, "blocks": [{"kind": "body", "box": [10.1, 20.0, 30.0, 40.0]}]}
    assert _differences(page, moved) == [".blocks[0].box[0]: 10.0 → 10.1"]
    assert _differences(page, page) == []
