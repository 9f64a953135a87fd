"""Fragments -> paired FASTQ, vectorised per sample, with the truth counted from what is written.

Each template (mature mRNA, pre-mRNA, chimera, indel-carrying copy) yields fragments; reads are
2-D uint8 arrays. SNVs are applied per fragment from the haplotype before PCR duplication, so
duplicates carry the same alleles but independent sequencing errors.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tkiseq.simulate.dna import BASES, revcomp

READ_LENGTH = 101
FRAGMENT_MEAN, FRAGMENT_SD, FRAGMENT_MIN, FRAGMENT_MAX = 260, 50, 150, 600
SPLIT_OVERHANG = 10  # fusion split read: >= 10 bases on each side of the junction
SPLICE_OVERHANG = 8  # IKZF1 delta4-7 junction read: >= 8 bases on each side
INDEL_FLANK = 5
_BASE_INDEX = np.zeros(256, dtype=np.int64)
_BASE_INDEX[BASES] = np.arange(4)


@dataclass
class Template:
    """A molecule species to sequence; ``label`` groups templates for the truth tables."""

    seq: np.ndarray
    gpos: np.ndarray
    gene: str
    kind: str  # mature, premrna, chimera, noise
    fragments: int
    label: int = -1  # chimera index, or -2 for the IKZF1 delta4-7 transcript
    junction: int = -1


@dataclass
class SiteEvent:
    """Where variant ``k`` sits in template ``t`` ([a, b) must be covered by one read)."""

    t: int
    a: int
    b: int
    k: int
    alt: bool
    snv_base: int = 0  # SNV alt base on the template strand (0 for indels)
    vaf: float = 0.0


@dataclass
class SampleReads:
    """Counts of what was written, for the truth tables."""

    read_pairs: int
    duplicates: int
    template_fragments: np.ndarray
    split: np.ndarray
    spanning: np.ndarray
    junction_reads: np.ndarray
    depth: dict[int, int] = field(default_factory=dict)
    alt_reads: dict[int, int] = field(default_factory=dict)


def _fragments(rng: np.random.Generator, templates: list[Template]):
    tmpl, start, length = [], [], []
    for i, t in enumerate(templates):
        n, size = t.fragments, len(t.seq)
        lengths = np.clip(
            np.round(rng.normal(FRAGMENT_MEAN, FRAGMENT_SD, n)), FRAGMENT_MIN, FRAGMENT_MAX
        ).astype(np.int64)
        lengths = np.minimum(lengths, size)
        if t.kind == "noise":  # the single fragment must contain the junction
            lo = np.maximum(0, t.junction - lengths + SPLIT_OVERHANG)
            hi = np.minimum(t.junction - SPLIT_OVERHANG, size - lengths)
        else:
            lo, hi = np.zeros(n, np.int64), size - lengths
        starts = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
        tmpl.append(np.full(n, i, np.int64))
        start.append(starts)
        length.append(lengths)
    return np.concatenate(tmpl), np.concatenate(start), np.concatenate(length)


def _covers(start: np.ndarray, end: np.ndarray, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Which fragments have read 5' / read 3' (template orientation) covering [a, b)."""
    return (start <= a) & (b <= start + READ_LENGTH), (end - READ_LENGTH <= a) & (b <= end)


def _apply_sites(rng, events, tmpl, start, end, r5, r3, bounds) -> tuple[dict, dict]:
    """Put SNV alleles into reads (per fragment draw) and count depth / alt over fragments."""
    depth: dict[int, int] = {}
    alt: dict[int, int] = {}
    for ev in events:
        lo, hi = bounds[ev.t], bounds[ev.t + 1]
        c5, c3 = _covers(start[lo:hi], end[lo:hi], ev.a, ev.b)
        cov = c5 | c3
        if ev.snv_base:
            carry = rng.random(hi - lo) < ev.vaf
            rows5 = np.flatnonzero(c5 & carry)
            r5[lo + rows5, ev.a - start[lo + rows5]] = ev.snv_base
            rows3 = np.flatnonzero(c3 & carry)
            r3[lo + rows3, ev.a - (end[lo + rows3] - READ_LENGTH)] = ev.snv_base
            n_alt = int((cov & carry).sum())
        else:
            n_alt = int(cov.sum()) if ev.alt else 0
        depth[ev.k] = depth.get(ev.k, 0) + int(cov.sum())
        alt[ev.k] = alt.get(ev.k, 0) + n_alt
    return depth, alt


def _junction_stats(templates, tmpl, start, end) -> tuple[np.ndarray, ...]:
    n = len(templates)
    split, spanning, junction_reads = np.zeros(n, int), np.zeros(n, int), np.zeros(n, int)
    for i, t in enumerate(templates):
        if t.junction < 0:
            continue
        sel = tmpl == i
        s, e, j = start[sel], end[sel], t.junction
        c5, c3 = _covers(s, e, j - SPLIT_OVERHANG, j + SPLIT_OVERHANG)
        split[i] = int((c5 | c3).sum())
        spanning[i] = int(((s + READ_LENGTH <= j) & (e - READ_LENGTH >= j)).sum())
        k5, k3 = _covers(s, e, j - SPLICE_OVERHANG, j + SPLICE_OVERHANG)
        junction_reads[i] = int(k5.sum() + k3.sum())
    return split, spanning, junction_reads


