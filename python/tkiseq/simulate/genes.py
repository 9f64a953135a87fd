"""Gene models in gene-local coordinates (5' -> 3', sense strand): exons, introns, ORFs.

Sequence and structure are drawn together because the pinned facts (codons, phases at fusion
junctions, in-frame skippable exons) constrain both.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tkiseq.simulate.catalog import GeneSpec
from tkiseq.simulate.dna import BASES, decode, encode, random_codons, random_seq, translate

EXON_GC = 0.50
INTRON_GC = 0.41


@dataclass
class LocalTranscript:
    """A transcript as pool-exon indices; CDS in mRNA coordinates [start, end) incl. stop."""

    exons: list[int]
    cds: tuple[int, int] | None


@dataclass
class LocalGene:
    """One gene: sense sequence over its span, pool exons [start, end) and transcripts."""

    spec: GeneSpec
    seq: np.ndarray
    exons: list[tuple[int, int]]
    transcripts: list[LocalTranscript]

    def mrna(self, t: LocalTranscript) -> np.ndarray:
        """Spliced sequence of transcript ``t``."""
        return np.concatenate([self.seq[a:b] for a, b in (self.exons[i] for i in t.exons)])

    def mrna_to_local(self, t: LocalTranscript) -> np.ndarray:
        """Local coordinate of every mRNA base of ``t``."""
        return np.concatenate([np.arange(a, b) for a, b in (self.exons[i] for i in t.exons)])


def _orf_end(mrna: str, start: int) -> int:
    """End (exclusive, stop included) of the ORF starting at ``start``; -1 if open."""
    protein = translate(mrna[start:], to_stop=True)
    return start + 3 * len(protein) if protein.endswith("*") else -1


def _coding_parts(
    rng: np.random.Generator, spec: GeneSpec, first: int, n_coding: int, cds_len: int
) -> list[int]:
    """Split the CDS length over the coding exons, honouring fixed lengths and phase-0 ends."""
    fixed = {e - 1 - first: n for e, n in spec.fixed_cds}
    phase0 = {e - 1 - first for e in spec.phase0}
    mult3 = {1 + int(rng.integers(0, n_coding - 2))} if spec.alt == "skip" else set()
    while True:
        drawn = np.maximum(30, np.round(rng.dirichlet(np.full(n_coding, 4.0)) * cds_len))
        parts = [int(x) for x in drawn]
        for i in range(n_coding - 1):
            if i in fixed:
                parts[i] = fixed[i]
            if i in mult3:
                parts[i] -= parts[i] % 3
            if i in phase0:
                parts[i] -= sum(parts[: i + 1]) % 3
        parts[-1] = cds_len - sum(parts[:-1])
        if parts[-1] >= 30:
            return parts


def _intron(rng: np.random.Generator, n: int, repeats: list[np.ndarray]) -> np.ndarray:
    """Random intron with GT..AG ends; long ones sometimes carry a shared repeat element."""
    seq = random_seq(rng, n, INTRON_GC)
    seq[:2] = encode("GT")
    seq[-2:] = encode("AG")
    if repeats and n > 2000 and rng.random() < 0.25:
        rep = repeats[int(rng.integers(len(repeats)))]
        at = n // 2 - len(rep) // 2
        seq[at : at + len(rep)] = rep
    return seq


def _intron_lengths(rng: np.random.Generator, n: int) -> list[int]:
    lengths = np.clip(np.round(rng.lognormal(np.log(1100), 0.7, size=n)), 250, 6000).astype(int)
    if n:
        lengths[0] *= 2
    return [int(x) for x in lengths]


def _assemble(
    spec: GeneSpec,
    exon_seqs: list[np.ndarray],
    introns: list[np.ndarray],
    transcripts: list[list[int]],
    cds_starts: Sequence[int | None],
) -> LocalGene:
    pieces, exons, pos = [], [], 0
    for i, ex in enumerate(exon_seqs):
        exons.append((pos, pos + len(ex)))
        pieces.append(ex)
        pos += len(ex)
        if i < len(introns):
            pieces.append(introns[i])
            pos += len(introns[i])
    gene = LocalGene(spec, np.concatenate(pieces), exons, [])
    for exon_idx, start in zip(transcripts, cds_starts, strict=True):
        t = LocalTranscript(exon_idx, None)
        if start is not None:
            end = _orf_end(decode(gene.mrna(t)), start)
            if end < 0:
                raise AssertionError(f"{spec.name}: open reading frame")
            t.cds = (start, end)
        gene.transcripts.append(t)
    return gene


def _coding_gene(rng: np.random.Generator, spec: GeneSpec, repeats: list[np.ndarray]) -> LocalGene:
    n = spec.n_exons or int(rng.integers(3, 10))
    aa = spec.aa or int(rng.integers(150, 480))
    first = spec.first_coding if spec.first_coding is not None else int(rng.random() < 0.5)
    first = min(first, n - 1)
    orf = np.concatenate([encode("ATG"), random_codons(rng, aa - 1), encode("TAA")])
    orf[-3:] = encode(["TAA", "TAG", "TGA"][int(rng.integers(3))])
    for number, codon in spec.codons:
        orf[3 * (number - 1) : 3 * number] = encode(codon)
    parts = _coding_parts(rng, spec, first, n - first, len(orf))
    utr5 = int(rng.integers(60, 250))
    utr3 = int(rng.integers(250, 900))
    exon_seqs: list[np.ndarray] = []
    if first:
        exon_seqs.append(random_seq(rng, utr5, EXON_GC))
        utr5 = int(rng.integers(15, 60))
    pos = 0
    for i, part in enumerate(parts):
        chunk = orf[pos : pos + part]
        pos += part
        if i == 0:
            chunk = np.concatenate([random_seq(rng, utr5, EXON_GC), chunk])
        if i == len(parts) - 1:
            chunk = np.concatenate([chunk, random_seq(rng, utr3, EXON_GC)])
        exon_seqs.append(chunk)
    cds_start = (len(exon_seqs[0]) if first else 0) + utr5
    introns = [_intron(rng, m, repeats) for m in _intron_lengths(rng, n - 1)]
    primary = list(range(n))
    transcripts, starts = [primary], [cds_start]
    if spec.alt == "skip":
        skip = next(first + 1 + i for i, p in enumerate(parts[1:-1]) if p % 3 == 0)
        transcripts.append([i for i in primary if i != skip])
        starts.append(cds_start)
    elif spec.alt == "alt_last":
        entering = sum(parts[:-1]) % 3
        codons = random_codons(rng, int(rng.integers(20, 80)))
        tail = np.concatenate([codons[: (3 - entering) % 3 + 3 * 19], encode("TGA")])
        exon_seqs.append(np.concatenate([tail, random_seq(rng, 400, EXON_GC)]))
        introns.append(_intron(rng, _intron_lengths(rng, 2)[1], repeats))
        transcripts.append([*primary[:-1], n])
        starts.append(cds_start)
    elif spec.alt in ("alt_first", "alt_first_coding"):
        alt_utr = random_seq(rng, int(rng.integers(80, 200)), EXON_GC)
        if spec.alt == "alt_first_coding":
            extra = random_codons(rng, parts[0] // 3 + spec.alt_extra_codons - 1)
            alt_exon = np.concatenate([alt_utr, encode("ATG"), extra])
            alt_start: int | None = len(alt_utr)
        else:
            alt_exon, alt_start = alt_utr, None
        length = spec.alt_intron or _intron_lengths(rng, 2)[1]
        exon_seqs.insert(0, alt_exon)
        introns.insert(0, _intron(rng, length, repeats))
        primary = [i + 1 for i in primary]
        transcripts = [primary, [0, *primary[1:]]]
        if alt_start is None:  # CDS starts in the shared exon 2
            alt_start = len(alt_exon) + cds_start - len(exon_seqs[1])
        starts = [cds_start, alt_start]
    return _assemble(spec, exon_seqs, introns, transcripts, starts)


def _noncoding_gene(
    rng: np.random.Generator, spec: GeneSpec, repeats: list[np.ndarray]
) -> LocalGene:
    n = spec.n_exons or 1
    total = 7000 if spec.name == "MALAT1" else int(rng.integers(1500, 3500))
    cuts = np.sort(rng.choice(np.arange(300, total - 300), size=n - 1, replace=False))
    bounds = [0, *[int(c) for c in cuts], total]
    exon_seqs = [random_seq(rng, b - a, EXON_GC) for a, b in itertools.pairwise(bounds)]
    introns = [_intron(rng, m, repeats) for m in _intron_lengths(rng, n - 1)]
    return _assemble(spec, exon_seqs, introns, [list(range(n))], [None])


def _mt_gene(rng: np.random.Generator, spec: GeneSpec) -> LocalGene:
    assert spec.mt_range is not None
    length = spec.mt_range[1] - spec.mt_range[0] + 1
    if spec.gene_type != "protein_coding":
        return _assemble(spec, [random_seq(rng, length, 0.44)], [], [[0]], [None])
    orf = np.concatenate([encode("ATG"), random_codons(rng, length // 3 - 2), encode("TAA")])
    return _assemble(spec, [orf], [], [[0]], [0])


def _pseudogene(rng: np.random.Generator, spec: GeneSpec, parent: LocalGene) -> LocalGene:
    """Intronless ~97 % identical copy of the parent mRNA (a retrocopy)."""
    seq = parent.mrna(parent.transcripts[0]).copy()
    hit = np.flatnonzero(rng.random(len(seq)) < 0.03)
    seq[hit] = BASES[(np.searchsorted(BASES, seq[hit]) + rng.integers(1, 4, len(hit))) % 4]
    return _assemble(spec, [seq], [], [[0]], [None])


def build_genes(
    rng: np.random.Generator, specs: tuple[GeneSpec, ...], repeats: list[np.ndarray]
) -> dict[str, LocalGene]:
    """Draw every gene model; pseudogenes after their parent so they can copy it."""
    genes: dict[str, LocalGene] = {}
    for spec in specs:
        if spec.gene_type == "processed_pseudogene":
            continue
        if spec.mt_range:
            genes[spec.name] = _mt_gene(rng, spec)
        elif spec.gene_type == "protein_coding":
            genes[spec.name] = _coding_gene(rng, spec, repeats)
        else:
            genes[spec.name] = _noncoding_gene(rng, spec, repeats)
    for spec in specs:
        if spec.gene_type == "processed_pseudogene":
            genes[spec.name] = _pseudogene(rng, spec, genes[spec.name.removesuffix("P1")])
    return genes
