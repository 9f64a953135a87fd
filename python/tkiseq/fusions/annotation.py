"""Transcript and exon model from the annotation bundle, indexed for breakpoint look-ups.

Fusion and splice-lesion calls need more than gene spans: which exon boundary a breakpoint
sits on (exon numbers name BCR::ABL1 isoforms and IKZF1 deletions) and where the CDS runs
(reading frame). Everything is kept in plain dicts and sorted arrays so one look-up costs a
binary search, which matters for a million chimeric reads.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tkiseq.genome.bundle import Bundle, open_bundle, segments
from tkiseq.genome.contigs import harmonise
from tkiseq.genome.gtf import canonical_rank, gc_paused


@dataclass
class Gene:
    """A gene span on one strand."""

    gene_id: str
    name: str
    gene_type: str
    chrom: str
    start: int
    end: int
    strand: str


@dataclass
class Transcript:
    """Exons and CDS pieces as 1-based inclusive (start, end), in transcription order."""

    transcript_id: str
    gene_id: str
    strand: str
    exons: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, number)
    cds: list[tuple[int, int]] = field(default_factory=list)
    tags: frozenset[str] = frozenset()

    @property
    def cds_length(self) -> int:
        return sum(e - s + 1 for s, e in self.cds)

    def mrna_bases(self, pos: int, upstream: bool) -> int:
        """Exonic bases from the transcript start to ``pos`` (upstream) or from ``pos`` to the
        end, ``pos`` included; intronic positions count the exonic bases on that side."""
        total = 0
        for s, e, _ in self.exons:
            lo, hi = (s, min(e, pos)) if (self.strand == "+") == upstream else (max(s, pos), e)
            total += max(0, hi - lo + 1)
        return total

    def cds_offset(self, pos: int) -> int | None:
        """CDS bases upstream of ``pos`` (0 for the first coding base); None outside the CDS."""
        done = 0
        for s, e in self.cds:
            if s <= pos <= e:
                return done + (pos - s if self.strand == "+" else e - pos)
            done += e - s + 1
        return None


@dataclass(frozen=True)
class Site:
    """An exon boundary: the last base of an exon (donor) or the first (acceptor)."""

    gene_id: str
    transcript_id: str
    exon: int


@dataclass
class Annotation:
    """Genes, transcripts and exon-boundary indexes of one GTF."""

    genes: dict[str, Gene]
    transcripts: dict[str, Transcript]
    donors: dict[tuple[str, str, int], list[Site]]
    acceptors: dict[tuple[str, str, int], list[Site]]
    _starts: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _segments: dict[str, list[tuple[str, ...]]] = field(default_factory=dict, repr=False)
    _canonical: dict[str, Transcript] = field(default_factory=dict, repr=False)
    _by_name: dict[str, Gene] = field(default_factory=dict, repr=False)
    _vec: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        """Cut each contig at every gene start/end; each segment lists the genes covering it.

        Also pick each gene's canonical transcript (see ``_rank``).
        """
        for t in self.transcripts.values():
            best = self._canonical.get(t.gene_id)
            if best is None or _rank(t) > _rank(best):
                self._canonical[t.gene_id] = t
        for g in self.genes.values():
            self._by_name.setdefault(g.name, g)
        by_chrom: dict[str, list[Gene]] = defaultdict(list)
        for g in self.genes.values():
            by_chrom[g.chrom].append(g)
        for chrom, genes in by_chrom.items():
            cuts = sorted({g.start for g in genes} | {g.end + 1 for g in genes})
            covering: list[list[str]] = [[] for _ in cuts]
            for g in genes:
                lo = bisect.bisect_left(cuts, g.start)
                hi = bisect.bisect_left(cuts, g.end + 1)
                for i in range(lo, hi):
                    covering[i].append(g.gene_id)
            self._starts[chrom] = cuts
            self._segments[chrom] = [tuple(c) for c in covering]

    @property
    def contigs(self) -> list[str]:
        return list(self._starts)

    def in_naming_of(self, contigs: Iterable[str]) -> Annotation:
        """This annotation with contigs named as in ``contigs`` (the FASTA's, as STAR writes
        them), so fusion and splice outputs name contigs as the BAM and the variants do."""
        mapping = harmonise(self.contigs, contigs)
        if all(mapping.get(c, c) == c for c in self.contigs):
            return self
        genes = {
            gid: replace(g, chrom=mapping.get(g.chrom, g.chrom)) for gid, g in self.genes.items()
        }
        return _index(genes, self.transcripts)

    def genes_at(self, chrom: str, pos: int, strand: str) -> tuple[str, ...]:
        """IDs of genes on ``strand`` whose span holds ``pos``."""
        cuts = self._starts.get(chrom)
        if not cuts:
            return ()
        i = bisect.bisect_right(cuts, pos) - 1
        if i < 0:
            return ()
        return tuple(g for g in self._segments[chrom][i] if self.genes[g].strand == strand)

    def genes_vec(self, chroms: np.ndarray, pos: np.ndarray, strands: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`genes_at`: one gene ID per position ('' for none).

        Where genes overlap on one strand, the first listed one stands for all; this look-up
        only pre-selects reads (the exact per-breakpoint placement uses :meth:`genes_at`).
        """
        out = np.full(len(pos), "", dtype=object)
        for (chrom, strand), (cuts, ids) in self._vector_index().items():
            mask = (chroms == chrom) & (strands == strand)
            if mask.any():
                i = np.searchsorted(cuts, pos[mask], side="right") - 1
                out[mask] = np.where(i >= 0, ids[np.maximum(i, 0)], "")
        return out

    def _vector_index(self) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
        if not self._vec:
            for chrom, cuts in self._starts.items():
                for strand in ("+", "-"):
                    ids = [
                        next((g for g in seg if self.genes[g].strand == strand), "")
                        for seg in self._segments[chrom]
                    ]
                    self._vec[(chrom, strand)] = (np.array(cuts), np.array(ids, dtype=object))
        return self._vec

    def best_site(self, sites: list[Site], gene_id: str) -> Site | None:
        """The site of ``gene_id`` on its best-ranked transcript (see ``_rank``)."""
        mine = [s for s in sites if s.gene_id == gene_id]
        if not mine:
            return None
        return max(mine, key=lambda s: _rank(self.transcripts[s.transcript_id]))

    def canonical(self, gene_id: str) -> Transcript | None:
        """The gene's best-ranked transcript (see ``_rank``): exon numbers refer to it."""
        return self._canonical.get(gene_id)

    def gene_by_name(self, name: str) -> Gene | None:
        return self._by_name.get(name)


