"""Problems as data (architecture principle 5).

Loading, typesetting, composing and preflight never print and never raise for
bad input: they return `Problem`s, which the CLI prints as
`file:line: field: message` and turns into an exit code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Problem:
    severity: Severity
    kind: str            # machine-readable: "yaml", "unknown-key", "overset", "missing-glyph", …
    message: str
    file: str = ""       # path as given to the user (relative to the working directory)
    line: int = 0        # 1-based; 0 = unknown / whole file
    field: str = ""      # e.g. pages[1].articles[2].source
    page: int = 0        # page number, when the problem is on a page
    article: str = ""    # article id, when the problem is in an article

    def location(self) -> str:
        where = self.file
        if where and self.line:
            where += f":{self.line}"
        return where

    def __str__(self) -> str:
        parts = [p for p in (self.location(), self.field) if p]
        head = ": ".join(parts)
        ctx = []
        if self.page:
            ctx.append(f"page {self.page}")
        if self.article:
            ctx.append(f"article {self.article}")
        tail = f" [{', '.join(ctx)}]" if ctx else ""
        prefix = f"{head}: " if head else ""
        return f"{prefix}{self.severity.value}: {self.message}{tail}"

    def to_json(self) -> dict:
        return {"severity": self.severity.value, "kind": self.kind, "message": self.message,
                "file": self.file, "line": self.line, "field": self.field,
                "page": self.page, "article": self.article}


@dataclass
class Problems:
    """An append-only list of problems with helpers; one per run."""
    items: list[Problem] = field(default_factory=list)

    def error(self, kind: str, message: str, **where) -> None:
        self.items.append(Problem(Severity.ERROR, kind, message, **where))

    def warning(self, kind: str, message: str, **where) -> None:
        self.items.append(Problem(Severity.WARNING, kind, message, **where))

    def info(self, kind: str, message: str, **where) -> None:
        self.items.append(Problem(Severity.INFO, kind, message, **where))

    def extend(self, other: Problems | list[Problem]) -> None:
        self.items.extend(other.items if isinstance(other, Problems) else other)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity is Severity.WARNING]

    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
