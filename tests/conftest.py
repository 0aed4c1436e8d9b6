"""Shared fixtures: the repository's paths and one build of the sample edition."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "editions" / "qinghe-ribao"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def registry():
    from layout.fonts import FontRegistry
    return FontRegistry()


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    """The sample edition built once for the whole session."""
    from layout.build import build_edition
    out = tmp_path_factory.mktemp("sample-out")
    result = build_edition(SAMPLE, out)
    assert result.ok, [str(p) for p in result.problems.errors]
    return result


@pytest.fixture
def edition_copy(tmp_path):
    """A writable copy of an edition folder: edition_copy('mini') or edition_copy(SAMPLE)."""
    def make(source) -> Path:
        src = Path(source) if Path(source).is_absolute() else FIXTURES / source
        dst = tmp_path / src.name
        shutil.copytree(src, dst)
        return dst
    return make
