"""Helpers of the robustness tests: editing a copy of an edition, and running the CLI the
way a careless or hostile user would — in a process capped at 4 GiB of memory (and a
generous CPU limit, a guard against hangs, not a speed target)."""
from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

MEMORY_CAP = 4 * 1024 ** 3
CPU_GUARD = 300   # seconds of CPU: only a run that never ends reaches it


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_GUARD, CPU_GUARD))


def banmian(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    """`banmian ARGS` in a capped process; its exit code, stdout and stderr."""
    return subprocess.run([sys.executable, "-m", "layout", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, preexec_fn=_cap, timeout=CPU_GUARD * 2)


def failed_cleanly(proc: subprocess.CompletedProcess, code: int = 1) -> list[str]:
    """Assert the run ended with `code`, no traceback and no sign of the caps; return its
    `file:line: field: error: message` lines."""
    assert proc.returncode == code, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr, proc.stderr[-2000:]
    assert "could not run" not in proc.stderr or code == 2, proc.stderr[-2000:]
    return [ln for ln in proc.stderr.splitlines() if ": error: " in ln or ln.startswith("error: ")]
