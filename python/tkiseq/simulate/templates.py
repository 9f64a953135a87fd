"""One sample's molecules: mature isoforms, pre-mRNA, IKZF1 delta4-7, chimeras, indel alleles.

Also locates every carried variant in every template, so alleles and read support are handled
the same way whether a site is read from mRNA, pre-mRNA or a fusion transcript.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tkiseq.simulate import catalog
from tkiseq.simulate import cohort as cohort_mod
from tkiseq.simulate.dna import BASES, COMPLEMENT, encode, revcomp
from tkiseq.simulate.fusions import Chimera, noise_chimeras, planned_chimera
from tkiseq.simulate.genome import Genome
from tkiseq.simulate.reads import INDEL_FLANK, SiteEvent, Template
from tkiseq.simulate.variants import Variant

PARALOG_DIVERGENCE = 0.05  # the unassembled copy differs at ~5 % of the mRNA's bases
PARALOG_SHARE = 0.15  # its fragments per fragment of the reference copy (VAF ~0.13)
PARALOG_KEY = 1_000_000  # SiteEvent keys of the copy's difference sites start here
ALT_ISOFORM_FRACTION = {"ABL1": 0.4}
DEFAULT_ALT_FRACTION = 0.35
DEL4_7_FRACTION = 0.4
DEL4_7_LABEL = -2


@dataclass(frozen=True)
class ParalogCopy:
    """The unassembled copy's mRNA and the genome sites (of the reference copy) where it differs.

    ``gpos`` is the reference copy's: a read of the copy aligns there, its differences becoming
    mismatches. ``sites``: (mRNA index, chrom, 1-based pos, ref, alt) with + strand bases."""

    seq: np.ndarray
    gpos: np.ndarray
    sites: tuple[tuple[int, str, int, str, str], ...]


def paralog_copy(rng: np.random.Generator, genome: Genome) -> ParalogCopy:
    """A ~``PARALOG_DIVERGENCE``-divergent copy of the paralog target's canonical mRNA."""
    t = genome.genes[catalog.PARALOG_TARGET].transcripts[0]
    seq = t.seq.copy()
    hit = np.flatnonzero(rng.random(len(seq)) < PARALOG_DIVERGENCE)
    seq[hit] = BASES[(np.searchsorted(BASES, seq[hit]) + rng.integers(1, 4, len(hit))) % 4]
    sites = []
    for i in hit:
        chrom, pos, strand = genome.locate(int(t.gpos[i]))
        ref, alt = int(t.seq[i]), int(seq[i])
        if strand == "-":
            ref, alt = int(COMPLEMENT[ref]), int(COMPLEMENT[alt])
        sites.append((int(i), chrom, pos, chr(ref), chr(alt)))
    return ParalogCopy(seq, t.gpos, tuple(sites))


def _paralog_events(templates: list[Template], copy: ParalogCopy) -> list[SiteEvent]:
    """Depth over each difference site from every template, alt reads from the copy's."""
    events = []
    for j, (i, *_rest) in enumerate(copy.sites):
        site = abs(int(copy.gpos[i]))
        for ti, t in enumerate(templates):
            at = np.flatnonzero(np.abs(t.gpos) == site)
            if len(at):
                is_copy = t.kind == "paralog"
                events.append(SiteEvent(ti, int(at[0]), int(at[0]) + 1, PARALOG_KEY + j, is_copy))
    return events


def _mature(rng, genome: Genome, counts: dict[str, int], del4_7: bool) -> list[Template]:
    """Split each gene's fragments over its isoforms by fixed molecule fractions x length."""
    out = []
    for name, n in counts.items():
        gene = genome.genes[name]
        ts = gene.transcripts
        alt = ALT_ISOFORM_FRACTION.get(name, DEFAULT_ALT_FRACTION) if len(ts) > 1 else 0.0
        fracs = [1 - alt] + [alt / (len(ts) - 1)] * (len(ts) - 1) if alt else [1.0]
        items = [(t.seq, t.gpos, -1, -1) for t in ts]
        if del4_7 and name == "IKZF1":
            t = ts[0]
            ends = t.exon_ends()
            keep = np.r_[0 : ends[2], ends[6] : ends[7]]
            items.append((t.seq[keep], t.gpos[keep], DEL4_7_LABEL, int(ends[2])))
            fracs = [f * (1 - DEL4_7_FRACTION) for f in fracs] + [DEL4_7_FRACTION]
        w = np.array([f * len(s) for f, (s, *_) in zip(fracs, items, strict=True)])
        split = rng.multinomial(n, w / w.sum())
        for (seq, gpos, label, junction), k in zip(items, split, strict=True):
            out.append(Template(seq, gpos, name, "mature", int(k), label, junction))
    return out


def _premrna(rng, genome: Genome, counts: dict[str, int], total: int) -> list[Template]:
    """Intronic fragments ~ expression x intron length (genes with introns only)."""
    names, w = [], []
    for name, n in counts.items():
        gene = genome.genes[name]
        mrna = len(gene.transcripts[0].seq)
        if len(gene.local.seq) > mrna:
            names.append(name)
            w.append(n / mrna * (len(gene.local.seq) - mrna) + 1e-9)
    split = rng.multinomial(total, np.array(w) / sum(w))
    out = []
    for name, k in zip(names, split, strict=True):
        if k:
            gene = genome.genes[name]
            out.append(Template(gene.local.seq, gene.premrna_gpos, name, "premrna", int(k)))
    return out


