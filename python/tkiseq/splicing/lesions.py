"""Exon-skipping splice junctions that mark focal deletions (IKZF1 delta4-7 and kin).

A deletion of exons 4-7 of IKZF1 joins exon 3 to exon 8 in the mRNA (the dominant-negative
IK6 isoform); delta2-7, delta4-8 and the same kind of deletions in PAX5, ERG, CDKN2A, RB1 and
BTG1 show up the same way. STAR records such a junction in SJ.out.tab like any splice, so a
lesion is a junction from the end of exon i to the start of exon j > i + 1 of the gene's
canonical transcript that no annotated transcript contains (annotated exon skipping, e.g.
an alternative isoform, is normal biology, not a deletion). As in ScanDALL, both ends must
sit on annotated exon boundaries. The recognised IKZF1 deletions (delta4-7 = IK6, delta2-7)
are the exception: they are reported even when a transcript in the GTF has their junction
(comprehensive annotations may hold such a model), with ``annotated`` saying so. IKZF1
delta4-8 removes the last exon, so it leaves no junction inside IKZF1 to see.

``fraction`` estimates the share of the gene's transcripts carrying the lesion: lesion reads
over lesion reads plus the mean of the two wild-type junctions it replaces (exon i -> i+1,
shared donor; exon j-1 -> j, shared acceptor).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tkiseq import tables
from tkiseq.fusions.annotation import Annotation
from tkiseq.genome.contigs import harmonise
from tkiseq.stage_options import option

DEFAULT_GENES = ("IKZF1", "PAX5", "ERG", "CDKN2A", "RB1", "BTG1")
MIN_READS = 2  # one read is within the noise of aligners at novel junctions


@dataclass(frozen=True)
class LesionParams:
    """The genes whose exon-deletion junctions are reported, and the reads a junction needs."""

    genes: tuple[str, ...] = option(
        DEFAULT_GENES, help="comma-separated genes whose exon-deletion junctions are reported"
    )
    min_reads: int = option(MIN_READS, help="junction reads a lesion needs")


# (gene, donor exon, acceptor exon) of deletions recognised in B-ALL, on the MANE transcript.
RECOGNISED = frozenset({("IKZF1", 3, 8), ("IKZF1", 1, 8)})
COLUMNS = tables.columns("splice_lesions")


def _intron(first: tuple[int, int, int], second: tuple[int, int, int], strand: str) -> tuple:
    """1-based intron (start, end) between two exons given in transcription order."""
    return (first[1] + 1, second[0] - 1) if strand == "+" else (second[1] + 1, first[0] - 1)


def scan_gene(
    ann: Annotation, gene_name: str, junctions: dict[tuple[int, int], int], chrom: str
) -> list[dict[str, object]]:
    """Exon-skipping junctions of one gene with their reads and wild-type comparison."""
    gene = ann.gene_by_name(gene_name)
    if gene is None:
        return []
    tx = ann.canonical(gene.gene_id)
    if tx is None or len(tx.exons) < 3:
        return []
    annotated = {
        _intron(a, b, t.strand)
        for t in ann.transcripts_of(gene.gene_id)
        for a, b in zip(t.exons, t.exons[1:], strict=False)
    }
    exons = tx.exons
    rows = []
    for i in range(len(exons) - 2):
        for j in range(i + 2, len(exons)):
            intron = _intron(exons[i], exons[j], tx.strand)
            reads = junctions.get(intron, 0)
            donor, acceptor = exons[i][2], exons[j][2]
            known = (gene_name, donor, acceptor) in RECOGNISED
            if reads == 0 or (intron in annotated and not known):
                continue
            wt_donor = junctions.get(_intron(exons[i], exons[i + 1], tx.strand), 0)
            wt_acceptor = junctions.get(_intron(exons[j - 1], exons[j], tx.strand), 0)
            canonical = (wt_donor + wt_acceptor) / 2
            rows.append(
                {
                    "gene": gene_name,
                    "lesion": f"{gene_name}_del{donor + 1}-{acceptor - 1}",
                    "donor_exon": donor,
                    "acceptor_exon": acceptor,
                    "intron": f"{chrom}:{intron[0]}-{intron[1]}",
                    "junction_reads": reads,
                    "canonical_reads": round(canonical, 1),
                    "fraction": round(reads / (reads + canonical), 4),
                    "annotated": "yes" if intron in annotated else "no",
                }
            )
    return rows


def find_lesions(
    sample: str,
    sj: pd.DataFrame,
    ann: Annotation,
    genes: tuple[str, ...] = DEFAULT_GENES,
    min_reads: int = MIN_READS,
) -> pd.DataFrame:
    """Exon-deletion junctions with >= ``min_reads`` reads in the listed genes."""
    rows = []
    mapping = harmonise(sorted(set(sj["chrom"])), ann.contigs) if len(sj) else {}
    for name in genes:
        gene = ann.gene_by_name(name)
        if gene is None:
            continue
        strand_code = 1 if gene.strand == "+" else 2
        mine = sj[
            (sj["chrom"].map(mapping) == gene.chrom)
            & (sj["strand"].isin([0, strand_code]))
            & (sj["start"] >= gene.start)
            & (sj["end"] <= gene.end)
        ]
        reads = {
            (int(s), int(e)): int(u + m)
            for s, e, u, m in zip(
                mine["start"], mine["end"], mine["unique"], mine["multi"], strict=True
            )
        }
        rows += scan_gene(ann, name, reads, gene.chrom)
    table = pd.DataFrame(rows, columns=COLUMNS[1:])
    table = table[table["junction_reads"] >= min_reads]
    table.insert(0, "sample", sample)
    return table.sort_values(["gene", "junction_reads"], ascending=[True, False]).reset_index(
        drop=True
    )
