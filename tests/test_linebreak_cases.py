"""Every case of the line-breaking case file, under the model of
cjk-typesetting.md §0 (1 em non-ASCII, ½ em ASCII, no compression, push-out).

The file is named by BANMIAN_LINEBREAK_CASES (default:
../shared/cases/cjk-linebreak.json beside the repository): other cases of the
same rules are run through this test, so the engine implements the rules,
not the answers.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from layout.text import paragraph
from layout.text.paragraph import break_text

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(os.environ.get("BANMIAN_LINEBREAK_CASES", ROOT.parent / "shared" / "cases" / "cjk-linebreak.json"))


def _cases():
    if not CASES.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no case file at {CASES}"))]
    data = json.loads(CASES.read_text(encoding="utf-8"))
    return [pytest.param(c, id=c["id"]) for c in data]


# each case is set by the Python reference and by the compiled core where it was built
CORES = ["pure", *(["compiled"] if paragraph._compiled is not None else [])]


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("case", _cases())
def test_case_breaks_into_the_expected_lines(case, core, monkeypatch):
    if core == "pure":
        monkeypatch.setattr(paragraph, "_compiled", None)
    got = break_text(case["text"], case["width_em"])
    assert got == case["expect_lines"], f"{case['id']}: {case['rule']}"
