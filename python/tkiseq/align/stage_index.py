"""``tkiseq star-index``: the STAR genome index, built once per reference."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.align.star import IndexParams as Params
from tkiseq.align.star import build_index
from tkiseq.stage_options import option

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "the index folder to create"


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The genome and its gene models (STAR's splice junction database)."""

    fasta: Path = option(help="genome FASTA")
    gtf: Path = option(help="gene annotation GTF")


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Build the index in ``outdir``."""
    build_index(
        inputs.fasta, inputs.gtf, outdir, threads=params.threads, read_length=params.read_length
    )
