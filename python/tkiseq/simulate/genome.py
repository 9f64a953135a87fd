"""Lay the gene models out on human-named contigs and write ``genome.fa``.

Positions are carried as signed global coordinates (``strand * (offset + pos)``), so any template
(mRNA, pre-mRNA, fusion) knows, base by base, where it came from in the genome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pysam

from tkiseq.simulate.catalog import CHRM_LENGTH, CONTIG_ORDER, GENES, SPECIAL_GAPS, GeneSpec
from tkiseq.simulate.dna import random_seq, revcomp
from tkiseq.simulate.genes import INTRON_GC, LocalGene, build_genes
from tkiseq.subtypes import arms

N_REPEATS = 4
REPEAT_LENGTH = 300


@dataclass
class Transcript:
    """A mature transcript with its genomic origin per base (``gpos``, signed global)."""

    transcript_id: str
    name: str
    gene: str
    transcript_type: str
    exons: list[tuple[int, int]]  # genomic 1-based inclusive, in transcription order
    seq: np.ndarray
    gpos: np.ndarray
    cds: tuple[int, int] | None  # mRNA [start, end), stop codon included

    def exon_ends(self) -> np.ndarray:
        """mRNA index just past each exon."""
        return np.cumsum([b - a + 1 for a, b in self.exons])

    def exon_number(self, index: int) -> int:
        """1-based number of the exon holding mRNA base ``index``."""
        return int(np.searchsorted(self.exon_ends(), index, side="right")) + 1


@dataclass
class Gene:
    """A placed gene: genomic span, transcripts (canonical first) and its pre-mRNA."""

    name: str
    gene_id: str
    chrom: str
    strand: str
    start: int
    end: int
    gene_type: str
    local: LocalGene
    transcripts: list[Transcript] = field(default_factory=list)
    premrna_gpos: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass
class Genome:
    """Contig sequences, their offsets in the global coordinate, and the placed genes."""

    contigs: dict[str, np.ndarray]
    offsets: dict[str, int]
    genes: dict[str, Gene]

    def locate(self, signed: int) -> tuple[str, int, str]:
        """Signed global coordinate -> (chrom, 1-based pos, strand)."""
        g = abs(int(signed))
        for chrom, off in self.offsets.items():
            if off < g <= off + len(self.contigs[chrom]):
                return chrom, g - off, "+" if signed > 0 else "-"
        raise ValueError(f"no contig holds global position {signed}")

    def base(self, chrom: str, pos: int) -> str:
        """Reference base at a 1-based position."""
        return chr(self.contigs[chrom][pos - 1])


def _place(gene: LocalGene, chrom: str, start: int) -> Gene:
    """Give a local gene model genomic coordinates starting at ``start`` (1-based)."""
    strand = gene.spec.strand
    end = start + len(gene.seq) - 1
    return Gene(gene.spec.name, "", chrom, strand, start, end, gene.spec.gene_type, gene)


def _local_to_genomic(g: Gene, local: np.ndarray) -> np.ndarray:
    return g.start + local if g.strand == "+" else g.end - local


def _finish(genome: Genome, counter: dict[str, int]) -> None:
    """Assign IDs and build transcripts (sequence + signed global positions) for every gene."""
    for gene in genome.genes.values():
        counter["gene"] += 1
        gene.gene_id = f"ENSG99{counter['gene']:09d}.1"
        sign = 1 if gene.strand == "+" else -1
        off = genome.offsets[gene.chrom]
        span = np.arange(len(gene.local.seq))
        gene.premrna_gpos = sign * (off + _local_to_genomic(gene, span))
        for j, lt in enumerate(gene.local.transcripts):
            counter["transcript"] += 1
            exons = []
            for i in lt.exons:
                a, b = gene.local.exons[i]
                ga, gb = _local_to_genomic(gene, np.array([a, b - 1]))
                exons.append((int(min(ga, gb)), int(max(ga, gb))))
            local = gene.local.mrna_to_local(lt)
            ttype = "protein_coding" if lt.cds else gene.gene_type
            gene.transcripts.append(
                Transcript(
                    f"ENST99{counter['transcript']:09d}.1",
                    f"{gene.name}-{201 + j}",
                    gene.name,
                    ttype,
                    exons,
                    gene.local.mrna(lt),
                    sign * (off + _local_to_genomic(gene, local)),
                    lt.cds,
                )
            )


def _centromere_gap(p_end: int, extent: int, fraction: float) -> int:
    """Length of a gap inserted after the last p-arm gene (ending at ``p_end``) of a contig
    whose genes end at ``extent`` so that ``fraction`` of the new extent falls inside it, at
    least 50 kb from either arm's genes: the arm boundary ``tkiseq subtypes`` assumes for a
    miniature assembly (its genes' extent scaled like GRCh38)."""
    need = max(p_end / fraction - extent, (fraction * extent - p_end) / (1 - fraction), 0.0)
    return int(need) + 50_000


JUNCTION_HOMOLOGY = 8  # bases of ABL1 exon 2 repeated after the GT of BCR intron 14


def _junction_homology(local: dict[str, LocalGene]) -> None:
    """Make BCR intron 14 continue (after its GT donor) like ABL1 exon 2 from its third base,
    the micro-homology of real fusion junctions: a read of the e14a2 transcript whose ABL1
    part is too short for a chimeric alignment is extended into the BCR intron instead of
    clipped, and its first two ABL1 bases become mismatches at the intron's first two bases
    (issue 13's BCR splice_donor_variant artefact)."""
    bcr, abl1 = local["BCR"], local["ABL1"]
    intron = bcr.exons[bcr.transcripts[0].exons[13]][1]
    exon2 = abl1.exons[abl1.transcripts[0].exons[1]][0]
    n = JUNCTION_HOMOLOGY
    bcr.seq[intron + 2 : intron + 2 + n] = abl1.seq[exon2 + 2 : exon2 + 2 + n]


def build_genome(
    rng: np.random.Generator,
    specs: tuple[GeneSpec, ...] = GENES,
    centromeres: bool = False,
    junction_homology: bool = False,
) -> Genome:
    """Draw repeats, gene models and intergenic sequence; place genes in real relative order.

    With ``centromeres``, a gap between each chromosome's p- and q-arm genes puts the arm
    boundary where the RNA karyotype looks for it (see ``_centromere_gap``); with
    ``junction_homology``, BCR intron 14 starts like ABL1 exon 2 (``_junction_homology``).
    """
    repeats = [random_seq(rng, REPEAT_LENGTH, INTRON_GC) for _ in range(N_REPEATS)]
    local = build_genes(rng, specs, repeats)
    if junction_homology:
        _junction_homology(local)
    cen = arms.centromeres() if centromeres else None
    contigs: dict[str, np.ndarray] = {}
    offsets: dict[str, int] = {}
    placed: dict[str, Gene] = {}
    total, n_gaps = 0, 0
    for chrom in CONTIG_ORDER:
        on_chrom = sorted((s for s in specs if s.chrom == chrom), key=lambda s: s.mb)
        if not on_chrom:
            continue
        offsets[chrom] = total
        if chrom == "chrM":
            seq = random_seq(rng, CHRM_LENGTH, 0.44)
            for s in on_chrom:
                assert s.mt_range is not None
                seq[s.mt_range[0] - 1 : s.mt_range[1]] = local[s.name].seq
                placed[s.name] = _place(local[s.name], chrom, s.mt_range[0])
        else:
            pieces, pos, prev = [], 1, ""
            p_arm: tuple[int, int] | None = None  # (pieces so far, end of the last p gene)
            for s in [*on_chrom, None]:  # type: ignore[assignment]  # None: the last gap
                gap = SPECIAL_GAPS.get((prev, s.name if s else ""), int(rng.integers(5000, 20001)))
                inter = random_seq(rng, gap, INTRON_GC)
                if n_gaps % 3 == 0 and gap > 2 * REPEAT_LENGTH:
                    at = int(rng.integers(0, gap - REPEAT_LENGTH))
                    inter[at : at + REPEAT_LENGTH] = repeats[(n_gaps // 3) % N_REPEATS]
                n_gaps += 1
                pieces.append(inter)
                pos += gap
                if s is None:
                    break
                g = local[s.name]
                pieces.append(g.seq if s.strand == "+" else revcomp(g.seq))
                placed[s.name] = _place(g, chrom, pos)
                pos += len(g.seq)
                prev = s.name
                if cen is not None and s.mb * 1e6 < _midpoint(cen, chrom):
                    p_arm = (len(pieces), pos - 1)
            if cen is not None:
                pieces = _insert_centromere(rng, pieces, p_arm, on_chrom, placed, cen, chrom)
            seq = np.concatenate(pieces)
        contigs[chrom] = seq
        total += len(seq)
    genome = Genome(contigs, offsets, placed)  # contig order, then position
    _finish(genome, {"gene": 0, "transcript": 0})
    return genome


def _midpoint(cen, chrom: str) -> float:
    return (cen.loc[chrom, "centromere_start"] + cen.loc[chrom, "centromere_end"]) / 2


def _insert_centromere(rng, pieces, p_arm, on_chrom, placed, cen, chrom: str) -> list:
    """Pieces with the centromere gap after the p-arm genes; q-arm genes shifted along."""
    at, p_end = p_arm if p_arm is not None else (1, 0)
    q_genes = [placed[s.name] for s in on_chrom if placed[s.name].start > p_end]
    extent = max(placed[s.name].end for s in on_chrom)
    fraction = _midpoint(cen, chrom) / cen.loc[chrom, "length"]
    gap = _centromere_gap(p_end, extent, fraction)
    for g in q_genes:
        g.start += gap
        g.end += gap
    return [*pieces[:at], random_seq(rng, gap, INTRON_GC), *pieces[at:]]


def write_fasta(genome: Genome, path: Path) -> None:
    """FASTA with 60-column lines, plus the ``.fai`` index."""
    with open(path, "wb") as fh:
        for chrom, seq in genome.contigs.items():
            fh.write(f">{chrom}\n".encode())
            n = len(seq)
            full = n // 60 * 60
            block = np.concatenate(
                [seq[:full].reshape(-1, 60), np.full((full // 60, 1), ord("\n"), np.uint8)], axis=1
            )
            fh.write(block.tobytes())
            if n > full:
                fh.write(seq[full:].tobytes() + b"\n")
    pysam.faidx(str(path))
