"""Transcript models from the annotation bundle: exons, CDS, one canonical transcript per gene.

HGVS names only mean something on a stated transcript. Clinical ABL1 numbering is isoform 1a
(NM_005157); elsewhere a transcript tagged ``MANE_Select``/``Ensembl_canonical`` wins, else
the longest CDS (ties: the lowest transcript name, e.g. ``ABL1-201``).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq.genome.bundle import Bundle, merge_intervals, open_bundle, segments
from tkiseq.genome.gtf import CANONICAL_TAGS, gc_paused

# Genes whose clinical protein numbering follows a named RefSeq isoform: (accession, protein aa).
CLINICAL_ISOFORMS: dict[str, tuple[str, int]] = {"ABL1": ("NM_005157", 1130)}


@dataclass
class Transcript:
    """One transcript; coordinates 1-based inclusive, exons sorted by genomic start."""

    transcript_id: str
    transcript_name: str
    gene_id: str
    gene_name: str
    chrom: str
    strand: str
    exons: list[tuple[int, int]] = field(default_factory=list)
    cds: list[tuple[int, int]] = field(default_factory=list)  # CDS + stop_codon pieces
    tags: frozenset[str] = frozenset()
    refseq: str = ""

    @property
    def start(self) -> int:
        return self.exons[0][0]

    @property
    def end(self) -> int:
        return self.exons[-1][1]

    @property
    def coding(self) -> bool:
        return bool(self.cds)

    @property
    def cds_length(self) -> int:
        return sum(b - a + 1 for a, b in self.cds)

    def ordered_exons(self) -> list[tuple[int, int]]:
        """Exons in transcription order (5' -> 3')."""
        return self.exons if self.strand != "-" else self.exons[::-1]

    def mrna_index(self, pos: int) -> int | None:
        """1-based position in the spliced mRNA of genomic ``pos``; None if not exonic."""
        done = 0
        for a, b in self.ordered_exons():
            if a <= pos <= b:
                return done + (pos - a + 1 if self.strand != "-" else b - pos + 1)
            done += b - a + 1
        return None

    def cds_bounds(self) -> tuple[int, int]:
        """mRNA positions (1-based) of the first CDS base and the last base of the stop codon."""
        lo, hi = self.cds[0][0], self.cds[-1][1]
        first, last = (lo, hi) if self.strand != "-" else (hi, lo)
        a, b = self.mrna_index(first), self.mrna_index(last)
        assert a is not None and b is not None
        return a, b


class _Models:
    """Transcripts of a bundle built from its arrays, all or only the ones asked for."""

    def __init__(self, bundle: Path | Bundle) -> None:
        b = open_bundle(bundle)
        self.tx, ex, cds = b.transcripts, b.exons, b.cds
        self.gene_names = dict(zip(b.genes["gene_id"], b.genes["gene_name"], strict=True))
        n = len(self.tx)
        self.ex_at = segments(ex["transcript"].to_numpy(), n)
        self.cds_at = segments(cds["transcript"].to_numpy(), n)
        self.ex = (ex["start"].to_numpy(), ex["end"].to_numpy())
        self.cds = (cds["start"].to_numpy(), cds["end"].to_numpy())
        self.ex_tx, self.cds_tx = ex["transcript"].to_numpy(), cds["transcript"].to_numpy()

    def build(self, rows: Iterable[int]) -> list[Transcript]:
        columns = (
            "transcript_id",
            "transcript_name",
            "gene_id",
            "chrom",
            "strand",
            "tags",
            "refseq",
        )
        values = [self.tx[c].astype(object).to_numpy() for c in columns]
        ex_at, cds_at = self.ex_at.tolist(), self.cds_at.tolist()
        ex = _spans(*self.ex, self.ex_tx)
        cds = _spans(*self.cds, self.cds_tx)
        out = []
        for i in rows:
            tid, name, gid, chrom, strand, tags, refseq = (v[i] for v in values)
            out.append(
                Transcript(
                    tid,
                    name,
                    gid,
                    self.gene_names.get(gid, gid),
                    chrom,
                    strand,
                    exons=ex(ex_at[i], ex_at[i + 1]),
                    cds=cds(cds_at[i], cds_at[i + 1]),
                    tags=frozenset(tags.split(",")) if tags else frozenset(),
                    refseq=refseq,
                )
            )
        return out

    def canonical_rows(self) -> list[int]:
        """Row of each gene's canonical transcript (``choose_canonical``, over the arrays),
        in the order genes first appear; genes with a clinical isoform are chosen on models."""
        n = len(self.tx)
        if n == 0:
            return []
        cds_len, _ = _merged_lengths(self.cds_tx, *self.cds, n)
        ex_len, pieces = _merged_lengths(self.ex_tx, *self.ex, n)
        ex_sum = ex_len - pieces  # sum(end - start) over merged exons, as choose_canonical
        rank = self.tx["canonical_rank"].to_numpy().astype(np.int64)
        plain = rank == 0
        names = self.tx["transcript_name"].to_numpy(dtype=str)
        first, _ = pd.factorize(self.tx["gene_id"])
        order = np.lexsort((names, -ex_sum * plain, -cds_len * plain, -rank, first))
        lead = order[np.r_[True, first[order][1:] != first[order][:-1]]]
        chosen = dict(zip(first[lead].tolist(), lead.tolist(), strict=True))
        gene_ids, ids = self.tx["gene_id"].tolist(), self.tx["transcript_id"].tolist()
        code = {g: int(c) for g, c in zip(gene_ids, first, strict=True)}
        for gid in {g for g in gene_ids if self.gene_names.get(g, g) in CLINICAL_ISOFORMS}:
            rows = [i for i, g in enumerate(gene_ids) if g == gid]
            pick = choose_canonical(self.build(rows)).transcript_id
            chosen[code[gid]] = rows[[ids[r] for r in rows].index(pick)]
        seen = dict.fromkeys(code[g] for g in gene_ids)
        return [chosen[g] for g in seen]


def _spans(start: np.ndarray, end: np.ndarray, tx: np.ndarray):
    """``spans(a, b)``: rows a..b as merged intervals (``merge_intervals``); rows are sorted
    by (transcript, start), so only rows that touch or overlap the one before need a merge."""
    pairs = list(zip(start.tolist(), end.tolist(), strict=True))
    joins = np.r_[False, (tx[1:] == tx[:-1]) & (start[1:] <= end[:-1] + 1)] if len(tx) else tx
    merge_at = np.flatnonzero(joins).tolist()

    def spans(a: int, b: int) -> list[tuple[int, int]]:
        k = bisect.bisect_left(merge_at, a)
        if k < len(merge_at) and merge_at[k] < b:
            return merge_intervals(pairs[a:b])
        return pairs[a:b]

    return spans


def _merged_lengths(
    tx: np.ndarray, start: np.ndarray, end: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per transcript: bases covered by its intervals once touching or overlapping ones are
    merged (as ``merge_intervals``), and the number of merged pieces. Rows are sorted by
    (transcript, start)."""
    if len(tx) == 0:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    reach = pd.Series(end).groupby(tx).cummax().to_numpy()
    before = np.r_[-1, reach[:-1]]
    first = np.r_[True, tx[1:] != tx[:-1]]
    before[first] = -1
    opens = first | (start > before + 1)
    covered = np.clip(end - np.maximum(start, before + 1) + 1, 0, None)
    lengths = np.bincount(tx, weights=covered, minlength=n).astype(np.int64)
    return lengths, np.bincount(tx, weights=opens, minlength=n).astype(np.int64)


