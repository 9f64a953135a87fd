"""The align task's pipe (STAR | fixmate | sort | markdup): what a step's failure says, and
the duplicate-marking steps on a BAM of known duplicates."""

from __future__ import annotations

import sys
from pathlib import Path

import pysam
import pytest

from tkiseq.align.star import duplicate_marking, run_pipe, samtools_command
from tkiseq.errors import ToolError


def sh(script: str) -> list[str]:
    return ["sh", "-c", script]


def test_pipe_passes_data_through(tmp_path: Path) -> None:
    run_pipe(
        [
            (sh("printf 'a\\nb\\n'"), "first", tmp_path / "1.log"),
            (sh("tr a-z A-Z"), "second", tmp_path / "2.log"),
        ]
    )
    assert (tmp_path / "2.log").read_text() == "A\nB\n"


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("echo truncated input >&2; exit 3", "cat > /dev/null; echo EOF early >&2; exit 1",
         r"first failed \(exit 3\): truncated input"),  # upstream first: it explains the rest
        ("printf x", "cat > /dev/null; echo bad record >&2; exit 2",
         r"second failed \(exit 2\): bad record"),
    ],
)  # fmt: skip
def test_first_failing_step_is_named(tmp_path: Path, first: str, second: str, message: str):
    with pytest.raises(ToolError, match=message):
        run_pipe(
            [(sh(first), "first", tmp_path / "1.log"), (sh(second), "second", tmp_path / "2.log")]
        )


def test_samtools_runs_with_this_interpreter() -> None:
    assert samtools_command("view")[:3] == [sys.executable, "-m", "tkiseq.align.samtools_cli"]


def test_duplicate_marking_flags_the_second_copy_of_a_pair(tmp_path: Path) -> None:
    """Two pairs at the same positions and a third elsewhere, name-grouped as STAR writes
    them: one of the two is flagged duplicate, the BAM is sorted and indexed."""
    header = {"HD": {"VN": "1.6", "SO": "unsorted"}, "SQ": [{"SN": "chr1", "LN": 10_000}]}
    unsorted = tmp_path / "star.bam"
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
        for name, start, quality in (("p1", 1000, 30), ("p2", 1000, 35), ("p3", 5000, 30)):
            for first in (True, False):
                a = pysam.AlignedSegment(out.header)
                a.query_name, a.reference_id, a.mapping_quality = name, 0, 255
                a.reference_start = start if first else start + 200
                a.next_reference_id, a.next_reference_start = 0, start + 200 if first else start
                a.flag = 0x1 | 0x2 | (0x40 | 0x20 if first else 0x80 | 0x10)
                a.cigarstring, a.template_length = "50M", 250 if first else -250
                a.query_sequence = "A" * 50
                a.query_qualities = pysam.qualitystring_to_array(chr(quality + 33) * 50)
                out.write(a)
    bam = tmp_path / "out.bam"
    feed = samtools_command("view", "-u", str(unsorted))
    chain = [feed, *duplicate_marking(bam, tmp_path / "md.txt", tmp_path, 1)]
    run_pipe([(c, c[3], tmp_path / f"{i}.log") for i, c in enumerate(chain)])
    with pysam.AlignmentFile(str(bam)) as af:
        assert af.check_index()
        reads = list(af)
    assert [r.reference_start for r in reads] == sorted(r.reference_start for r in reads)
    flagged = {r.query_name for r in reads if r.is_duplicate}
    assert flagged == {"p1"}  # the lower base qualities of the two copies
    assert "DUPLICATE PAIR: 2" in (tmp_path / "md.txt").read_text()
