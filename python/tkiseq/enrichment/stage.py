"""``tkiseq gsea``: gene set enrichment (prerank) of one DE table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.enrichment import gsea
from tkiseq.enrichment.gsea import GseaParams as Params
from tkiseq.stage_options import option

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the table and plots"


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The DE table and the gene sets."""

    de: Path = option(help="de_<phenotype>.tsv")
    gene_sets: tuple[Path, ...] = option(help="comma-separated GMT files")


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write ``gsea_<phenotype>.tsv`` and its plots into ``outdir``."""
    gsea.run(inputs.de, list(inputs.gene_sets), params, outdir)
