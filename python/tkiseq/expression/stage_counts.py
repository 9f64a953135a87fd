"""``tkiseq counts``: the cohort count matrix and AnnData, from STAR's ReadsPerGene files or a
published count matrix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.expression.counts import CountsParams as Params
from tkiseq.expression.counts import build_cohort
from tkiseq.stage_options import ANNOTATION_HELP, option

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the cohort files"


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The counts, the annotation bundle, the phenotypes and STAR's mapping logs."""

    counts: tuple[Path, ...] = option(
        positional=True,
        nargs="+",
        help="<sample>.ReadsPerGene.out.tab files, or one count matrix: a genes x samples "
        "TSV/CSV (Ensembl IDs with or without version, or gene symbols), featureCounts output, "
        "HTSeq-count files (one per sample) or a cohort.h5ad",
    )
    annotation: Path = option(help=ANNOTATION_HELP)
    phenotypes: Path = option(help="phenotypes.valid.csv")
    samplesheet: Path | None = option(
        None,
        help="samplesheet.valid.csv: a count matrix is limited to its samples (default: all)",
    )
    log_final: tuple[Path, ...] = option(
        (),
        nargs="+",
        help="<sample>.Log.final.out files: the QC gate on the uniquely mapped share",
    )


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write ``counts.tsv``, ``cohort.h5ad`` and ``strandedness.tsv`` into ``outdir``."""
    build_cohort(
        list(inputs.counts),
        inputs.annotation,
        inputs.phenotypes,
        outdir,
        inputs.samplesheet,
        list(inputs.log_final),
        params,
    )
