"""One subtype per sample from what the pipeline found, with the evidence behind it.

Precedence (MD-ALL's decision order, docs/science.md#subtype-rules): a subtype-defining fusion wins;
then a defining karyotype or mutation (near haploid, low hypodiploid, PAX5 p.P80R,
IKZF1 p.N159Y, high hyperdiploid, iAMP21, in that order); then expression gates (CDX2, NUTM1,
DUX4 high); then CRLF2-r alone makes BCR::ABL1-like. Nothing found is ``B-other`` only when
every source was looked at; a missing source (no fusion file, karyotype not assessable) with
nothing else found is ``unclassified``, with the reason in ``evidence``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tkiseq.subtypes.karyotype import SampleKaryotype

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
    "BCR::ABL1", "ETV6::RUNX1", "TCF3::PBX1", "TCF3::HLF", "KMT2A-r", "DUX4-r", "ZNF384-r",
    "MEF2D-r", "NUTM1-r", "PAX5alt", "BCL2/MYC", "CDX2/UBTF", "ZEB2/CEBP", "ETV6::RUNX1-like",
    "BCR::ABL1-like",
)  # fmt: skip
DEFINING_MUTATIONS = {
    ("PAX5", "P80R"): "PAX5 P80R",
    ("IKZF1", "N159Y"): "IKZF1 N159Y",
}
CONFIDENCE_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class RuleParams:
    """Expression gates on the VST scale (DESeq2 VST, log2-like), as MD-ALL's rules."""

    crlf2_high_vst: float = 9.0
    cdx2_high_vst: float = 9.0
    nutm1_high_vst: float = 9.5
    dux4_high_vst: float = 9.0  # not an MD-ALL gate; same scale, same level as CRLF2/CDX2


@dataclass(frozen=True)
class Fusion:
    """A called fusion (confidence not ``low``) and its catalogue subtype, if any."""

    gene5: str
    gene3: str
    catalogue: str | None
    isoform: str = ""
    protein: str = ""


@dataclass
class SampleEvidence:
    """Everything the rules look at for one sample; ``None`` marks a source that is missing."""

    fusions: list[Fusion] | None
    mutations: list[tuple[str, str]]  # (gene, short protein change without "p.", e.g. P80R)
    expression: dict[str, float]  # gene name -> VST
    cnv: dict[str, str] = field(default_factory=dict)  # gene -> NO_DEL/DEL/HOM_DEL/NA
    karyotype: SampleKaryotype | None = None
    iamp21: bool = False


@dataclass
class Call:
    """A subtype call: label, confidence and ``kind:detail`` evidence items."""

    subtype: str
    confidence: str
    evidence: list[str]


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


def _expression_items(ev: SampleEvidence, params: RuleParams) -> dict[str, str]:
    """Subtype -> evidence item for each expression gate that is open."""
    out = {}
    gates = (
        ("CDX2", params.cdx2_high_vst, "CDX2/UBTF"),
        ("NUTM1", params.nutm1_high_vst, "NUTM1-r"),
        ("DUX4", params.dux4_high_vst, "DUX4-r"),
    )
    for gene, cut, subtype in gates:
        vst = ev.expression.get(gene, np.nan)
        if vst >= cut:
            out[subtype] = f"expression:{gene} high (VST {vst:.1f})"
    return out


def classify(ev: SampleEvidence, params: RuleParams) -> Call:
    """Apply the precedence rules to one sample."""
    evidence: list[str] = []
    found: list[tuple[str, str]] = []  # (subtype, confidence) in precedence order
    if ev.fusions is None:
        evidence.append("fusion:no fusion calls for this sample")
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
    kt = ev.karyotype
    if kt is None or np.isnan(kt.chromosome_number):
        evidence.append("karyotype:not assessable")
    else:
        evidence.append(f"karyotype:{int(kt.chromosome_number)} chromosomes ({kt.karyotype})")
        if kt.ploidy_class in ("near haploid", "low hypodiploid"):
            found.append((kt.ploidy_class, "high"))
    muts = {DEFINING_MUTATIONS[m] for m in ev.mutations if m in DEFINING_MUTATIONS}
    for gene_change, label in DEFINING_MUTATIONS.items():
        if label in muts:
            evidence.append(f"variant:{gene_change[0]} p.{gene_change[1]}")
            found.append((label, "high"))
    if kt is not None and kt.ploidy_class == "high hyperdiploid":
        found.append(("high hyperdiploid", "high"))
    if ev.iamp21:
        evidence.append("karyotype:21q focal high-level gain (iAMP21 pattern)")
        found.append(("iAMP21", "medium"))
    for subtype, item in _expression_items(ev, params).items():
        evidence.append(item)
        if subtype == "DUX4-r" and ev.cnv.get("ERG") in ("DEL", "HOM_DEL"):
            evidence.append("cnv:ERG deletion")
        found.append((subtype, "medium"))
    crlf2 = crlf2_rearranged(ev, params)
    if crlf2:
        evidence.append(f"secondary:CRLF2-r ({crlf2})")
        found.append(("BCR::ABL1-like", "medium"))
    if found:
        subtype, confidence = found[0]
        others = sorted({s for s, _ in found[1:] if s != subtype})
        if others and not defining:
            confidence = _lower(confidence)
            evidence.append(f"conflict:also {', '.join(others)}")
        return Call(subtype, confidence, evidence)
    missing = ev.fusions is None or kt is None or np.isnan(kt.chromosome_number)
    if missing:
        return Call(
            "unclassified",
            "low",
            [*evidence, "reason:a source is missing and nothing else defines the sample"],
        )
    return Call("B-other", "medium", evidence)


def _lower(level: str) -> str:
    return CONFIDENCE_LEVELS[max(0, CONFIDENCE_LEVELS.index(level) - 1)]


def _raise(level: str) -> str:
    return CONFIDENCE_LEVELS[min(2, CONFIDENCE_LEVELS.index(level) + 1)]


def with_reference(call: Call, label: str, fraction: float, n: int, min_fraction: float) -> Call:
    """Combine the rules' call with the reference neighbours' majority label.

    Agreement raises confidence, disagreement lowers it (both labels stay in ``evidence``). A
    sample the rules leave at ``B-other``/``unclassified`` takes a clear reference majority
    (>= ``min_fraction``) at low confidence, as expression-only classifiers would.
    """
    item = f"reference:{label} ({fraction:.2f} of {n} neighbours)"
    evidence = [*call.evidence, item]
    if label == call.subtype:
        return Call(call.subtype, _raise(call.confidence), evidence)
    if call.subtype in ("B-other", "unclassified") and fraction >= min_fraction:
        return Call(label, "low", evidence)
    evidence.append(f"conflict:rules say {call.subtype}, reference says {label}")
    return Call(call.subtype, _lower(call.confidence), evidence)
