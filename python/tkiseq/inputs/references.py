"""Reference files and their indexes, checked by ``validate`` before any alignment.

Each of these used to fail only in the stage that first opened it, after minutes of
alignment (a dbSNP without its tabix index after 47 s on the tiny dataset). Each check is
cheap: headers, first records and the presence of index files, not a full read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pysam

from tkiseq.errors import InputError


@dataclass(frozen=True)
class References:
    """The reference files of one run (any may be absent when a stage does not need it)."""

    fasta: Path | None = None
    gtf: Path | None = None
    dbsnp: Path | None = None
    gene_sets: Sequence[Path] = field(default_factory=tuple)
    subtype_reference: Path | None = None  # labelled .h5ad (tkiseq subtypes)
    karyotype_reference: Path | None = None  # known-diploid .h5ad (tkiseq subtypes)
    subtype_centroids: Path | None = None  # centroid table TSV (tkiseq subtypes)


def check_references(refs: References) -> None:
    """Raise the first problem as a one-line InputError; make a missing FASTA ``.fai``."""
    if refs.fasta is not None:
        check_fasta(refs.fasta)
    if refs.gtf is not None:
        check_gtf(refs.gtf)
    if refs.dbsnp is not None:
        check_dbsnp(refs.dbsnp)
    for gmt in refs.gene_sets:
        check_gene_sets(gmt)
    if refs.subtype_reference is not None:
        _require_file(refs.subtype_reference, "--subtype-reference")
    if refs.karyotype_reference is not None:
        _require_file(refs.karyotype_reference, "--karyotype-reference")
    if refs.subtype_centroids is not None:
        _require_file(refs.subtype_centroids, "--subtype-centroids")


def _require_file(path: Path, flag: str) -> None:
    if not path.exists():
        raise InputError(path, f"file not found (given as {flag})")
    if not path.is_file():
        raise InputError(path, f"found a folder; expected a file (given as {flag})")


def check_fasta(fasta: Path) -> None:
    """The FASTA opens with its ``.fai`` (made beside it if missing, as samtools would)."""
    _require_file(fasta, "--fasta")
    with fasta.open("rb") as fh:
        head = fh.read(2)
    if head[:1] != b">" and head != b"\x1f\x8b":
        raise InputError(fasta, f"starts with {head[:1]!r}; expected '>' (FASTA header)", line=1)
    fai = Path(f"{fasta}.fai")
    if not fai.exists() and not os.access(fasta.parent, os.W_OK):
        raise InputError(
            fasta,
            f"no index ({fai.name}) beside it, and its folder is not writable to make one",
            hint=f"run 'samtools faidx {fasta}' where you can write, or copy the FASTA"
            " to a writable folder",
        )
    try:
        with pysam.FastaFile(str(fasta)) as fa:
            if not fa.references:
                raise InputError(fasta, "no sequences", hint="is this a FASTA file?")
    except (OSError, ValueError) as exc:
        raise InputError(
            fasta, f"not a readable FASTA ({exc})", hint="a .gz FASTA must be bgzip-compressed"
        ) from None


def check_gtf(gtf: Path) -> None:
    """The GTF exists; ``tkiseq prepare``, the run's first task, reads it and reports a bad
    row by line and column."""
    _require_file(gtf, "--gtf")


def check_dbsnp(dbsnp: Path) -> None:
    """dbSNP opens as the filter stage opens it: bgzipped (complete), with a tabix or CSI
    index beside it."""
    from tkiseq.variants.dbsnp import Dbsnp

    _require_file(dbsnp, "--dbsnp")
    Dbsnp(dbsnp).close()


def check_gene_sets(gmt: Path) -> None:
    """A GMT file: name, description and genes separated by tabs on every line."""
    from tkiseq.enrichment.gsea import read_gmt

    _require_file(gmt, "--gene-sets")
    read_gmt(gmt)


def check_bam(bam: Path, sheet: Path, line: int) -> None:
    """A samplesheet BAM opens and has a header. No index is needed: BAM rows are realigned
    from their reads (collated by name), never read by region."""
    try:
        with pysam.AlignmentFile(str(bam), "rb", check_sq=False):
            pass
    except (OSError, ValueError) as exc:
        raise InputError(
            sheet, f"{bam} is not a readable BAM ({exc})", line=line, column="'bam'"
        ) from None