def _rank(t: Transcript) -> tuple[int, int, int, str]:
    """MANE Select / Ensembl canonical first, so exon numbers are the ones clinicians use
    (IKZF1 exons 4-7, BCR e13/e14); then the longest CDS, then the most exons."""
    return (canonical_rank(t.tags), t.cds_length, len(t.exons), t.transcript_id)


@gc_paused()
def read_annotation(bundle: Path | Bundle) -> Annotation:
    """Genes, transcripts, exons and CDS rows of an annotation bundle (``tkiseq prepare``).

    Fusions are named, and matched against the known-fusion catalogue, by gene symbol, so an
    annotation without any ``gene_name`` is an error; single genes without one keep their ID.
    Exons are numbered in transcription order, as GENCODE, Ensembl and RefSeq number them.
    """
    b = open_bundle(bundle)
    b.require_gene_names()
    g = b.genes
    columns = ("gene_id", "gene_name", "gene_type", "chrom", "start", "end", "strand")
    genes = {
        row[0]: Gene(*row)
        for row in zip(*(g[c].astype(object).tolist() for c in columns), strict=True)
    }
    tx, ex, cds = b.transcripts, b.exons, b.cds
    cds = cds[~cds["stop_codon"].to_numpy()]
    n = len(tx)
    ex_at = segments(ex["transcript"].to_numpy(), n).tolist()
    cds_at = segments(cds["transcript"].to_numpy(), n).tolist()
    ex_rows = list(zip(ex["start"].tolist(), ex["end"].tolist(), [0] * len(ex), strict=True))
    cds_rows = list(zip(cds["start"].tolist(), cds["end"].tolist(), strict=True))
    transcripts: dict[str, Transcript] = {}
    rows = zip(*(tx[c].astype(object).tolist() for c in ("transcript_id", "gene_id", "strand",
                                                          "tags")), strict=True)  # fmt: skip
    for i, (tid, gid, strand, tags) in enumerate(rows):
        transcripts[tid] = Transcript(
            tid, gid, strand, ex_rows[ex_at[i] : ex_at[i + 1]], cds_rows[cds_at[i] : cds_at[i + 1]],
            frozenset(tags.split(",")) if tags else frozenset(),
        )  # fmt: skip
    return _index(genes, transcripts)


def _index(genes: dict[str, Gene], transcripts: dict[str, Transcript]) -> Annotation:
    donors: dict[tuple[str, str, int], list[Site]] = defaultdict(list)
    acceptors: dict[tuple[str, str, int], list[Site]] = defaultdict(list)
    for tx in transcripts.values():
        reverse = tx.strand == "-"
        tx.exons.sort(key=lambda e: e[0], reverse=reverse)
        tx.cds.sort(key=lambda c: c[0], reverse=reverse)
        tx.exons = [(s, e, i) for i, (s, e, _) in enumerate(tx.exons, start=1)]
        chrom = genes[tx.gene_id].chrom
        for s, e, n in tx.exons:
            first, last = (e, s) if reverse else (s, e)
            site = Site(tx.gene_id, tx.transcript_id, n)
            donors[(chrom, tx.strand, last)].append(site)
            acceptors[(chrom, tx.strand, first)].append(site)
    return Annotation(genes, transcripts, dict(donors), dict(acceptors))
