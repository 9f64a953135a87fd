"""Samplesheet checks on the read files themselves, before any alignment.

Two mistakes pass every per-row rule and still give wrong results: the same reads given for
two samples (identical counts, both counted in DE) and a forgotten ``fastq_2`` (the sample
runs single-end and loses its fusion support). The first is refused, the second warned about.
Free space is checked against what the outputs will need, so a full disk stops the run now,
not in the middle of an alignment.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tkiseq.align.fastq import is_gzip
from tkiseq.errors import InputError
from tkiseq.inputs.samplesheet import Sample

log = logging.getLogger(__name__)

HEAD_BYTES = 1 << 20  # reads compared by size and the checksum of their first MiB
READ_COLUMNS = ("fastq_1", "fastq_2", "bam")
# Bytes written per byte of gzipped reads. Kept: the BAM (tiny dataset, BA_P01: 32.1 MB of
# BAM from 36.1 MB of FASTQ.gz, 0.9; deep BA_P01: 201 of 202 MB). Meanwhile, while a sample is
# aligned, STAR's BAM streams through duplicate marking without touching the disk, but a
# large library makes samtools sort spill its reads to temporary files, level-1 BAM as STAR
# would write it (272 MB for the deep BA_P01: 1.35), beside the final BAM it feeds.
KEPT_PER_INPUT_BYTE = 1.0
TRANSIENT_PER_INPUT_BYTE = 1.5
GZIP_RATIO = 4.0  # plain FASTQ is about four times its gzipped size


@dataclass(frozen=True)
class ReadFile:
    """One read file of the samplesheet and where it was named."""

    sample: str
    line: int
    column: str
    path: Path

    def where(self) -> str:
        return f"sample {self.sample} (line {self.line}, column '{self.column}')"


def read_files(samples: Sequence[Sample], lines: Sequence[int]) -> list[ReadFile]:
    """Every FASTQ and BAM cell, in samplesheet order."""
    return [
        ReadFile(s.sample, line, column, getattr(s, column))
        for s, line in zip(samples, lines, strict=True)
        for column in READ_COLUMNS
        if getattr(s, column) is not None
    ]


def head_checksum(path: Path) -> str:
    """SHA-256 of the first :data:`HEAD_BYTES` bytes: copies of one file agree, different
    runs differ within the first reads."""
    with path.open("rb") as fh:
        return hashlib.sha256(fh.read(HEAD_BYTES)).hexdigest()


def check_distinct_reads(sheet: Path, files: Sequence[ReadFile]) -> None:
    """Refuse a read file given twice, as the same file (path, link) or as a copy (same size
    and first MiB). Checksums are computed only for files whose size is shared."""
    by_inode: dict[tuple[int, int], ReadFile] = {}
    by_size: dict[int, list[ReadFile]] = {}
    for f in files:
        stat = f.path.stat()
        first = by_inode.setdefault((stat.st_dev, stat.st_ino), f)
        if first is not f:
            _refuse(sheet, f, first, "the same file")
        by_size.setdefault(stat.st_size, []).append(f)
    for group in by_size.values():
        if len(group) < 2:
            continue
        seen: dict[str, ReadFile] = {}
        for f in group:
            first = seen.setdefault(head_checksum(f.path), f)
            if first is not f:
                _refuse(sheet, f, first, f"a copy: same size and first {HEAD_BYTES >> 20} MiB")


def _refuse(sheet: Path, f: ReadFile, first: ReadFile, how: str) -> None:
    raise InputError(
        sheet,
        f"found the same reads as {first.where()} ({how}); expected each sample's own reads",
        line=f.line,
        column=f"'{f.column}'",
        hint="if this is deliberate, pass --allow-same-reads",
    )


_MATE_1 = re.compile(r"([._-])(R?)1([._])")


def mate_2_guess(fastq_1: Path) -> Path | None:
    """``x_R1.fastq.gz`` -> ``x_R2.fastq.gz`` (also ``_1.``, ``.R1.``) if that file exists."""
    matches = list(_MATE_1.finditer(fastq_1.name))
    if not matches:
        return None
    m = matches[-1]
    name = f"{fastq_1.name[: m.start()]}{m[1]}{m[2]}2{m[3]}{fastq_1.name[m.end() :]}"
    guess = fastq_1.with_name(name)
    return guess if guess.is_file() else None


def warn_mixed_layouts(sheet: Path, samples: Sequence[Sample], lines: Sequence[int]) -> None:
    """Warn about FASTQ samples whose layout (single- or paired-end) differs from the rest.

    Mixed cohorts are legitimate (runs from different centres), so this is a warning, not an
    error; but a single-end sample has no spanning pairs, and its fusions get less support.
    The minority layout is named; on a tie, the single-end samples.
    """
    fastq = [(s, n) for s, n in zip(samples, lines, strict=True) if s.fastq_1 is not None]
    single = [(s, n) for s, n in fastq if s.fastq_2 is None]
    paired = len(fastq) - len(single)
    if not single or not paired:
        return
    if len(single) <= paired:
        for sample, line in single:
            guess = mate_2_guess(sample.fastq_1)  # type: ignore[arg-type]
            forgotten = f"; {guess.name} exists beside fastq_1: was it forgotten?" if guess else ""
            log.warning(
                "%s: line %d: sample %s is single-end (fastq_2 empty) while %d other sample(s)"
                " are paired-end; its fusions get no spanning-pair support%s",
                sheet,
                line,
                sample.sample,
                paired,
                forgotten,
            )
    else:
        for sample, line in fastq:
            if sample.fastq_2 is not None:
                log.warning(
                    "%s: line %d: sample %s is paired-end while %d other sample(s) are"
                    " single-end; its fusion support is not comparable with theirs",
                    sheet,
                    line,
                    sample.sample,
                    len(single),
                )


def estimate_output_bytes(files: Sequence[ReadFile]) -> int:
    """Peak disk space the per-sample outputs need: every sample's kept BAM plus the
    temporaries of the largest sample (sizes as gzipped reads; plain FASTQ counts 1/4)."""
    per_sample: dict[str, float] = {}
    for f in files:
        size = f.path.stat().st_size
        gzipped = size if f.column == "bam" or is_gzip(f.path) else size / GZIP_RATIO
        per_sample[f.sample] = per_sample.get(f.sample, 0.0) + gzipped
    if not per_sample:
        return 0
    kept = KEPT_PER_INPUT_BYTE * sum(per_sample.values())
    return int(kept + TRANSIENT_PER_INPUT_BYTE * max(per_sample.values()))


def check_free_space(
    outdir: Path,
    needed: int,
    what: str = "the outputs need about {size} (BAMs as large as the compressed reads, and"
    " temporaries of the largest sample)",
    option: str = "--outdir",
) -> None:
    """Refuse to start when ``outdir``'s file system has less free space than ``needed``;
    ``what`` says what needs it (``{size}``: the amount)."""
    folder = Path(os.path.abspath(outdir))
    while not folder.exists():
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise InputError(
            folder,
            f"only {_size(free)} free; {what.format(size=_size(needed))}",
            hint=f"free space or choose another {option}",
        )


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"