def _sequencing_errors(
    rng: np.random.Generator, reads: np.ndarray, confident: float = 0.0
) -> np.ndarray:
    """Substitutions rising from ~0.1 % (5') to ~1 % (3'), rare N, and base qualities.

    An error gets a low quality (2-15), except a ``confident`` share of them, drawn like any
    other base's quality (29-41): real Illumina errors are often confident, so they pass
    ``-Q 20`` and become candidate sites (no extra draw when ``confident`` is 0)."""
    n = len(reads)
    x = np.arange(READ_LENGTH) / (READ_LENGTH - 1)
    p_err = 0.001 + 0.009 * x**2
    err = rng.random((n, READ_LENGTH), dtype=np.float32) < p_err
    rows, cols = np.nonzero(err)
    shift = rng.integers(1, 4, len(rows))
    reads[rows, cols] = BASES[(_BASE_INDEX[reads[rows, cols]] + shift) % 4]
    base_q = np.round(38 - 6 * x**1.5).astype(np.int16)
    qual = base_q + rng.integers(-3, 3, (n, READ_LENGTH), dtype=np.int16)
    low = rng.integers(2, 16, len(rows))
    if confident:
        keep = rng.random(len(rows)) < confident
        low[keep] = qual[rows[keep], cols[keep]]
    qual[rows, cols] = low
    ns = rng.random((n, READ_LENGTH), dtype=np.float32) < 5e-5
    reads[ns] = ord("N")
    qual[ns] = 2
    return (np.clip(qual, 2, 41) + 33).astype(np.uint8)


def fastq_text(sample: str, mate: int, reads: np.ndarray, qual: np.ndarray) -> bytes:
    """FASTQ records ``@<sample>:<n>/<mate>``, built as fixed-width byte blocks per name width."""
    n = len(reads)
    prefix = np.frombuffer(f"@{sample}:".encode(), np.uint8)
    suffix = np.frombuffer(f"/{mate}\n".encode(), np.uint8)
    body = np.empty((n, 2 * READ_LENGTH + 4), np.uint8)
    body[:, :READ_LENGTH] = reads
    body[:, READ_LENGTH : READ_LENGTH + 3] = np.frombuffer(b"\n+\n", np.uint8)
    body[:, READ_LENGTH + 3 : -1] = qual
    body[:, -1] = ord("\n")
    blocks = []
    for width in range(1, len(str(n)) + 1):
        lo, hi = 10 ** (width - 1), min(10**width - 1, n)
        numbers = np.arange(lo, hi + 1)
        digits = numbers[:, None] // 10 ** np.arange(width - 1, -1, -1) % 10 + ord("0")
        m = len(numbers)
        blocks.append(
            np.concatenate(
                [
                    np.tile(prefix, (m, 1)),
                    digits.astype(np.uint8),
                    np.tile(suffix, (m, 1)),
                    body[lo - 1 : hi],
                ],
                axis=1,
            ).tobytes()
        )
    return b"".join(blocks)


def write_gzip(path: Path, data: bytes) -> None:
    """Gzip without time stamp or file name in the header, so output is byte-reproducible."""
    with (
        open(path, "wb") as fh,
        gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=1) as gz,
    ):
        gz.write(data)


def sequence_sample(
    rng: np.random.Generator,
    templates: list[Template],
    events: list[SiteEvent],
    sample: str,
    strandedness: str,
    dup_fraction: float,
    confident_errors: float = 0.0,
) -> tuple[SampleReads, list[bytes]]:
    """Draw fragments, apply alleles, duplicate, orient by library type, add errors.

    Returns the counts for the truth tables and the two FASTQ texts (R1, R2)."""
    tmpl, start, length = _fragments(rng, templates)
    end = start + length
    bounds = np.concatenate([[0], np.cumsum([t.fragments for t in templates])])
    offsets = np.concatenate([[0], np.cumsum([len(t.seq) for t in templates])])
    allseq = np.concatenate([t.seq for t in templates])
    cols = np.arange(READ_LENGTH)
    r5 = allseq[(offsets[tmpl] + start)[:, None] + cols]
    r3 = allseq[(offsets[tmpl] + end - READ_LENGTH)[:, None] + cols]
    depth, alt = _apply_sites(rng, events, tmpl, start, end, r5, r3, bounds)
    eligible = np.flatnonzero(np.array([t.kind != "noise" for t in templates])[tmpl])
    n_dup = round(len(tmpl) * dup_fraction / (1 - dup_fraction))
    dup = eligible[rng.integers(0, len(eligible), n_dup)]
    tmpl, start, end = (np.concatenate([x, x[dup]]) for x in (tmpl, start, end))
    r5, r3 = np.concatenate([r5, r5[dup]]), np.concatenate([r3, r3[dup]])
    split, spanning, junction_reads = _junction_stats(templates, tmpl, start, end)
    r3 = revcomp(r3)
    if strandedness == "forward":
        swap = np.zeros(len(tmpl), bool)
    elif strandedness == "reverse":
        swap = np.ones(len(tmpl), bool)
    else:
        swap = rng.random(len(tmpl)) < 0.5
    read1 = np.where(swap[:, None], r3, r5)
    read2 = np.where(swap[:, None], r5, r3)
    order = rng.permutation(len(tmpl))
    read1, read2 = read1[order], read2[order]
    texts = []
    for mate, reads in ((1, read1), (2, read2)):
        qual = _sequencing_errors(rng, reads, confident_errors)
        texts.append(fastq_text(sample, mate, reads, qual))
    counts = SampleReads(
        len(tmpl),
        n_dup,
        np.bincount(tmpl, minlength=len(templates)),
        split,
        spanning,
        junction_reads,
        depth,
        alt,
    )
    return counts, texts
