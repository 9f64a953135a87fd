"""Artifact filters and confidence of fusion candidates.

Defaults follow the published callers (docs/science.md#fusions) and are chosen so that a single
chimeric fragment, the commonest artifact (template switching, ligation), never passes:

* support: >= 2 split reads (Arriba's minimum), or split + spanning >= 3 (STAR-Fusion asks
  novel junctions for 3 fragments). Known recurrent fusions pass with 1 split read and 2
  fragments in all, because a clinically relevant fusion at low expression (KMT2A-r is the
  one RNA-seq misses most) is worth a look; they are marked ``known_fusion_rescue``.
* read_through: 3' gene on the same strand, downstream, within 100 kb of the 5' gene. Most
  read-through transcripts join neighbours tens of kb apart (Arriba uses 10 kb for reads
  without a splice pattern; spliced read-through reaches further). Known fusions are exempt:
  P2RY8::CRLF2 is a PAR1 deletion that looks like read-through at ~300 kb.
* promiscuous: a gene with >= 10 supported partners in one sample (STAR-Fusion's maximum).
* paralog: partners of one gene family by symbol (CXCL9/CXCL10, GAPDH/GAPDHP1); homolog:
  most supporting reads align to several places (STAR's ``num_chim_aln`` > 1). Known fusions
  are exempt from homolog: DUX4 lies in the D4Z4 repeat, so DUX4::IGH reads multimap.
* mitochondrial, rRNA: partners from chrM or rRNA genes (abundant, ligation-prone).
* short_anchor: no supporting read has >= 20 aligned bases on both sides of the junction
  (chance alignments of short pieces).
* low_complexity: a homopolymer or short-repeat flank at either breakpoint (DUST score), only
  when the genome FASTA is given.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tkiseq.stage_options import option

MIN_SPLIT = 2
MIN_SUPPORT = 3
KNOWN_MIN_SPLIT = 1
KNOWN_MIN_SUPPORT = 2
READTHROUGH_DISTANCE = 100_000
PROMISCUOUS_PARTNERS = 10
MIN_ANCHOR = 20
HOMOLOG_FRACTION = 0.5
DUST_MAX = 5.0
_MITO = {"chrM", "chrMT", "M", "MT"}
_RRNA_TYPES = {"rRNA", "Mt_rRNA", "rRNA_pseudogene"}
_RRNA_NAME = re.compile(r"^(RNA5S|RNA5-8S|RNA18S|RNA28S|RNA45S|RNR)")
_FAMILY_SUFFIX = re.compile(r"-?(\d+[A-Z]*\d*|[A-Z])$")


@dataclass(frozen=True)
class Thresholds:
    """Support thresholds a user may change on the command line."""

    min_split: int = option(MIN_SPLIT, help="split reads that suffice alone")
    min_support: int = option(
        MIN_SUPPORT, help="split + spanning fragments that suffice (with >= 1 split read)"
    )
    min_anchor: int = option(MIN_ANCHOR, help="bases aligned on both sides of the breakpoint")
    readthrough_distance: int = option(
        READTHROUGH_DISTANCE, help="partners closer than this (bp, same strand) are read-through"
    )
    promiscuous_partners: int = option(
        PROMISCUOUS_PARTNERS, help="a gene with more partners than this is promiscuous"
    )


def supported(split: int, spanning: int, t: Thresholds) -> bool:
    return split >= t.min_split or (split >= 1 and split + spanning >= t.min_support)


def rescued(split: int, spanning: int) -> bool:
    return split >= KNOWN_MIN_SPLIT and split + spanning >= KNOWN_MIN_SUPPORT


def gene_family(name: str) -> str:
    """Symbol stem shared by paralogs and pseudogenes (CXCL10 -> CXCL, GAPDHP1 -> GAPD)."""
    stem = re.sub(r"P\d+$", "", name)
    return _FAMILY_SUFFIX.sub("", stem)


def paralogs(name5: str, name3: str) -> bool:
    """Same family stem of >= 3 characters (so CD19/CD22 are not called paralogs)."""
    stem = gene_family(name5)
    return len(stem) >= 3 and stem == gene_family(name3)


def mitochondrial(chrom: str, name: str) -> bool:
    return chrom in _MITO or name.startswith("MT-")


def rrna(gene_type: str, name: str) -> bool:
    return gene_type in _RRNA_TYPES or bool(_RRNA_NAME.match(name))


def readthrough_distance(
    strand5: str, start5: int, end5: int, strand3: str, start3: int, end3: int
) -> int | None:
    """Bases from the 5' gene's end to the downstream 3' gene on the same strand, else None."""
    if strand5 != strand3:
        return None
    gap = start3 - end5 if strand5 == "+" else start5 - end3
    return gap if gap > -(end5 - start5) else None


