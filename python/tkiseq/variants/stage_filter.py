"""``tkiseq variants filter``: the study filter (>= N alt reads, VAF > x, not in dbSNP) and the
RNA artefact rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.stage_options import option
from tkiseq.variants.filter import FilterParams as Params
from tkiseq.variants.filter import filter_calls

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the filtered calls"


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The sample's calls, dbSNP, the genome and the sample's fusions."""

    sample: str = option(help="sample name: the output files' stem")
    vcf: Path = option(help="<sample>.calls.vcf.gz")
    dbsnp: Path = option(help="dbSNP VCF (bgzip + tabix)")
    fasta: Path = option(help="genome FASTA")
    fusions: Path | None = option(
        None,
        help="<sample>.fusions.tsv: calls just past its breakpoints get FILTER fusion_junction",
    )


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write ``<sample>.all.vcf.gz`` and ``<sample>.pass.vcf.gz`` into ``outdir``."""
    filter_calls(
        inputs.sample, inputs.vcf, inputs.dbsnp, inputs.fasta, outdir, params, inputs.fusions
    )
