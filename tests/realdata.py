"""Where the real public data sets live: ``../shared/realdata`` beside the repository (CI has it).

Tests that read them call :func:`realdata` and skip, with the reason, when the folder is absent.
``TKISEQ_REALDATA`` points elsewhere (a checkout whose parent has no ``shared/``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def realdata_root() -> Path:
    """The folder that holds the real data sets (it may not exist)."""
    return Path(os.environ.get("TKISEQ_REALDATA", ROOT.parent / "shared" / "realdata"))


def realdata(name: str) -> Path:
    """The real data set ``name`` (``bt474_variants``, ``allsorts_counts``...), or skip."""
    path = realdata_root() / name
    if not path.is_dir():
        pytest.skip(f"real data set {name} is not at {path} (shared/realdata beside the repo)")
    return path
