"""One subtype per sample from what the pipeline found, with the evidence behind it.

Precedence, strongest evidence first (after MD-ALL's decision order;
docs/science.md#subtype-rules):

1. genomic lesion: a subtype-defining fusion, or a defining mutation (PAX5 p.P80R,
   IKZF1 p.N159Y);
2. a confident expression classifier: the labelled reference's neighbours (``--subtype-reference``,
   at least ``--reference-min-fraction`` of them agree) or the centroid table
   (``--subtype-centroids``, correlation and margin over its cut-offs);
3. marker-gene gates (``markers``: CDX2, NUTM1, DUX4 high, PBX1 with WNT16, EPOR) and CRLF2-r
   alone (BCR::ABL1-like);
4. karyotype alone: near haploid, low hypodiploid, high hyperdiploid, iAMP21.

The first tier that has a call decides; within a tier the order above holds. Anything found in
a weaker tier that points elsewhere stays in ``evidence`` as ``conflict:`` and lowers the
confidence (not under a fusion, which a karyotype or a CRLF2-r accompanies often). An expression
classifier that is not confident is evidence only. Nothing found is ``B-other`` only when every
source was looked at; a missing source (no fusion file, karyotype not assessable) with nothing
else found is ``unclassified``, with the reason in ``evidence``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tkiseq.subtypes.karyotype import SampleKaryotype
from tkiseq.subtypes.markers import Gate

# known_fusions.tsv ``subtype`` -> interface vocabulary (None: secondary, evidence only)
CATALOGUE_SUBTYPE = {
    "Ph (BCR::ABL1)": "BCR::ABL1",
    "Ph-like ABL-class": "BCR::ABL1-like",
    "Ph-like JAK-class": "BCR::ABL1-like",
    "Ph-like other kinase": "BCR::ABL1-like",
    "Ph-like JAK-class (CRLF2-r)": None,
    "ETV6::RUNX1": "ETV6::RUNX1",
    "ETV6::RUNX1-like": "ETV6::RUNX1-like",
    "TCF3::PBX1": "TCF3::PBX1",
    "HLF-r": "TCF3::HLF",
    "KMT2A-r": "KMT2A-r",
    "DUX4-r": "DUX4-r",
    "ZNF384-r": "ZNF384-r",
    "MEF2D-r": "MEF2D-r",
    "NUTM1-r": "NUTM1-r",
    "PAX5alt": "PAX5alt",
    "PAX5::ETV6": "PAX5alt",
    "BCL2/MYC": "BCL2/MYC",
    "CDX2/UBTF": "CDX2/UBTF",
    "ZEB2/CEBP": "ZEB2/CEBP",
}
# among several defining fusions, the first in this order defines the sample
FUSION_ORDER = (
    "BCR::ABL1",
    "ETV6::RUNX1",
    "TCF3::PBX1",
    "TCF3::HLF",
    "KMT2A-r",
    "DUX4-r",
    "ZNF384-r",
    "MEF2D-r",
    "NUTM1-r",
    "PAX5alt",
    "BCL2/MYC",
    "CDX2/UBTF",
    "ZEB2/CEBP",
    "ETV6::RUNX1-like",
    "BCR::ABL1-like",
)
DEFINING_MUTATIONS = {
    ("PAX5", "P80R"): "PAX5 P80R",
    ("IKZF1", "N159Y"): "IKZF1 N159Y",
}
CONFIDENCE_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class RuleParams:
    """CRLF2 high on the VST scale (MD-ALL); the other expression gates are ``markers``'."""

    crlf2_high_vst: float = 9.0


@dataclass(frozen=True)
class Fusion:
    """A called fusion (confidence not ``low``) and its catalogue subtype, if any."""

    gene5: str
    gene3: str
    catalogue: str | None
    isoform: str = ""
    protein: str = ""


@dataclass(frozen=True)
class ExpressionCall:
    """An expression classifier's label for one sample (reference neighbours, centroids)."""

    source: str  # "reference" or "centroids"
    label: str
    confident: bool
    detail: str  # what the label rests on, e.g. "4 of 4 neighbours"


@dataclass
class SampleEvidence:
    """Everything the rules look at for one sample; ``None`` marks a source that is missing."""

    fusions: list[Fusion] | None
    mutations: list[tuple[str, str]]  # (gene, short protein change without "p.", e.g. P80R)
    expression: dict[str, float]  # gene name -> VST
    cnv: dict[str, str] = field(default_factory=dict)  # gene -> NO_DEL/DEL/HOM_DEL/NA
    karyotype: SampleKaryotype | None = None
    iamp21: bool = False
    gates: list[Gate] = field(default_factory=list)
    classifiers: list[ExpressionCall] = field(default_factory=list)


@dataclass
class Call:
    """A subtype call: label, confidence, ``kind:detail`` evidence items, and the tier that
    decided it (``decided_by``)."""

    subtype: str
    confidence: str
    evidence: list[str]
    decided_by: str = ""


TIERS = ("fusion or defining mutation", "expression classifier", "marker genes", "karyotype")