def _global(genome: Genome, chrom: str, pos: int) -> int:
    return genome.offsets[chrom] + pos


def _indel_copies(
    rng, genome: Genome, templates: list[Template], k: int, v: Variant, vaf: float
) -> list[SiteEvent]:
    """Move a VAF share of each carrying template's fragments to a copy with the indel."""
    events = []
    anchor = _global(genome, v.chrom, v.pos)
    for ti in range(len(templates)):
        t = templates[ti]
        pos = np.abs(t.gpos)
        if len(v.ref) > 1:  # deletion of the bases after the anchor
            idx = np.flatnonzero((pos > anchor) & (pos < anchor + len(v.ref)))
            if len(idx) != len(v.ref) - 1 or idx[-1] - idx[0] != len(idx) - 1:
                continue
            at, delta = int(idx[0]), -len(idx)
            seq, gpos = np.delete(t.seq, idx), np.delete(t.gpos, idx)
            ref_iv, alt_iv = (
                (at - INDEL_FLANK, at + len(idx) + INDEL_FLANK),
                (at - INDEL_FLANK, at + INDEL_FLANK),
            )
        else:
            ia, ib = np.flatnonzero(pos == anchor), np.flatnonzero(pos == anchor + 1)
            if not (len(ia) and len(ib)) or abs(int(ia[0]) - int(ib[0])) != 1:
                continue
            at = max(int(ia[0]), int(ib[0]))
            ins = encode(v.alt[1:])
            ins = ins if t.gpos[at] > 0 else revcomp(ins)
            delta = len(ins)
            seq, gpos = np.insert(t.seq, at, ins), np.insert(t.gpos, at, np.zeros(delta, np.int64))
            ref_iv = (at - INDEL_FLANK, at + INDEL_FLANK)
            alt_iv = (at - INDEL_FLANK, at + delta + INDEL_FLANK)
        n_alt = int(rng.binomial(t.fragments, vaf))
        t.fragments -= n_alt
        junction = t.junction + delta if t.junction >= at else t.junction
        templates.append(Template(seq, gpos, t.gene, t.kind, n_alt, t.label, junction))
        events.append(SiteEvent(ti, *ref_iv, k, False))
        events.append(SiteEvent(len(templates) - 1, *alt_iv, k, True))
    return events


def _snv_events(genome: Genome, templates: list[Template], snvs: list[tuple[int, Variant, float]]):
    sites = {_global(genome, v.chrom, v.pos): (k, v, vaf) for k, v, vaf in snvs}
    keys = np.array(sorted(sites), dtype=np.int64)
    events = []
    for ti, t in enumerate(templates):
        for i in np.flatnonzero(np.isin(np.abs(t.gpos), keys)):
            k, v, vaf = sites[abs(int(t.gpos[i]))]
            base = ord(v.alt) if t.gpos[i] > 0 else int(COMPLEMENT[ord(v.alt)])
            events.append(SiteEvent(ti, int(i), int(i) + 1, k, True, base, vaf))
    return events


def sample_templates(
    rng: np.random.Generator,
    genome: Genome,
    cohort: cohort_mod.Cohort,
    i: int,
    carried: list[tuple[Variant, float]],
    preset: cohort_mod.Preset,
    paralog: ParalogCopy | None = None,
) -> tuple[list[Template], list[SiteEvent], list[Chimera]]:
    """Everything sample ``i`` expresses, with fragment counts, variant sites and chimera truth.

    With ``paralog``, reads of the unassembled copy (``PARALOG_SHARE`` per fragment of the
    reference copy) join the templates; their difference sites get events keyed from
    ``PARALOG_KEY`` for the truth."""
    s = cohort.samples[i]
    chimeras = [
        planned_chimera(genome, f.gene5, f.exon5, f.gene3, f.exon3, f.kind) for f in s.fusions
    ]
    chimeras += noise_chimeras(rng, genome, cohort_mod.NOISE_FRAGMENTS)
    chim_frags = [f.fragments for f in s.fusions] + [1] * cohort_mod.NOISE_FRAGMENTS
    originals = s.pairs * (1 - preset.duplicates)
    intronic = round(originals * preset.intronic)
    counts = cohort_mod.draw_counts(rng, cohort, i, originals - intronic - sum(chim_frags))
    templates = _mature(rng, genome, counts, s.ikzf1_del4_7)
    templates += _premrna(rng, genome, counts, intronic)
    for label, (c, n) in enumerate(zip(chimeras, chim_frags, strict=True)):
        kind = "noise" if c.kind == "noise" else "chimera"
        templates.append(Template(c.seq, c.gpos, c.gene5, kind, n, label, c.junction))
    if paralog is not None:
        n = round(counts[catalog.PARALOG_TARGET] * PARALOG_SHARE)
        templates.append(Template(paralog.seq, paralog.gpos, catalog.PARALOG_SOURCE, "paralog", n))
    events = []
    for k, (v, vaf) in enumerate(carried):
        if not v.is_snv:
            events += _indel_copies(rng, genome, templates, k, v, vaf)
    snvs = [(k, v, vaf) for k, (v, vaf) in enumerate(carried) if v.is_snv]
    events += _snv_events(genome, templates, snvs)
    if paralog is not None:
        events += _paralog_events(templates, paralog)
    return templates, events, chimeras
