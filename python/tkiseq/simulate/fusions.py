"""Chimeric transcripts: planted fusions, the CTBS-GNG5 read-through decoy, random noise.

A chimera is the 5' partner's canonical mRNA up to the end of one exon joined to the 3' partner's
canonical mRNA from the start of another; ``junction`` is the template index of the first 3' base.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tkiseq.simulate import catalog
from tkiseq.simulate.genome import Genome, Transcript

NOISE_FLANK = 200


@dataclass
class Chimera:
    """Truth of one chimeric transcript and its template sequence."""

    gene5: str
    gene3: str
    kind: str
    exon5: int
    exon3: int
    breakpoint5: str
    breakpoint3: str
    isoform: str
    reading_frame: str
    seq: np.ndarray
    gpos: np.ndarray
    junction: int


def _breakpoint(genome: Genome, signed: int) -> str:
    chrom, pos, strand = genome.locate(signed)
    return f"{chrom}:{pos}:{strand}"


def reading_frame(t5: Transcript, cut5: int, t3: Transcript, cut3: int) -> str:
    """in-frame/frameshift when both sides are coding; '.' when the frame is undefined."""
    if not (t5.cds and t3.cds):
        return "."
    (s5, e5), (s3, e3) = t5.cds, t3.cds
    if not (s5 < cut5 <= e5 and s3 <= cut3 < e3):
        return "."
    return "in-frame" if (cut5 - s5) % 3 == (cut3 - s3) % 3 else "frameshift"


def _join(
    genome: Genome,
    t5: Transcript,
    cut5: int,
    t3: Transcript,
    cut3: int,
    kind: str,
    end3: int | None = None,
) -> Chimera:
    seq = np.concatenate([t5.seq[:cut5], t3.seq[cut3:end3]])
    gpos = np.concatenate([t5.gpos[:cut5], t3.gpos[cut3:end3]])
    return Chimera(
        t5.gene,
        t3.gene,
        kind,
        t5.exon_number(cut5 - 1),
        t3.exon_number(cut3),
        _breakpoint(genome, int(t5.gpos[cut5 - 1])),
        _breakpoint(genome, int(t3.gpos[cut3])),
        "",
        reading_frame(t5, cut5, t3, cut3),
        seq,
        gpos,
        cut5,
    )


def planned_chimera(
    genome: Genome, gene5: str, exon5: int, gene3: str, exon3: int, kind: str
) -> Chimera:
    """Exon-to-exon chimera of two canonical transcripts."""
    t5 = genome.genes[gene5].transcripts[0]
    t3 = genome.genes[gene3].transcripts[0]
    cut5 = int(t5.exon_ends()[exon5 - 1])
    cut3 = int(t3.exon_ends()[exon3 - 2]) if exon3 > 1 else 0
    chim = _join(genome, t5, cut5, t3, cut3, kind)
    if (gene5, gene3) == ("BCR", "ABL1"):
        chim.isoform = f"e{exon5}a{exon3}"
    return chim


def noise_chimeras(rng: np.random.Generator, genome: Genome, n: int) -> list[Chimera]:
    """Random junctions between exonic positions of two unrelated expressed genes."""
    excluded = {*catalog.FUSION_PARTNERS, "CTBS", "GNG5", "GAPDH", "GAPDHP1"}
    names = [
        g
        for g, gene in genome.genes.items()
        if g not in excluded
        and gene.chrom != "chrM"
        and len(gene.transcripts[0].seq) > 2 * NOISE_FLANK + 50
    ]
    out = []
    for _ in range(n):
        a, b = rng.choice(len(names), size=2, replace=False)
        t5, t3 = (genome.genes[names[int(k)]].transcripts[0] for k in (a, b))
        cut5 = int(rng.integers(NOISE_FLANK, len(t5.seq) - 10))
        cut3 = int(rng.integers(10, len(t3.seq) - NOISE_FLANK))
        chim = _join(genome, t5, cut5, t3, cut3, "noise", cut3 + NOISE_FLANK)
        chim.seq, chim.gpos = chim.seq[cut5 - NOISE_FLANK :], chim.gpos[cut5 - NOISE_FLANK :]
        chim.junction = NOISE_FLANK
        chim.reading_frame = "."
        out.append(chim)
    return out
