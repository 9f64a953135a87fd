"""User VCFs as an entry point (GATK, Mutect2, ...): split, left-align, and count allele
depths from the BAM when the VCF has no FORMAT/AD.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tkiseq.variants.counts import add_allele_depths
from tkiseq.variants.normalise import inspect_vcf, normalise_vcf
from tkiseq.variants.vcfio import bcftools, indexed_vcf_output


def call_from_vcf(
    sample: str, vcf: Path, fasta: Path, outdir: Path, bam: Path | None = None
) -> Path:
    """A user VCF as entry point: split, left-align, and count alleles from ``bam`` if no AD."""
    _, contigs, with_ad = inspect_vcf(vcf, require_ad=bam is None)
    outdir.mkdir(parents=True, exist_ok=True)
    dest = outdir / f"{sample}.calls.vcf.gz"
    with tempfile.TemporaryDirectory(dir=outdir, prefix=f".{sample}.call.") as tmp:
        norm = Path(tmp) / "norm.vcf.gz"
        normalise_vcf(vcf, contigs, fasta, norm, fmt="z")
        with indexed_vcf_output(dest) as out:
            if with_ad:
                bcftools("view", "-Oz", "-o", str(out), str(norm), path=vcf)
            else:
                add_allele_depths(norm, bam, fasta, out)  # type: ignore[arg-type]
    return dest
