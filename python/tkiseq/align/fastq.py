"""FASTQ integrity: a truncated or mismatched file must stop the sample, not shrink it.

STAR reads gzipped files through ``gzip -cd`` and does not see gzip's error on a truncated
file, so the check runs beside it and its verdict decides whether the alignment is kept.
Plain (uncompressed) FASTQ is accepted too; compression is told by the gzip magic bytes,
not the file name.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from concurrent.futures import CancelledError
from pathlib import Path
from typing import BinaryIO

from tkiseq.errors import InputError

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    """True if ``path`` starts with the gzip magic bytes."""
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_reads(path: Path) -> BinaryIO:
    """A FASTQ opened for binary reading, decompressed if it is gzipped."""
    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")  # type: ignore[return-value]


def count_records(path: Path, stop: threading.Event | None = None) -> int:
    """Number of FASTQ records; the whole stream is read so truncation is caught.

    ``stop`` set (the alignment beside it was interrupted) ends the count early with
    CancelledError, so an interrupted sample does not wait for its whole FASTQ to be read.
    """
    if not path.exists():
        raise InputError(path, "file not found")
    lines = 0
    try:
        with open_reads(path) as fh:
            head = fh.read(CHUNK)
            if head and not head.startswith(b"@"):
                raise InputError(
                    path, f"line 1 starts with {head[:1]!r}; expected '@' (FASTQ header)"
                )
            chunk = head
            while chunk:
                if stop is not None and stop.is_set():
                    raise CancelledError
                lines += chunk.count(b"\n")
                last = chunk
                chunk = fh.read(CHUNK)
    except EOFError:
        raise InputError(
            path,
            "truncated gzip stream (ends before the end-of-stream marker)",
            hint="the file is incomplete: copy or download it again",
        ) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(path, f"not a valid gzip file ({exc})") from None
    if lines and not last.endswith(b"\n"):
        lines += 1
    if lines % 4:
        raise InputError(path, f"{lines} lines, not a multiple of 4; expected 4-line records")
    return lines // 4


def check_pair(paths: list[Path], stop: threading.Event | None = None) -> int:
    """Check every file of a sample; mates must hold the same number of records."""
    counts = [count_records(p, stop) for p in paths]
    if len(set(counts)) > 1:
        raise InputError(
            paths[1],
            f"{counts[1]} records but {paths[0].name} has {counts[0]}; mates must pair up",
        )
    return counts[0]


def is_empty(path: Path) -> bool:
    """True for a missing file or a (gzipped) file without content."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    with open_reads(path) as fh:
        return not fh.read(1)
