"""Subtype precedence, CRLF2-r, expression gates, reference agreement and risk groups."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tkiseq.fusions.call import load_known_fusions
from tkiseq.subtypes import risk
from tkiseq.subtypes.karyotype import SampleKaryotype
from tkiseq.subtypes.rules import (
    CATALOGUE_SUBTYPE,
    Fusion,
    RuleParams,
    SampleEvidence,
    classify,
    with_reference,
)

P = RuleParams()
DIPLOID = SampleKaryotype(46.0, "no whole-chromosome change", "diploid", "female", 41)
HYPER = SampleKaryotype(55.0, "+X,+4,+6,+10,+14,+17,+18,+21,+21", "high hyperdiploid", "female", 41)
PLUS_X = SampleKaryotype(47.0, "+X", "low hyperdiploid", "female", 41)
NEAR_HAPLOID = SampleKaryotype(27.0, "-1,-2", "near haploid", "male", 41)
UNKNOWN = SampleKaryotype(np.nan, "not assessable", "not assessable", "unknown", 0)
BCR_ABL1 = Fusion("BCR", "ABL1", "Ph (BCR::ABL1)", "e1a2", "p190")
P2RY8_CRLF2 = Fusion("P2RY8", "CRLF2", "Ph-like JAK-class (CRLF2-r)")


def ev(**kw) -> SampleEvidence:
    base = {"fusions": [], "mutations": [], "expression": {}, "karyotype": DIPLOID}
    return SampleEvidence(**(base | kw))


def test_every_catalogue_subtype_is_mapped_to_the_vocabulary() -> None:
    assert set(load_known_fusions().values()) <= set(CATALOGUE_SUBTYPE)


def test_fusion_wins_over_karyotype_and_keeps_secondary_in_evidence() -> None:
    call = classify(ev(fusions=[BCR_ABL1, P2RY8_CRLF2], karyotype=PLUS_X), P)
    assert (call.subtype, call.confidence) == ("BCR::ABL1", "high")
    assert "fusion:BCR::ABL1 e1a2 (p190)" in call.evidence
    assert "secondary:CRLF2-r (P2RY8::CRLF2)" in call.evidence
    assert "karyotype:47 chromosomes (+X)" in call.evidence


def test_crlf2_r_alone_is_bcr_abl1_like() -> None:
    assert classify(ev(fusions=[P2RY8_CRLF2]), P).subtype == "BCR::ABL1-like"
    by_expression = ev(expression={"CRLF2": 11.2}, cnv={"PAR1": "DEL"})
    call = classify(by_expression, P)
    assert call.subtype == "BCR::ABL1-like"
    assert "secondary:CRLF2-r (CRLF2 high (VST 11.2) with PAR1 deletion)" in call.evidence
    # CRLF2 high without the PAR1 deletion (or a fusion) is not CRLF2-r
    assert classify(ev(expression={"CRLF2": 11.2}), P).subtype == "B-other"


def test_karyotype_and_mutation_precedence() -> None:
    assert classify(ev(karyotype=HYPER), P).subtype == "high hyperdiploid"
    assert classify(ev(karyotype=NEAR_HAPLOID), P).subtype == "near haploid"
    p80r = classify(ev(mutations=[("PAX5", "P80R")]), P)
    assert (p80r.subtype, p80r.evidence[-1]) == ("PAX5 P80R", "variant:PAX5 p.P80R")
    both = classify(ev(mutations=[("PAX5", "P80R")], karyotype=HYPER), P)
    assert both.subtype == "PAX5 P80R" and both.confidence == "medium"
    assert classify(ev(mutations=[("IKZF1", "N159Y")]), P).subtype == "IKZF1 N159Y"
    assert classify(ev(mutations=[("PAX5", "P80L")]), P).subtype == "B-other"


def test_expression_gates_at_their_thresholds() -> None:
    assert classify(ev(expression={"CDX2": 9.0}), P).subtype == "CDX2/UBTF"
    assert classify(ev(expression={"CDX2": 8.99}), P).subtype == "B-other"
    assert classify(ev(expression={"NUTM1": 9.4}), P).subtype == "B-other"
    assert classify(ev(expression={"NUTM1": 9.5}), P).subtype == "NUTM1-r"
    dux4 = classify(ev(expression={"DUX4": 10.0}, cnv={"ERG": "DEL"}), P)
    assert dux4.subtype == "DUX4-r" and "cnv:ERG deletion" in dux4.evidence


def test_missing_sources_make_unclassified_not_b_other() -> None:
    no_fusions = classify(ev(fusions=None), P)
    assert no_fusions.subtype == "unclassified"
    assert "fusion:no fusion calls for this sample" in no_fusions.evidence
    no_karyotype = classify(ev(karyotype=UNKNOWN), P)
    assert no_karyotype.subtype == "unclassified"
    assert "karyotype:not assessable" in no_karyotype.evidence
    # other evidence still defines the sample
    assert classify(ev(fusions=None, karyotype=HYPER), P).subtype == "high hyperdiploid"
    assert classify(ev(fusions=[BCR_ABL1], karyotype=UNKNOWN), P).subtype == "BCR::ABL1"


def test_reference_agreement_and_disagreement() -> None:
    call = classify(ev(karyotype=HYPER), P)
    agree = with_reference(call, "high hyperdiploid", 0.9, 15, 0.8)
    assert agree.confidence == "high"
    assert "reference:high hyperdiploid (0.90 of 15 neighbours)" in agree.evidence
    disagree = with_reference(call, "ETV6::RUNX1", 0.6, 15, 0.8)
    assert (disagree.subtype, disagree.confidence) == ("high hyperdiploid", "medium")
    assert "conflict:rules say high hyperdiploid, reference says ETV6::RUNX1" in disagree.evidence
    other = with_reference(classify(ev(), P), "DUX4-r", 0.87, 15, 0.8)
    assert (other.subtype, other.confidence) == ("DUX4-r", "low")


def test_risk_groups_follow_paietta() -> None:
    assert risk.risk_group("BCR::ABL1") == "high"
    assert risk.risk_group("high hyperdiploid") == "standard"
    assert risk.risk_group("PAX5alt") == "intermediate"
    assert risk.risk_group("low hypodiploid") == "high"
    assert risk.risk_group("B-other") == "undetermined"
    assert risk.risk_group("iAMP21") == "undetermined"


def test_therapy_targets_and_percentiles() -> None:
    vst = pd.DataFrame({"g1": [5.0, 7.0, 9.0, 11.0], "g2": [1.0, 1.0, 1.0, 1.0]},
                       index=list("abcd"))  # fmt: skip
    out = risk.target_expression(vst, pd.Series({"g1": "CD19", "g2": "OTHER"}))
    assert list(out["CD19_percentile"]) == [25.0, 50.0, 75.0, 100.0]
    assert out["CD22_vst"].isna().all()
