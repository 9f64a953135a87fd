"""Reading frame across a fusion junction, and the BCR::ABL1 isoform name."""

from __future__ import annotations

from tkiseq.fusions.annotation import Transcript

# BCR exon -> protein (docs/science.md#fusions): e1 = p190 (minor bcr), e13/e14 = p210, e19 = p230.
BCR_PROTEIN = {1: "p190", 13: "p210", 14: "p210", 19: "p230"}


def reading_frame(tx5: Transcript | None, pos5: int, tx3: Transcript | None, pos3: int) -> str:
    """``in-frame`` / ``frameshift`` from CDS phases; ``unknown`` when either side is non-coding.

    The 5' partner contributes ``n5`` coding bases up to and including its last base; the
    3' partner's CDS resumes ``off3`` bases into its own frame. The fusion keeps the 3' frame
    when ``n5`` and ``off3`` agree modulo 3. A 5' breakpoint in the 5' UTR (e.g. P2RY8::CRLF2,
    where the 3' gene keeps its own start codon) or a 3' breakpoint outside the CDS gives no
    frame to compare, so ``unknown``.
    """
    if tx5 is None or tx3 is None:
        return "unknown"
    off5 = tx5.cds_offset(pos5)
    off3 = tx3.cds_offset(pos3)
    if off5 is None or off3 is None:
        return "unknown"
    return "in-frame" if (off5 + 1) % 3 == off3 % 3 else "frameshift"


def bcr_abl1_isoform(gene5: str, gene3: str, exon5: int | None, exon3: int | None) -> str:
    """``e13a2``-style name of a BCR::ABL1 junction ('' for other fusions or off-exon ends)."""
    if (gene5, gene3) != ("BCR", "ABL1") or exon5 is None or exon3 is None:
        return ""
    return f"e{exon5}a{exon3}"


def bcr_abl1_protein(isoform: str) -> str:
    """p190 / p210 / p230 by the BCR exon (e1a3 is a p190, e13a3 a p210); '' otherwise."""
    if not isoform:
        return ""
    return BCR_PROTEIN.get(int(isoform[1:].split("a")[0]), "")
