"""Reading a tagged PDF's structure tree in tests."""
from __future__ import annotations

import pikepdf


def elements(pdf: pikepdf.Pdf, role: str | None = None) -> list:
    """The structure elements in reading order (breadth first from the Document), of `role` if given."""
    out, todo = [], [pdf.Root.StructTreeRoot.K[0]]
    while todo:
        element = todo.pop(0)
        if role is None or element.get("/S") == f"/{role}":
            out.append(element)
        todo += [k for k in element.get("/K", ()) if isinstance(k, pikepdf.Dictionary) and "/S" in k]
    return out
