"""Bring any single-sample VCF (ours, GATK, Mutect2) to one allele per record, left-aligned.

Matching against dbSNP and naming with HGVS both assume this representation. Contig names are
renamed to the FASTA's convention (``1`` -> ``chr1``) when the files differ only by that.
"""

from __future__ import annotations

from pathlib import Path

import pysam

from tkiseq.errors import InputError
from tkiseq.genome.contigs import require_shared
from tkiseq.variants.vcfio import (
    bcftools,
    check_indexed,
    check_single_sample,
    has_format,
    open_vcf,
    vcf_contigs,
)


def fasta_contigs(fasta: Path) -> list[str]:
    if not fasta.exists():
        raise InputError(fasta, "file not found")
    try:
        with pysam.FastaFile(str(fasta)) as fa:
            return list(fa.references)
    except (OSError, ValueError) as exc:
        raise InputError(
            fasta, f"not a readable FASTA ({exc})", hint="index it with samtools faidx"
        ) from exc


def inspect_vcf(vcf: Path, *, require_ad: bool) -> tuple[str, list[str], bool]:
    """Check a per-sample VCF before any work: (sample name, contigs, has FORMAT/AD)."""
    vf = open_vcf(vcf)
    try:
        sample = check_single_sample(vcf, vf)
        check_indexed(vcf)
        with_ad = has_format(vf, "AD")
        if require_ad and not with_ad:
            raise InputError(
                vcf,
                "no FORMAT/AD (allele depths), so alt reads and VAF cannot be computed",
                hint="give the BAM: `tkiseq variants call --vcf VCF --bam BAM ...` counts them",
            )
        return sample, vcf_contigs(vcf, vf), with_ad
    finally:
        vf.close()


def normalise_vcf(vcf: Path, contigs: list[str], fasta: Path, out: Path, fmt: str = "v") -> None:
    """Split multi-allelic records and left-align against ``fasta`` into ``out``.

    ``fmt`` is bcftools' output type (v: plain VCF for streaming, z: bgzipped).
    """
    mapping = require_shared(str(vcf), contigs, str(fasta), fasta_contigs(fasta))
    source = vcf
    renamed = {k: v for k, v in mapping.items() if k != v}
    if renamed:
        names = out.with_name(out.name + ".chrs.txt")
        names.write_text("".join(f"{k}\t{v}\n" for k, v in renamed.items()))
        source = out.with_name(out.name + ".renamed.bcf")
        bcftools(
            "annotate", "--rename-chrs", str(names), "-Ob", "-o", str(source), str(vcf), path=vcf
        )
    bcftools(
        "norm",
        "-m",
        "-any",
        "-f",
        str(fasta),
        "-c",
        "e",
        f"-O{fmt}",
        "-o",
        str(out),
        str(source),
        path=vcf,
    )
