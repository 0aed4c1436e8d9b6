"""Packaging beyond pyproject.toml: the optional compiled twins of two hot paths, and the fonts.

layout/text/_core.c is built wherever there is a C compiler and Python's headers
(`pip install .` and `pip install -e .` alike). It sets paragraphs exactly as
layout/text/paragraph.py does, to the last bit, several times as fast. Where it cannot be
built the install goes on without it (optional=True) and paragraph.py sets alone;
BANMIAN_PURE=1 makes a run ignore a built core. `python -m bench.compiled` checks that
both give byte-identical editions, and times them.
"""
from setuptools import Extension, find_packages, setup

# The shipped fonts travel in a wheel as layout/_fonts (fonts.py looks there when there is
# no fonts/ beside the package): an installed banmian draws with them, never the machine's.
setup(ext_modules=[Extension("layout.text._core", ["layout/text/_core.c"], optional=True),
                   # layout.json's lines (tree.TextLine.json_text), the same way
                   Extension("layout._treejson", ["layout/_treejson.c"], optional=True)],
      packages=[*find_packages(include=["layout*"]), "layout._fonts"],
      package_dir={"layout._fonts": "fonts"},
      package_data={"layout": ["templates/*.yaml", "site/templates/*.html", "site/static/*"],
                    "layout.text": ["_core.pyi"],
                    "layout._fonts": ["*.ttf", "fonts.yaml", "OFL.txt", "README.md"]})
