"""``tkiseq variants annotate``: gene, consequence, HGVS, ABL1 kinase domain and TKI flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.stage_options import ANNOTATION_HELP, NoParams, option
from tkiseq.variants.annotate import annotate_calls

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the table"
Params = NoParams


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The sample's filtered calls, the genome and the annotation bundle."""

    sample: str = option(help="sample name: the output files' stem")
    vcf: Path = option(help="<sample>.all.vcf.gz")
    fasta: Path = option(help="genome FASTA")
    annotation: Path = option(help=ANNOTATION_HELP)


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write ``<sample>.variants.tsv`` into ``outdir``."""
    annotate_calls(inputs.sample, inputs.vcf, inputs.fasta, inputs.annotation, outdir)
