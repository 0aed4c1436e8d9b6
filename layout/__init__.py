"""banmian 版面: Chinese newspaper editions from YAML and plain text to print-ready PDF.

The flow: load (edition/) → typeset (text/) → compose (compose/) → layout
tree (tree.py) → render (render/) → QA (qa/). The public API:
"""
__version__ = "0.1.0"

from .build import build_edition, compose  # noqa: E402  (after __version__, which the cache keys use)
from .edition.load import load_edition  # noqa: E402

__all__ = ["build_edition", "compose", "load_edition"]