def partner_counts(pairs: list[tuple[str, str]]) -> Counter[str]:
    """Distinct partners per gene among the supported candidate pairs of one sample."""
    partners: dict[str, set[str]] = {}
    for a, b in set(pairs):
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    return Counter({g: len(p) for g, p in partners.items()})


def dust(seq: str) -> float:
    """DUST low-complexity score: sum over triplets of c(c-1)/2, over (triplets - 1)."""
    seq = seq.upper()
    n = len(seq) - 2
    if n < 2:
        return 0.0
    counts = Counter(seq[i : i + 3] for i in range(n))
    return sum(c * (c - 1) / 2 for c in counts.values()) / (n - 1)


class GeneSpan(Protocol):
    """What the filters read of a partner gene (annotation.Gene)."""

    name: str
    gene_type: str
    chrom: str
    start: int
    end: int
    strand: str


@dataclass(frozen=True)
class Evidence:
    """One candidate breakpoint pair as the artefact filters see it."""

    gene5: GeneSpan
    gene3: GeneSpan
    split: int  # split reads
    spanning: int  # spanning pairs
    max_anchor: int  # longest aligned bases on both sides, over its reads
    multimapping: int  # reads that align to several places
    known: bool  # a recurrent fusion of the catalogue
    partners: int  # supported partners of the more promiscuous gene
    low_complexity: bool  # a low-complexity flank (only checked with the genome FASTA)


def _rescue(e: Evidence, t: Thresholds) -> bool:
    return not supported(e.split, e.spanning, t) and e.known and rescued(e.split, e.spanning)


def _low_support(e: Evidence, t: Thresholds) -> bool:
    return not supported(e.split, e.spanning, t) and not (e.known and rescued(e.split, e.spanning))


def _read_through(e: Evidence, t: Thresholds) -> bool:
    g5, g3 = e.gene5, e.gene3
    gap = readthrough_distance(g5.strand, g5.start, g5.end, g3.strand, g3.start, g3.end)
    same_chrom = g5.chrom == g3.chrom
    return not e.known and same_chrom and gap is not None and gap <= t.readthrough_distance


def _either(test: Callable[[GeneSpan], bool]) -> Callable[[Evidence, Thresholds], bool]:
    return lambda e, _t: test(e.gene5) or test(e.gene3)


# The filters in the order they are listed in the `filters` column (module docstring: why each).
FILTERS: tuple[tuple[str, Callable[[Evidence, Thresholds], bool]], ...] = (
    ("known_fusion_rescue", _rescue),
    ("low_support", _low_support),
    ("short_anchor", lambda e, t: e.max_anchor < t.min_anchor),
    ("read_through", _read_through),
    ("promiscuous", lambda e, t: not e.known and e.partners >= t.promiscuous_partners),
    ("paralog", lambda e, _t: paralogs(e.gene5.name, e.gene3.name)),
    ("homolog", lambda e, _t: not e.known and e.multimapping > HOMOLOG_FRACTION * e.split),
    ("mitochondrial", _either(lambda g: mitochondrial(g.chrom, g.name))),
    ("rRNA", _either(lambda g: rrna(g.gene_type, g.name))),
    ("low_complexity", lambda e, _t: e.low_complexity),
)


def flags(evidence: Evidence, thresholds: Thresholds) -> list[str]:
    """The names of the filters a candidate hits (known_fusion_rescue is a note, not an
    artefact: see confidence)."""
    return [name for name, hits in FILTERS if hits(evidence, thresholds)]


def confidence(filters: list[str], at_exon_boundaries: bool) -> str:
    """high: no flag and both ends on annotated exon boundaries; medium: no artifact flag but
    an end off an exon boundary, or a known fusion rescued at low support; low: any flag."""
    artifacts = [f for f in filters if f != "known_fusion_rescue"]
    if artifacts:
        return "low"
    if filters or not at_exon_boundaries:
        return "medium"
    return "high"
