"""Issue 14, layout changes at alignment: a BAM row realigned single-end, or realigned
without reads whose mate it lacks, is warned about instead of passing silently."""

from __future__ import annotations

import logging
from pathlib import Path

import pysam
import pytest

from tkiseq.align.fastq import count_records
from tkiseq.align.star import bam_to_fastq

SEQ = "ACGTTGCAAGCTTGCAACGT"


def write_bam(path: Path, pairs: int, orphans: int, singles: int) -> Path:
    """Unaligned reads: ``pairs`` complete pairs, ``orphans`` read 1s whose mate is missing,
    and ``singles`` unpaired reads."""
    header = {"HD": {"VN": "1.6", "SO": "unsorted"}, "SQ": [{"SN": "chr1", "LN": 1000}]}
    with pysam.AlignmentFile(str(path), "wb", header=header) as bam:

        def read(name: str, flag: int) -> None:
            r = pysam.AlignedSegment(bam.header)
            r.query_name, r.flag, r.query_sequence = name, flag, SEQ
            r.query_qualities = pysam.qualitystring_to_array("I" * len(SEQ))
            bam.write(r)

        for i in range(pairs):
            read(f"p{i}", 0x1 | 0x4 | 0x8 | 0x40)
            read(f"p{i}", 0x1 | 0x4 | 0x8 | 0x80)
        for i in range(orphans):
            read(f"o{i}", 0x1 | 0x4 | 0x8 | 0x40)
        for i in range(singles):
            read(f"s{i}", 0x4)
    return path


def test_paired_bam_realigned_as_pairs_and_left_out_reads_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bam = write_bam(tmp_path / "in.bam", pairs=5, orphans=2, singles=1)
    work = tmp_path / "work"
    work.mkdir()
    with caplog.at_level(logging.WARNING):
        reads = bam_to_fastq(bam, work, threads=1)
    assert [count_records(p) for p in reads] == [5, 5]
    assert caplog.messages == [
        f"{bam}: 3 read(s) without their mate (or unpaired among pairs) left out of the"
        " realignment; the BAM may have been filtered"
    ]


def test_single_end_bam_is_a_layout_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bam = write_bam(tmp_path / "in.bam", pairs=0, orphans=0, singles=4)
    work = tmp_path / "work"
    work.mkdir()
    with caplog.at_level(logging.WARNING):
        reads = bam_to_fastq(bam, work, threads=1)
    assert [count_records(p) for p in reads] == [4]
    assert caplog.messages == [
        f"{bam} holds single-end reads: realigned single-end, so its fusions get no"
        " spanning-pair support"
    ]


def test_complete_paired_bam_gives_no_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bam = write_bam(tmp_path / "in.bam", pairs=3, orphans=0, singles=0)
    work = tmp_path / "work"
    work.mkdir()
    with caplog.at_level(logging.WARNING):
        assert len(bam_to_fastq(bam, work, threads=1)) == 2
    assert caplog.messages == []
