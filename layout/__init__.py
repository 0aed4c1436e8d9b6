"""banmian 版面: Chinese newspaper editions from YAML and plain text to print-ready PDF.

The flow: load (edition/) → typeset (text/) → compose (compose/) → layout
tree (tree.py) → render (render/) → QA (qa/). The public API: `build_edition`
and `load_edition` (imported when first used, so that importing one module of
the package does not import the whole pipeline).
"""
__version__ = "0.1.0"

__all__ = ["build_edition", "load_edition"]


def __getattr__(name: str):
    if name == "build_edition":
        from .build import build_edition
        return build_edition
    if name == "load_edition":
        from .edition.load import load_edition
        return load_edition
    raise AttributeError(f"module 'layout' has no attribute {name!r}")
