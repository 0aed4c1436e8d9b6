"""banmian 版面: Chinese newspaper editions from YAML and plain text to print-ready PDF.

The flow: load (edition/) → typeset (text/) → compose (compose/) → layout
tree (tree.py) → render (render/) → QA (qa/). The public API:
"""
from .build import build_edition, compose
from .edition.load import load_edition

__all__ = ["build_edition", "compose", "load_edition"]
__version__ = "0.1.0"
