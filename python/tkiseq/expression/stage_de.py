"""``tkiseq de``: differential expression against one phenotype, with outlier flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.expression import de
from tkiseq.expression.de import DeParams as Params
from tkiseq.stage_options import option

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the table and plots"


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The counts and the phenotype table."""

    counts: tuple[Path, ...] = option(
        nargs="+",
        help="cohort.h5ad, counts.tsv/.csv, featureCounts output or *.ReadsPerGene.out.tab",
    )
    phenotypes: Path = option(help="phenotypes.csv")


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write ``de_<phenotype>.tsv`` and its plots into ``outdir``."""
    de.run(list(inputs.counts), inputs.phenotypes, params, outdir)
