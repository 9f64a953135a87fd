"""``tkiseq variants call``: allele counts at exonic sites from a BAM, or a user's VCF taken in
(split and left-aligned) instead."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.errors import InputError
from tkiseq.stage_options import option
from tkiseq.variants.call import call_bam
from tkiseq.variants.counts import CallParams as Params
from tkiseq.variants.user_vcf import call_from_vcf

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for the calls"


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The sample's BAM with the annotation (exons, splice regions), or its own VCF."""

    sample: str = option(help="sample name: the output files' stem")
    bam: Path | None = option(None, help="coordinate-sorted, indexed BAM")
    vcf: Path | None = option(None, help="user VCF entry point (split + left-aligned)")
    fasta: Path = option(help="genome FASTA")
    annotation: Path | None = option(
        None, help="annotation bundle: exons + splice regions (with --bam)"
    )


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write ``<sample>.calls.vcf.gz`` (and its index) into ``outdir``."""
    if inputs.vcf is not None:
        call_from_vcf(inputs.sample, inputs.vcf, inputs.fasta, outdir, bam=inputs.bam)
    elif inputs.bam is None or inputs.annotation is None:
        raise InputError("--bam", "variants call needs --bam and --annotation, or --vcf")
    else:
        call_bam(
            inputs.sample,
            inputs.bam,
            inputs.fasta,
            inputs.annotation,
            outdir,
            threads=params.threads,
            params=params,
        )
