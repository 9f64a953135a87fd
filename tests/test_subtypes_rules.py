"""Subtype precedence, CRLF2-r, expression gates, reference agreement and risk groups."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tkiseq.fusions.call import load_known_fusions
from tkiseq.subtypes import risk
from tkiseq.subtypes.karyotype import SampleKaryotype
from tkiseq.subtypes.markers import Gate, MarkerParams, open_gates
from tkiseq.subtypes.rules import (
    CATALOGUE_SUBTYPE,
    ExpressionCall,
    Fusion,
    RuleParams,
    SampleEvidence,
    classify,
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
    assert p80r.subtype == "PAX5 P80R" and "variant:PAX5 p.P80R" in p80r.evidence
    both = classify(ev(mutations=[("PAX5", "P80R")], karyotype=HYPER), P)
    assert both.subtype == "PAX5 P80R" and both.confidence == "medium"
    assert classify(ev(mutations=[("IKZF1", "N159Y")]), P).subtype == "IKZF1 N159Y"
    assert classify(ev(mutations=[("PAX5", "P80L")]), P).subtype == "B-other"


def _gated(values: dict[str, float], cnv: dict | None = None) -> str:
    """The call of one sample whose gene VSTs are ``values`` (a one-sample cohort)."""
    vst = pd.DataFrame([values], index=["s"])
    gates = open_gates(vst, {"s": cnv or {}}, MarkerParams())["s"]
    return classify(ev(gates=gates, cnv=cnv or {}), P)


def test_expression_gates_at_their_thresholds() -> None:
    assert _gated({"CDX2": 9.0}).subtype == "CDX2/UBTF"
    assert _gated({"CDX2": 8.99}).subtype == "B-other"
    assert _gated({"NUTM1": 9.4}).subtype == "B-other"
    assert _gated({"NUTM1": 9.5}).subtype == "NUTM1-r"
    dux4 = _gated({"DUX4": 10.0}, {"ERG": "DEL"})
    assert dux4.subtype == "DUX4-r" and "cnv:ERG deletion" in dux4.evidence


def _cohort(n: int = 12) -> pd.DataFrame:
    """Background VSTs of a marker-negative cohort (small noise around typical levels)."""
    rng = np.random.default_rng(1)
    base = {"PBX1": 6.0, "WNT16": 5.5, "EPOR": 7.0, "DUX4": 3.7, "CLEC12A": 7.5}
    return pd.DataFrame(
        {g: v + rng.normal(0, 0.3, n) for g, v in base.items()}, index=[f"s{i}" for i in range(n)]
    )


def test_relative_gates_need_the_literature_markers_together() -> None:
    vst = _cohort()
    vst.loc["s0", ["PBX1", "WNT16"]] = [14.0, 12.0]  # TCF3::PBX1: both markers
    vst.loc["s1", "PBX1"] = 14.0  # PBX1 alone does not open the gate
    vst.loc["s2", "EPOR"] = 10.3  # ETV6::RUNX1
    vst.loc["s3", ["DUX4", "CLEC12A"]] = [4.8, 12.2]  # DUX4 few unique reads + CD371 high
    vst.loc["s4", "DUX4"] = 4.8  # DUX4 over background without a second marker: shut
    gates = open_gates(vst, {"s5": {"ERG": "DEL"}}, MarkerParams())
    assert [g.subtype for g in gates["s0"]] == ["TCF3::PBX1"]
    assert gates["s1"] == [] and gates["s4"] == []
    assert [(g.subtype, g.confidence) for g in gates["s2"]] == [("ETV6::RUNX1", "low")]
    assert [(g.subtype, g.confidence) for g in gates["s3"]] == [("DUX4-r", "low")]
    assert "expression:DUX4 above the cohort background" in gates["s3"][0].items[0]
    # ERG deletion is the second marker too, and makes the call medium
    vst.loc["s5", "DUX4"] = 4.8
    gates = open_gates(vst, {"s5": {"ERG": "DEL"}}, MarkerParams())
    assert [(g.subtype, g.confidence) for g in gates["s5"]] == [("DUX4-r", "medium")]
    # too small a cohort: relative gates stay shut
    assert all(g == [] for g in open_gates(vst.iloc[:5], {}, MarkerParams()).values())


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


def _ref(label: str, confident: bool = True) -> ExpressionCall:
    return ExpressionCall("reference", label, confident, "4 of 4 neighbours")


def test_precedence_fusion_then_classifier_then_markers_then_karyotype() -> None:
    """A confident reference call is not overridden by a weaker rule (karyotype-only iAMP21,
    hyperdiploidy, a marker gate), and does not override a fusion."""
    iamp21 = classify(ev(iamp21=True, classifiers=[_ref("DUX4-r")]), P)
    assert (iamp21.subtype, iamp21.decided_by) == ("DUX4-r", "expression classifier")
    assert "conflict:also iAMP21" in iamp21.evidence
    assert "reference:DUX4-r (4 of 4 neighbours)" in iamp21.evidence
    hyper = classify(ev(karyotype=HYPER, classifiers=[_ref("ETV6::RUNX1")]), P)
    assert hyper.subtype == "ETV6::RUNX1"
    gate = Gate("TCF3::PBX1", ("expression:PBX1 high",), "medium")
    assert classify(ev(gates=[gate], classifiers=[_ref("DUX4-r")]), P).subtype == "DUX4-r"
    agree = classify(ev(gates=[gate], classifiers=[_ref("TCF3::PBX1")]), P)
    assert (agree.subtype, agree.confidence) == ("TCF3::PBX1", "high")
    fusion = classify(ev(fusions=[BCR_ABL1], classifiers=[_ref("DUX4-r")]), P)
    assert (fusion.subtype, fusion.confidence) == ("BCR::ABL1", "medium")
    assert "conflict:also DUX4-r" in fusion.evidence
    assert classify(ev(fusions=[BCR_ABL1], classifiers=[_ref("BCR::ABL1")]), P).confidence == "high"
    # a reference call that is not confident is evidence only
    unsure = classify(ev(karyotype=HYPER, classifiers=[_ref("DUX4-r", False)]), P)
    assert (unsure.subtype, unsure.confidence) == ("high hyperdiploid", "medium")
    assert "conflict:also DUX4-r" in unsure.evidence
    alone = classify(ev(classifiers=[_ref("DUX4-r", False)]), P)
    assert alone.subtype == "B-other"


def test_risk_groups_follow_paietta() -> None:
    assert risk.risk_group("BCR::ABL1") == "high"
    assert risk.risk_group("high hyperdiploid") == "standard"
    assert risk.risk_group("PAX5alt") == "intermediate"
    assert risk.risk_group("low hypodiploid") == "high"
    assert risk.risk_group("B-other") == "undetermined"
    assert risk.risk_group("iAMP21") == "undetermined"


def test_therapy_targets_and_percentiles() -> None:
    vst = pd.DataFrame(
        {"g1": [5.0, 7.0, 9.0, 11.0], "g2": [1.0, 1.0, 1.0, 1.0]}, index=list("abcd")
    )
    out = risk.target_expression(vst, pd.Series({"g1": "CD19", "g2": "OTHER"}))
    assert list(out["CD19_percentile"]) == [25.0, 50.0, 75.0, 100.0]
    assert out["CD22_vst"].isna().all()
