"""What a prepared reference was made from: each source file's path, size and sha256.

The STAR index and the annotation bundle record their FASTA and GTF this way, so a later run
reuses them only while the files are the same (a path alone says nothing about content).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=16)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a file, once per run for a given size and mtime (a FASTA is gigabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def file_identity(path: Path) -> dict[str, object]:
    """Path, size and sha256 of a source file, as manifests record them."""
    path = Path(path).resolve()
    stat = path.stat()
    return {
        "path": str(path),
        "size": stat.st_size,
        "sha256": _sha256(str(path), stat.st_size, stat.st_mtime_ns),
    }


def same_source(recorded: object, path: Path) -> bool:
    """Whether ``path`` has the size and sha256 a manifest recorded (size first: cheap)."""
    if not isinstance(recorded, dict) or not Path(path).is_file():
        return False
    if recorded.get("size") != Path(path).stat().st_size:
        return False
    return recorded.get("sha256") == file_identity(path)["sha256"]
