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

from tkiseq.genome.bundle import Bundle, open_bundle, segments
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


def merge_intervals(pieces: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of 1-based inclusive intervals; touching intervals join."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(pieces):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


@gc_paused()
def read_transcripts(bundle: Path | Bundle) -> list[Transcript]:
    """All transcripts of the annotation bundle; CDS includes the stop codon rows."""
    b = open_bundle(bundle)
    tx, ex, cds = b.transcripts, b.exons, b.cds
    gene_names = dict(zip(b.genes["gene_id"], b.genes["gene_name"], strict=True))
    n = len(tx)
    ex_at = segments(ex["transcript"].to_numpy(), n).tolist()
    cds_at = segments(cds["transcript"].to_numpy(), n).tolist()
    ex_spans = list(zip(ex["start"].tolist(), ex["end"].tolist(), strict=True))
    cds_spans = list(zip(cds["start"].tolist(), cds["end"].tolist(), strict=True))
    out = []
    columns = ("transcript_id", "transcript_name", "gene_id", "chrom", "strand", "tags", "refseq")
    rows = zip(*(tx[c].astype(object).tolist() for c in columns), strict=True)
    for i, (tid, name, gid, chrom, strand, tags, refseq) in enumerate(rows):
        out.append(
            Transcript(
                tid, name, gid, gene_names.get(gid, gid), chrom, strand,
                exons=merge_intervals(ex_spans[ex_at[i] : ex_at[i + 1]]),
                cds=merge_intervals(cds_spans[cds_at[i] : cds_at[i + 1]]),
                tags=frozenset(tags.split(",")) if tags else frozenset(),
                refseq=refseq,
            )
        )  # fmt: skip
    return out


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
    return min(transcripts, key=lambda t: (-t.cds_length, -sum(b - a for a, b in t.exons),
                                            t.transcript_name))  # fmt: skip


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
    def from_bundle(cls, bundle: Path | Bundle) -> TranscriptIndex:
        return cls(read_transcripts(bundle))

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
