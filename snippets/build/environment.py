"""Where and with what a build ran, for the build report (date, commit, versions, CPU), and the
machine a job ran on, for the pages whose numbers are timings (:func:`machine`).

Read without importing torch or timm (their installed metadata is enough), so a warm build
stays as light as it is.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = ("torch", "timm")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def commit(root: Path) -> str:
    """The short commit hash of ``root``'s checkout, with ``+`` when it has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if head.returncode != 0:
        return "unknown"
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict:
    """What a job that has just run measured its timings on: the CPU, the torch release and the
    number of torch threads (recorded in the job's cache manifest by the worker)."""
    torch = sys.modules.get("torch")
    return {"cpu": cpu_model(), "torch": version("torch"),
            "threads": torch.get_num_threads() if torch is not None else None}


def describe(root: Path, lanes: int) -> dict[str, str]:
    versions = {name: version(name) for name in PACKAGES}
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(root),
        "python": platform.python_version(),
        **versions,
        "cpu": cpu_model(),
        "cores": str(os.cpu_count() or 1),
        "lanes": str(lanes),
    }
