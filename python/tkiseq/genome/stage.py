"""``tkiseq prepare``: the GTF parsed once into the annotation bundle the stages read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.genome.bundle import prepare
from tkiseq.stage_options import NoParams, option

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "reference folder: the bundle is <outdir>/annotation"
Params = NoParams


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The GTF, and the FASTA whose contig names the bundle follows."""

    gtf: Path = option(help="gene annotation GTF (plain or .gz)")
    fasta: Path | None = option(
        None, help="genome FASTA (contig names); optional for a run from a count matrix"
    )


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write ``<outdir>/annotation``."""
    prepare(inputs.gtf, inputs.fasta, outdir)
