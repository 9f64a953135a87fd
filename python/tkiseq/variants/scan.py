"""Candidate alleles from one pass over a contig's reads, cheaper than a pileup.

A pileup (``bcftools mpileup``) visits every base of every read to find the few sites where
reads disagree with the genome: on a 1M-pair library that is 200M bases and most of the
caller's time (19.7 s). Here each aligned block of a read is compared with the genome as one
string comparison (in C), and only the blocks that differ are looked at base by base (4.2 s on
the same BAM); sites are then kept only where the study's rule can be met (``min_alt_reads``
reads with the same alt base), and a site's depth comes from ``samtools depth``.

Reads are the pileup's: not unmapped, secondary, QC-failed or duplicate (``SKIP_FLAGS``),
mapping quality >= ``MIN_MAPQ``; both mates counted where they overlap. A substitution's base
needs base quality >= ``MIN_BASEQ`` (then it also counts against the reference reads of its
site, as in the pileup's AD); ``N`` bases and sites where the genome is not A, C, G or T give
no allele. A gapped read marks its indel's anchor (the base before the gap); the indel itself
is left to the pileup, which realigns the reads there. Splice junctions are counted on the way
(the recount's VAF bound needs the reads with an unannotated junction near a site).

Memory stays flat in depth: reads come sorted by start, so a site before the current read's
start is complete; every ``FLUSH_READS`` reads the complete sites are decided and dropped.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pysam

from tkiseq.variants.counts import MIN_BASEQ, MIN_MAPQ, SKIP_FLAGS

FLUSH_READS = 50_000
CHUNK = 1 << 20  # genome bases fetched at once (more for a read spanning more)
_BASES = "ACGTN"
_ALIGNED = frozenset({pysam.CMATCH, pysam.CEQUAL, pysam.CDIFF})


@dataclass
class Candidates:
    """A contig's sites that can meet the study's alt-read rule (0-based, sorted).

    ``snvs``: (position, ref base, alt base, alt reads, high-quality mismatching bases of any
    alt at the site); ``anchors``: positions with >= ``MIN_GAPPED`` gapped reads;
    ``junctions``: reads per splice junction (0-based start, end of the N operation), as
    ``counts.near_cuts`` takes them."""

    snvs: list[tuple[int, str, str, int, int]] = field(default_factory=list)
    anchors: list[int] = field(default_factory=list)
    junctions: Counter[tuple[int, int]] = field(default_factory=Counter)


MIN_GAPPED = 2  # as bcftools mpileup -m: fewer gapped reads make no indel candidate


def _in(regions: list[tuple[int, int]], starts: list[int], pos: int) -> bool:
    """Whether 0-based ``pos`` lies in one of the sorted, disjoint 0-based [start, end)."""
    i = bisect.bisect_right(starts, pos) - 1
    return i >= 0 and pos < regions[i][1]


def scan_contig(
    bam: pysam.AlignmentFile,
    genome: pysam.FastaFile,
    contig: str,
    regions: list[tuple[int, int]],
    min_alt_reads: int,
) -> Candidates:
    """The candidates of ``contig`` inside ``regions`` (sorted, disjoint, 0-based half-open)."""
    found = Candidates()
    starts = [a for a, _ in regions]
    alts: Counter[int] = Counter()  # position * 8 + base code: high-quality alt reads
    gapped: Counter[int] = Counter()
    need = max(1, min_alt_reads)

    def flush(before: int) -> None:
        done = sorted(k for k in alts if k >> 3 < before)
        by_site: dict[int, list[tuple[int, int]]] = {}
        for k in done:
            by_site.setdefault(k >> 3, []).append((k & 7, alts.pop(k)))
        for pos, seen in by_site.items():
            if max(n for _, n in seen) < need or not _in(regions, starts, pos):
                continue
            ref = genome.fetch(contig, pos, pos + 1).upper()
            if ref not in ("A", "C", "G", "T"):
                continue
            mismatching = sum(n for _, n in seen)
            found.snvs.extend(
                (pos, ref, _BASES[code], n, mismatching)
                for code, n in seen
                if code < 4 and n >= need
            )
        for pos in sorted(p for p in gapped if p < before):
            if gapped.pop(pos) >= MIN_GAPPED and _in(regions, starts, pos):
                found.anchors.append(pos)

    bases, offset = "", 0  # the genome from ``offset`` on, over the reads being scanned
    for i, aln in enumerate(bam.fetch(contig)):
        if i % FLUSH_READS == 0:
            flush(aln.reference_start)
        seq = aln.query_sequence
        if aln.flag & SKIP_FLAGS or aln.mapping_quality < MIN_MAPQ or not seq:
            continue
        start, end = aln.reference_start, aln.reference_end or aln.reference_start  # mapped
        if start < offset or end > offset + len(bases):  # reads come by start: it moves on
            offset = start  # upper case: soft-masked genomes are lower-case in repeats
            bases = genome.fetch(contig, start, max(start + CHUNK, end)).upper()
        r, q, quals = start - offset, 0, None
        for op, n in aln.cigartuples or ():
            if op in _ALIGNED:
                read, ref = seq[q : q + n], bases[r : r + n]
                if read != ref:
                    if quals is None:
                        quals = aln.query_qualities
                    differ = np.frombuffer(read.encode(), np.uint8) != np.frombuffer(
                        ref.encode(), np.uint8
                    )
                    for k in differ.nonzero()[0].tolist():
                        if quals is None or quals[q + k] >= MIN_BASEQ:
                            code = _BASES.find(read[k])
                            alts[(offset + r + k) * 8 + (code if code >= 0 else 4)] += 1
                r, q = r + n, q + n
            elif op == pysam.CINS:
                gapped[offset + r - 1] += 1
                q += n
            elif op == pysam.CDEL:
                gapped[offset + r - 1] += 1
                r += n
            elif op == pysam.CREF_SKIP:
                found.junctions[offset + r, offset + r + n] += 1
                r += n
            elif op == pysam.CSOFT_CLIP:
                q += n
    flush(1 << 60)
    found.snvs.sort()
    found.anchors.sort()
    return found
