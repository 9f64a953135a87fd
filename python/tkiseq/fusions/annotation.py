"""Transcript and exon model from the annotation bundle, indexed for breakpoint look-ups.

Fusion and splice-lesion calls need more than gene spans: which exon boundary a breakpoint
sits on (exon numbers name BCR::ABL1 isoforms and IKZF1 deletions) and where the CDS runs
(reading frame). Everything is kept in sorted arrays so one look-up costs a binary search,
which matters for a million chimeric reads; transcripts and exon-boundary sites are built from
the bundle's arrays only when looked up, so reading a GENCODE annotation stays well under a
second although a sample touches a few hundred of its 250,000 transcripts.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

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


@dataclass(frozen=True)
class _Arrays:
    """The bundle's transcripts (lists), exons in genome order and CDS rows without the stop
    codons (arrays); group ``i`` of exons or CDS is rows ``at[i]:at[i + 1]``."""

    ids: list[str]
    gene: list[str]
    strand: list[str]
    tags: list[str]
    canonical_rank: np.ndarray
    ex_at: np.ndarray
    ex_start: np.ndarray
    ex_end: np.ndarray
    ex_number: np.ndarray
    cds_at: np.ndarray
    cds_start: np.ndarray
    cds_end: np.ndarray

    def transcript(self, i: int) -> Transcript:
        """Transcript ``i`` with exons and CDS in transcription order."""
        a, b = self.ex_at[i], self.ex_at[i + 1]
        ex = (self.ex_start[a:b].tolist(), self.ex_end[a:b].tolist(), self.ex_number[a:b].tolist())
        exons = list(zip(*ex, strict=True))
        a, b = self.cds_at[i], self.cds_at[i + 1]
        cds = list(zip(self.cds_start[a:b].tolist(), self.cds_end[a:b].tolist(), strict=True))
        if self.strand[i] == "-":
            exons.reverse()
            cds.reverse()
        tags = self.tags[i]
        return Transcript(
            self.ids[i],
            self.gene[i],
            self.strand[i],
            exons,
            cds,
            frozenset(tags.split(",")) if tags else frozenset(),
        )


class _Transcripts(Mapping[str, Transcript]):
    """Transcript ID -> Transcript, each built on first look-up."""

    def __init__(self, arrays: _Arrays) -> None:
        self._arrays = arrays
        self._row = {t: i for i, t in enumerate(arrays.ids)}
        self._built: dict[str, Transcript] = {}

    def __getitem__(self, tid: str) -> Transcript:
        t = self._built.get(tid)
        if t is None:
            t = self._built[tid] = self._arrays.transcript(self._row[tid])
        return t

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays.ids)

    def __len__(self) -> int:
        return len(self._arrays.ids)


class _Sites(Mapping[tuple[str, str, int], list[Site]]):
    """(chrom, strand, position) -> the exon boundaries there, as a dict of lists would map
    them (transcripts in bundle order); sites are made on look-up.

    Each exon's key is one integer (contig-and-strand code << 32 | position), sorted stably,
    so a look-up is a binary search.
    """

    def __init__(self, arrays: _Arrays, chrom: list[str], pos: np.ndarray, ex_tx: np.ndarray):
        self._arrays = arrays
        self._code: dict[tuple[str, str], int] = {}
        codes = np.array(
            [
                self._code.setdefault(k, len(self._code))
                for k in zip(chrom, arrays.strand, strict=True)
            ],
            dtype=np.int64,
        )
        combined = (codes[ex_tx] << 32) | pos.astype(np.int64)
        order = np.argsort(combined, kind="stable")
        self._keys = combined[order]
        self._rows = order
        self._ex_tx = ex_tx

    def _found(self, key: tuple[str, str, int]) -> np.ndarray:
        chrom, strand, p = key
        code = self._code.get((chrom, strand))
        if code is None or not 0 <= p < 1 << 32:
            return self._rows[:0]
        value = (code << 32) | p
        lo = np.searchsorted(self._keys, value, side="left")
        hi = np.searchsorted(self._keys, value, side="right")
        return self._rows[lo:hi]

    def __contains__(self, key: object) -> bool:
        return len(self._found(key)) > 0  # type: ignore[arg-type]

    def __getitem__(self, key: tuple[str, str, int]) -> list[Site]:
        rows = self._found(key).tolist()
        if not rows:
            raise KeyError(key)
        a = self._arrays
        txs = self._ex_tx[rows].tolist()
        numbers = a.ex_number[rows].tolist()
        return [Site(a.gene[t], a.ids[t], n) for t, n in zip(txs, numbers, strict=True)]

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        names = {code: key for key, code in self._code.items()}
        for value in dict.fromkeys(self._keys.tolist()):
            chrom, strand = names[value >> 32]
            yield (chrom, strand, value & 0xFFFFFFFF)

    def __len__(self) -> int:
        return len(np.unique(self._keys))


class Annotation:
    """Genes, transcripts and exon-boundary indexes of one annotation bundle.

    Each contig is cut at every gene start/end; each segment lists the genes covering it.
    Each gene's canonical transcript is picked once, over arrays (see ``_rank``).
    """

    def __init__(self, genes: dict[str, Gene], arrays: _Arrays) -> None:
        self.genes = genes
        self._arrays = arrays
        self.transcripts: Mapping[str, Transcript] = _Transcripts(arrays)
        tx = np.arange(len(arrays.ids))
        ex_tx = np.repeat(tx, np.diff(arrays.ex_at))
        minus = (np.asarray(arrays.strand, dtype=object) == "-")[ex_tx]
        start, end = arrays.ex_start, arrays.ex_end
        chrom = [genes[g].chrom for g in arrays.gene]
        self.donors = _Sites(arrays, chrom, np.where(minus, start, end), ex_tx)
        self.acceptors = _Sites(arrays, chrom, np.where(minus, end, start), ex_tx)
        self._canonical = self._pick_canonical()
        self._by_gene: dict[str, list[int]] | None = None
        self._by_name: dict[str, Gene] = {}
        for g in self.genes.values():
            self._by_name.setdefault(g.name, g)
        self._starts: dict[str, list[int]] = {}
        self._segments: dict[str, list[tuple[str, ...]]] = {}
        self._vec: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        by_chrom: dict[str, list[Gene]] = defaultdict(list)
        for g in self.genes.values():
            by_chrom[g.chrom].append(g)
        for chrom_name, members in by_chrom.items():
            cuts = sorted({g.start for g in members} | {g.end + 1 for g in members})
            covering: list[list[str]] = [[] for _ in cuts]
            for g in members:
                lo = bisect.bisect_left(cuts, g.start)
                hi = bisect.bisect_left(cuts, g.end + 1)
                for i in range(lo, hi):
                    covering[i].append(g.gene_id)
            self._starts[chrom_name] = cuts
            self._segments[chrom_name] = [tuple(c) for c in covering]

    def _pick_canonical(self) -> dict[str, str]:
        """Gene ID -> ID of its best transcript by ``_rank``, over the arrays at once."""
        a = self._arrays
        n = len(a.ids)
        if n == 0:
            return {}
        cds_tx = np.repeat(np.arange(n), np.diff(a.cds_at))
        cds_len = np.bincount(cds_tx, weights=a.cds_end - a.cds_start + 1, minlength=n)
        gene_code, _ = pd.factorize(np.asarray(a.gene, dtype=object))
        ids = np.asarray(a.ids, dtype=str)
        order = np.lexsort((ids, np.diff(a.ex_at), cds_len, a.canonical_rank, gene_code))
        last = np.r_[gene_code[order][1:] != gene_code[order][:-1], True]
        return {a.gene[i]: a.ids[i] for i in order[last]}

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
        return Annotation(genes, self._arrays)

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
        tid = self._canonical.get(gene_id)
        return None if tid is None else self.transcripts[tid]

    def transcripts_of(self, gene_id: str) -> list[Transcript]:
        """Every transcript of a gene, in bundle (GTF) order."""
        if self._by_gene is None:
            self._by_gene = defaultdict(list)
            for i, g in enumerate(self._arrays.gene):
                self._by_gene[g].append(i)
        return [self.transcripts[self._arrays.ids[i]] for i in self._by_gene.get(gene_id, ())]

    def gene_by_name(self, name: str) -> Gene | None:
        return self._by_name.get(name)


def _rank(t: Transcript) -> tuple[int, int, int, str]:
    """MANE Select / Ensembl canonical first, so exon numbers are the ones clinicians use
    (IKZF1 exons 4-7, BCR e13/e14); then the longest CDS, then the most exons."""
    return (canonical_rank(t.tags), t.cds_length, len(t.exons), t.transcript_id)


@gc_paused()
def read_annotation(bundle: Path | Bundle) -> Annotation:
    """Genes, transcripts, exons and CDS of an annotation bundle (``tkiseq prepare``).

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
    arrays = _Arrays(
        ids=tx["transcript_id"].tolist(),
        gene=tx["gene_id"].tolist(),
        strand=tx["strand"].astype(object).tolist(),
        tags=tx["tags"].astype(object).tolist(),
        canonical_rank=tx["canonical_rank"].to_numpy(),
        ex_at=segments(ex["transcript"].to_numpy(), n),
        ex_start=ex["start"].to_numpy(),
        ex_end=ex["end"].to_numpy(),
        ex_number=ex["exon_number"].to_numpy(),
        cds_at=segments(cds["transcript"].to_numpy(), n),
        cds_start=cds["start"].to_numpy(),
        cds_end=cds["end"].to_numpy(),
    )
    return Annotation(genes, arrays)
