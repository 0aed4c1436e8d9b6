"""Packaging beyond pyproject.toml: the optional compiled build of the line-breaking core.

`pip install .` (or -e .) installs pure Python, on any machine. With BANMIAN_MYPYC=1 and
mypy installed, a wheel built without isolation compiles layout/text with mypyc:

    BANMIAN_MYPYC=1 pip wheel --no-deps --no-build-isolation -w dist .

The compiled modules give byte-identical output (`python -m bench.compiled` builds one,
checks that, and measures it). Not for an editable install: compiled modules beside the
sources would shadow them. Either wheel carries the shipped fonts (layout/_fonts).
"""
import os

from setuptools import find_packages, setup

COMPILED = ["layout/text/classes.py", "layout/text/breaks.py", "layout/text/paragraph.py"]

ext_modules = []
if os.environ.get("BANMIAN_MYPYC") == "1":
    from mypyc.build import mypycify  # mypy's compiler: the core is typed for it (mypy --strict)

    ext_modules = mypycify(["--follow-imports=silent", *COMPILED], opt_level="3")

# The shipped fonts travel in a wheel as layout/_fonts (fonts.py looks there when there is
# no fonts/ beside the package): an installed banmian draws with them, never the machine's.
setup(ext_modules=ext_modules,
      packages=[*find_packages(include=["layout*"]), "layout._fonts"],
      package_dir={"layout._fonts": "fonts"},
      package_data={"layout": ["templates/*.yaml", "site/templates/*.html", "site/static/*"],
                    "layout._fonts": ["*.ttf", "fonts.yaml", "OFL.txt", "README.md"]})
