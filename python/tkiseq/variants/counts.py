"""Allele depths counted read by read from the BAM, with RNA-aware evidence rules.

Used for user VCFs without FORMAT/AD and to recount the pileup's candidates (bcftools' indel
AD undercounts reads that carry the indel). Reads: no duplicates, secondary or QC-failed
reads, mapping quality >= 20 (STAR: unique); substitutions need base quality >= 20.

Where a read's bases are not evidence (for either allele), and why:

- within ``EDGE`` (5) bases of a plain end of the alignment: the aligner extends ends with
  mismatches rather than open a gap or a junction it cannot see;
- within ``PAD`` (8) bases of a soft clip, or of a splice junction (N) that is not an
  annotated intron: the read continued elsewhere (another exon, a fusion partner) and the
  aligner chose where to cut. STAR places a short overhang at a nearby wrong acceptor or
  soft-clips it, so the few intronic or shifted bases next to the cut mismatch the genome
  in read after read, which is a recurrent artefact with 3+ alt reads, not a variant.
  Annotated junctions are not cuts of this kind: their bases keep counting, so variants at
  exon boundaries keep their spliced reads. Without an annotation (user VCFs) junctions
  are not checked;
- in a block shorter than ``OVERHANG`` (10) between a junction and an end of the alignment
  (a short overhang: its placement is a guess).

Reads are walked by their CIGAR from ``fetch`` rather than through the pileup engine, which
rebuilds every column from the first overlapping read and dominated the run time.
"""

from __future__ import annotations

from pathlib import Path

import pysam

from tkiseq.errors import InputError

MIN_MAPQ = 20
MIN_BASEQ = 20
EDGE = 5
PAD = 8
OVERHANG = 10
SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400  # unmapped, secondary, QC fail, duplicate

Intron = tuple[int, int]  # 0-based half-open reference span of an N operation
Cut = str | Intron  # "end", "clip" or the intron at a segment's boundary
_INS, _DEL, _SKIP, _SOFT = 1, 2, 3, 4
_ALIGNED = frozenset({0, 7, 8})
_CLIPS = frozenset({_SOFT, 5})  # soft and hard clips


def locate(cigar: list[tuple[int, int]], start: int, site: int) -> tuple[int, int] | None:
    """(query position, indel length right after it: + insertion, - deletion) of 0-based
    ``site``; None when the read has no base there."""
    r, q = start, 0
    for i, (op, n) in enumerate(cigar):
        if op in _ALIGNED:
            if r <= site < r + n:
                nxt = cigar[i + 1] if site == r + n - 1 and i + 1 < len(cigar) else (0, 0)
                return q + site - r, {_INS: nxt[1], _DEL: -nxt[1]}.get(nxt[0], 0)
            r, q = r + n, q + n
        elif op in (_DEL, _SKIP):
            if r <= site < r + n:
                return None
            r += n
        elif op in (_INS, _SOFT):
            q += n
    return None


def segment(cigar: list[tuple[int, int]], start: int, site: int) -> tuple[int, int, Cut, Cut]:
    """Reference span [start, end) of the alignment piece holding ``site`` between two cuts
    (junctions or alignment ends), and what those cuts are."""
    r, seg_start = start, start
    left: Cut = "clip" if cigar[0][0] in _CLIPS else "end"
    for op, n in cigar:
        if op == _SKIP:
            if site < r:
                return seg_start, r, left, (r, r + n)
            left, r, seg_start = (r, r + n), r + n, r + n
        elif op in _ALIGNED or op == _DEL:
            r += n
    return seg_start, r, left, "clip" if cigar[-1][0] in _CLIPS else "end"


def pad(cut: Cut, introns: frozenset[Intron] | None) -> int:
    """Bases next to ``cut`` that are not evidence (module docstring)."""
    if cut == "end":
        return EDGE
    if cut == "clip" or (introns is not None and cut not in introns):
        return PAD
    return 0


def read_at(
    aln: pysam.AlignedSegment, site: int, introns: frozenset[Intron] | None
) -> tuple[int, int] | None:
    """``locate`` for a read whose base at ``site`` is evidence, else None."""
    cigar = aln.cigartuples
    found = locate(cigar, aln.reference_start, site)
    if found is None:
        return None
    start, end, left, right = segment(cigar, aln.reference_start, site)
    if site - start < pad(left, introns) or end - 1 - site < pad(right, introns):
        return None
    overhang = isinstance(left, tuple) != isinstance(right, tuple) and end - start < OVERHANG
    return None if overhang else found


def count_alleles(
    bam: pysam.AlignmentFile,
    chrom: str,
    pos: int,
    ref: str,
    alt: str,
    introns: frozenset[Intron] | None = None,
) -> tuple[int, int]:
    """(ref reads, alt reads) of a split, left-aligned allele at 1-based ``pos``."""
    ref_n = alt_n = 0
    site = pos - 1
    indel = len(alt) - len(ref)
    for aln in bam.fetch(chrom, site, site + 1):
        if aln.flag & SKIP_FLAGS or aln.mapping_quality < MIN_MAPQ:
            continue
        found = read_at(aln, site, introns)
        if found is None:
            continue
        q, read_indel = found
        seq = aln.query_sequence
        if indel == 0:
            quals = aln.query_qualities
            if quals is not None and quals[q] < MIN_BASEQ:
                continue
            base = seq[q : q + len(alt)]
            alt_n += base == alt
            ref_n += base == ref
        elif read_indel == indel and (indel < 0 or seq[q : q + len(alt)] == alt):
            alt_n += 1
        elif read_indel == 0:
            ref_n += 1
    return ref_n, alt_n


def add_allele_depths(
    vcf: Path,
    bam: Path,
    fasta: Path,
    out: Path,
    introns: dict[str, frozenset[Intron]] | None = None,
) -> None:
    """Copy ``vcf`` (split, normalised) to bgzipped ``out`` with FORMAT/AD counted from ``bam``.

    ``introns``: annotated introns per contig (BAM naming); None when there is no annotation.
    """
    try:
        aligned = pysam.AlignmentFile(str(bam), reference_filename=str(fasta))
    except (OSError, ValueError) as exc:
        raise InputError(bam, f"not a readable BAM ({exc})") from exc
    with aligned, pysam.VariantFile(str(vcf)) as vf:
        if "AD" not in vf.header.formats:
            vf.header.add_line(
                '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths counted from '
                'the BAM by tkiseq">'
            )
        with_dp = "DP" in vf.header.formats
        if not with_dp:
            vf.header.add_line(
                '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="ref + alt reads">'
            )
        with pysam.VariantFile(str(out), "wz", header=vf.header) as writer:
            for rec in vf:
                if rec.chrom not in aligned.references:
                    raise InputError(bam, f"no contig {rec.chrom} (used by the VCF)")
                known = None if introns is None else introns.get(rec.chrom, frozenset())
                ref_n, alt_n = count_alleles(
                    aligned, rec.chrom, rec.pos, rec.ref, rec.alts[0], known
                )
                rec.samples[0]["AD"] = (ref_n, alt_n)
                if not with_dp:
                    rec.samples[0]["DP"] = ref_n + alt_n
                writer.write(rec)