@gc_paused()
def read_transcripts(bundle: Path | Bundle) -> list[Transcript]:
    """All transcripts of the annotation bundle; CDS includes the stop codon rows."""
    models = _Models(bundle)
    return models.build(range(len(models.tx)))


def choose_canonical(transcripts: list[Transcript]) -> Transcript:
    """The transcript whose numbering a clinician expects for this gene (see module doc)."""
    gene = transcripts[0].gene_name
    if gene in CLINICAL_ISOFORMS:
        accession, aa = CLINICAL_ISOFORMS[gene]
        named = [t for t in transcripts if t.refseq.split(".")[0] == accession]
        sized = [t for t in transcripts if t.cds_length == 3 * (aa + 1)]
        if named or sized:
            return min(named or sized, key=lambda t: t.transcript_name)
    for tag in CANONICAL_TAGS:
        tagged = [t for t in transcripts if tag in t.tags]
        if tagged:
            return min(tagged, key=lambda t: t.transcript_name)
    return min(
        transcripts,
        key=lambda t: (-t.cds_length, -sum(b - a for a, b in t.exons), t.transcript_name),
    )


class TranscriptIndex:
    """Canonical transcripts per contig, searchable by position."""

    def __init__(self, transcripts: list[Transcript]) -> None:
        by_gene: dict[str, list[Transcript]] = defaultdict(list)
        for t in transcripts:
            by_gene[t.gene_id].append(t)
        self.by_chrom: dict[str, list[Transcript]] = defaultdict(list)
        for group in by_gene.values():
            t = choose_canonical(group)
            self.by_chrom[t.chrom].append(t)
        self._starts: dict[str, list[int]] = {}
        self._max_len: dict[str, int] = {}
        for chrom, ts in self.by_chrom.items():
            ts.sort(key=lambda t: t.start)
            self._starts[chrom] = [t.start for t in ts]
            self._max_len[chrom] = max(t.end - t.start for t in ts)

    @classmethod
    @gc_paused()
    def from_bundle(cls, bundle: Path | Bundle) -> TranscriptIndex:
        """The index of a bundle: only each gene's canonical transcript is built."""
        models = _Models(bundle)
        return cls(models.build(models.canonical_rows()))

    def overlapping(self, chrom: str, start: int, end: int, pad: int = 0) -> list[Transcript]:
        """Canonical transcripts whose span (+ ``pad``) overlaps [start, end]."""
        ts = self.by_chrom.get(chrom, [])
        if not ts:
            return []
        hi = bisect.bisect_right(self._starts[chrom], end + pad)
        lo = bisect.bisect_left(self._starts[chrom], start - pad - self._max_len[chrom])
        return [t for t in ts[lo:hi] if t.start - pad <= end and t.end + pad >= start]

    def contigs(self) -> list[str]:
        return list(self.by_chrom)
