"""Spanning fragments of fusions that STAR aligned as splices, counted in the BAM.

A deletion fusion such as P2RY8::CRLF2 (~300 kb) is shorter than STAR's largest mate gap,
so a fragment with one mate in each partner is aligned as an ordinary pair with a long gap:
it is in neither ``Chimeric.out.junction`` nor ``SJ.out.tab``. Such a pair supports the
fusion when one mate lies wholly on the 5' partner's side of the junction and the other on
the 3' partner's side. Counted like STAR counts junction reads (duplicates included), so
split and spanning support stay comparable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq.errors import InputError
from tkiseq.fusions.annotation import Annotation
from tkiseq.genome.contigs import harmonise

_SKIP = 0x4 | 0x8 | 0x100 | 0x200 | 0x800  # unmapped, mate unmapped, secondary, QC fail, suppl.


def spliced_spanning_pairs(cands: pd.DataFrame, bam: Path, ann: Annotation) -> np.ndarray:
    """Per candidate row, read pairs across its junction (0 unless it is a spliced one)."""
    import pysam

    counts = np.zeros(len(cands), dtype=np.int64)
    rows = [
        i
        for i, (source, c5, c3) in enumerate(
            zip(cands["source"], cands["chrom5"], cands["chrom3"], strict=True)
        )
        if "spliced" in source and c5 == c3
    ]
    if not rows:
        return counts
    try:
        handle = pysam.AlignmentFile(str(bam), "rb")
    except (OSError, ValueError) as exc:
        raise InputError(
            bam, f"unreadable BAM ({exc})", hint="give the sample's sorted BAM"
        ) from exc
    with handle:
        if not handle.has_index():
            raise InputError(bam, "BAM has no index (.bai)", hint="samtools index it")
        contigs = harmonise(sorted({cands.at[i, "chrom5"] for i in rows}), handle.references)
        for i in rows:
            chrom = contigs.get(cands.at[i, "chrom5"])
            if chrom is not None:
                counts[i] = _count(handle, chrom, cands.iloc[i], ann)
    return counts


def _count(handle, chrom: str, c: pd.Series, ann: Annotation) -> int:
    """Pairs with the left mate wholly left of the junction and the right mate wholly right.

    On '+' the 5' partner is on the left (junction between pos5 and pos3); on '-' it is the
    3' partner (junction between pos3 and pos5). The left mate's gene bounds the search.
    """
    g5, g3 = ann.genes[c["gene5_id"]], ann.genes[c["gene3_id"]]
    if c["strand5"] == "+":
        left_gene, right_gene, lower, upper = g5, g3, int(c["pos5"]), int(c["pos3"])
    else:
        left_gene, right_gene, lower, upper = g3, g5, int(c["pos3"]), int(c["pos5"])
    if lower >= upper:
        return 0
    n = 0
    for read in handle.fetch(chrom, max(0, left_gene.start - 1), lower):
        if read.flag & _SKIP or read.next_reference_name != chrom:
            continue
        mate_start = read.next_reference_start + 1
        if read.reference_end <= lower and upper <= mate_start <= right_gene.end:
            n += 1
    return n