def _fusion_item(f: Fusion) -> str:
    extra = " ".join(x for x in (f.isoform, f"({f.protein})" if f.protein else "") if x)
    return f"fusion:{f.gene5}::{f.gene3}" + (f" {extra}" if extra else "")


def crlf2_rearranged(ev: SampleEvidence, params: RuleParams) -> str | None:
    """How CRLF2-r is seen: a P2RY8/IGH::CRLF2 fusion, or CRLF2 high with a PAR1 deletion."""
    for f in ev.fusions or ():
        if f.catalogue == "Ph-like JAK-class (CRLF2-r)":
            return f"{f.gene5}::{f.gene3}"
    vst = ev.expression.get("CRLF2", np.nan)
    if vst >= params.crlf2_high_vst and ev.cnv.get("PAR1") in ("DEL", "HOM_DEL"):
        return f"CRLF2 high (VST {vst:.1f}) with PAR1 deletion"
    return None


def _genomic(ev: SampleEvidence, evidence: list[str]) -> list[tuple[str, str]]:
    """Tier 1: defining fusions (in FUSION_ORDER), then defining mutations."""
    found: list[tuple[str, str]] = []
    defining = []
    for f in ev.fusions or ():
        if f.catalogue is not None:
            evidence.append(_fusion_item(f))
            label = CATALOGUE_SUBTYPE.get(f.catalogue)
            if label is not None:
                defining.append(label)
    if defining:
        ranked = sorted(set(defining), key=FUSION_ORDER.index)
        found.append((ranked[0], "high" if len(ranked) == 1 else "medium"))
        if len(ranked) > 1:
            evidence.append(f"conflict:several defining fusions ({', '.join(ranked)})")
    muts = {DEFINING_MUTATIONS[m] for m in ev.mutations if m in DEFINING_MUTATIONS}
    for gene_change, label in DEFINING_MUTATIONS.items():
        if label in muts:
            evidence.append(f"variant:{gene_change[0]} p.{gene_change[1]}")
            found.append((label, "high"))
    return found


def _karyotype(ev: SampleEvidence, evidence: list[str]) -> list[tuple[str, str]]:
    """Tier 4: the ploidy classes that define a subtype, then iAMP21."""
    kt = ev.karyotype
    found: list[tuple[str, str]] = []
    if kt is None or np.isnan(kt.chromosome_number):
        evidence.append("karyotype:not assessable")
        return found
    evidence.append(f"karyotype:{int(kt.chromosome_number)} chromosomes ({kt.karyotype})")
    if kt.ploidy_class in ("near haploid", "low hypodiploid", "high hyperdiploid"):
        found.append((kt.ploidy_class, "high"))
    if ev.iamp21:
        evidence.append("karyotype:21q focal high-level gain (iAMP21 pattern)")
        found.append(("iAMP21", "medium"))
    return found


def classify(ev: SampleEvidence, params: RuleParams) -> Call:
    """Apply the precedence rules to one sample."""
    evidence: list[str] = []
    if ev.fusions is None:
        evidence.append("fusion:no fusion calls for this sample")
    tiers: list[list[tuple[str, str]]] = [_genomic(ev, evidence), [], [], []]
    tiers[3] = _karyotype(ev, evidence)
    for c in ev.classifiers:
        evidence.append(f"{c.source}:{c.label} ({c.detail})")
        if c.confident:
            tiers[1].append((c.label, "medium"))
    for gate in ev.gates:
        evidence.extend(gate.items)
        tiers[2].append((gate.subtype, gate.confidence))
    crlf2 = crlf2_rearranged(ev, params)
    if crlf2:
        evidence.append(f"secondary:CRLF2-r ({crlf2})")
        tiers[2].append(("BCR::ABL1-like", "medium"))
    decided = next((i for i, t in enumerate(tiers) if t), None)
    if decided is None:
        kt = ev.karyotype
        missing = ev.fusions is None or kt is None or np.isnan(kt.chromosome_number)
        if missing:
            reason = "reason:a source is missing and nothing else defines the sample"
            return Call("unclassified", "low", [*evidence, reason])
        return Call("B-other", "medium", evidence)
    subtype, confidence = tiers[decided][0]
    weaker = [s for t in tiers[decided + 1 :] for s, _ in t]
    if decided == 0 and subtype in FUSION_ORDER:
        # karyotype changes, gates and CRLF2-r accompany fusions; a classifier may disagree
        others = sorted({s for s, _ in tiers[1] if s != subtype})
    else:
        unsure = [c.label for c in ev.classifiers if not c.confident]
        same_tier = [s for s, _ in tiers[decided][1:]]
        others = sorted({s for s in [*same_tier, *weaker, *unsure] if s != subtype})
        if decided == 1 and subtype in weaker:
            confidence = "high"  # the classifier confirmed by markers or karyotype
    if others:
        confidence = _lower(confidence)
        evidence.append(f"conflict:also {', '.join(others)}")
    return Call(subtype, confidence, evidence, TIERS[decided])


def _lower(level: str) -> str:
    return CONFIDENCE_LEVELS[max(0, CONFIDENCE_LEVELS.index(level) - 1)]
