"""``tkiseq align``: one sample's STAR alignment with chimeric output, BAM and gene counts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.align.star import align_sample
from tkiseq.stage_options import option, positive_int

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the sample's files"


@dataclass(frozen=True)
class Params:
    """The library and how STAR runs."""

    strandedness: str = option(
        "auto",
        choices=("auto", "unstranded", "forward", "reverse"),
        help="library strandedness; auto: inferred from the gene counts",
    )
    threads: int = option(1, type=positive_int, help="STAR and samtools threads")
    star_args: str = option("", help="extra STAR options, appended last (they win)")


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The sample's reads (FASTQ files, or a BAM to realign) and the index."""

    sample: str = option(help="sample name: the output files' stem")
    fastq_1: Path | None = option(None, exclusive="reads", help="read 1 (.fastq.gz)")
    bam: Path | None = option(None, exclusive="reads", help="realign the reads of an existing BAM")
    fastq_2: Path | None = option(None, help="read 2 (.fastq.gz); none for single-end")
    star_index: Path = option(help="STAR index folder")


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Align the sample into ``outdir``."""
    align_sample(
        inputs.sample,
        inputs.fastq_1,
        inputs.fastq_2,
        inputs.star_index,
        outdir,
        strandedness=params.strandedness,
        threads=params.threads,
        extra_args=params.star_args,
        bam=inputs.bam,
    )
