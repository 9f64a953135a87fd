"""FASTQ integrity: a truncated or mismatched file must stop the sample, not shrink it.

STAR reads gzipped files through ``gzip -cd`` and does not see gzip's error on a truncated
file, so the check runs beside it and its verdict decides whether the alignment is kept.
Plain (uncompressed) FASTQ is accepted too; compression is told by the gzip magic bytes,
not the file name.
"""

from __future__ import annotations

import gzip
import itertools
import re
import threading
import zlib
from concurrent.futures import CancelledError
from pathlib import Path
from typing import BinaryIO

from tkiseq.errors import InputError

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
MATE_RECORDS = 10_000  # records whose names are compared: a shuffled R2 differs in the first
MATE_SUFFIX = re.compile(rb"[/._]([12])$")  # READ/1, SRR1.7.1 (fastq-dump --readids), READ_1


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


def read_name(header: bytes) -> bytes:
    """``@NAME/1 1:N:0:ACGT`` -> ``NAME/1``: the comment after the first space is dropped."""
    return header[1:].split(maxsplit=1)[0] if header.strip() else b""


def same_fragment(name_1: bytes, name_2: bytes) -> bool:
    """Whether two read names are mates: equal, or equal but for a /1 /2 (.1 .2, _1 _2) end."""
    if name_1 == name_2:
        return True
    m1, m2 = MATE_SUFFIX.search(name_1), MATE_SUFFIX.search(name_2)
    if m1 is None or m2 is None:
        return False
    return m1[1] == b"1" and m2[1] == b"2" and name_1[: m1.start()] == name_2[: m2.start()]


def check_mate_names(fastq_1: Path, fastq_2: Path, records: int = MATE_RECORDS) -> None:
    """Refuse mates whose first ``records`` read names disagree (R2 of another run, or sorted
    otherwise): STAR would pair them silently, and nothing would align as pairs."""
    try:
        with open_reads(fastq_1) as one, open_reads(fastq_2) as two:
            heads_1 = itertools.islice(one, 0, 4 * records, 4)
            heads_2 = itertools.islice(two, 0, 4 * records, 4)
            for n, (h1, h2) in enumerate(zip(heads_1, heads_2, strict=False), start=1):
                name_1, name_2 = read_name(h1), read_name(h2)
                if not same_fragment(name_1, name_2):
                    raise InputError(
                        fastq_2,
                        f"line {4 * n - 3}: read {name_2.decode(errors='replace')!r} "
                        f"is not the mate of {name_1.decode(errors='replace')!r}, record {n} of "
                        f"{fastq_1}",
                        hint="mates must be in the same order; give the R2 file of this R1",
                    )
    except (EOFError, gzip.BadGzipFile, zlib.error):
        return  # a damaged file: count_records names the problem


def is_empty(path: Path) -> bool:
    """True for a missing file or a (gzipped) file without content."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    with open_reads(path) as fh:
        return not fh.read(1)
