"""Issue 10's done-when on the simulator's cohort preset: truth counts, planted fusions and
variants, and the allele counts of the planted germline dbSNP sites (no STAR)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.subtypes_inputs import truth_inputs

from tkiseq.subtypes.reference import (
    ProjectionParams,
    leave_one_out_accuracy,
    project,
    read_reference,
)
from tkiseq.subtypes.stage import SubtypesParams, run


@pytest.fixture(scope="module")
def cohort_calls(cohort_data: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    work = tmp_path_factory.mktemp("subtypes_cohort")
    run(truth_inputs(cohort_data, work / "inputs"), SubtypesParams(), work / "subtypes")
    got = pd.read_csv(work / "subtypes" / "subtypes.tsv", sep="\t", keep_default_na=False)
    truth = pd.read_csv(cohort_data / "truth" / "subtypes.tsv", sep="\t", keep_default_na=False)
    return got.merge(truth, on="sample", suffixes=("", "_truth"), validate="one_to_one")


def test_subtype_accuracy_and_fusion_defined_samples(cohort_calls: pd.DataFrame) -> None:
    right = cohort_calls["subtype"] == cohort_calls["subtype_truth"]
    assert right.mean() >= 0.95, cohort_calls.loc[~right, ["sample", "subtype", "subtype_truth"]]
    fusion_defined = cohort_calls["subtype_truth"] == "BCR::ABL1"
    assert fusion_defined.sum() >= 40
    assert right[fusion_defined].all()


def test_planted_karyotypes(cohort_calls: pd.DataFrame) -> None:
    planted = cohort_calls[cohort_calls["chromosome_number_truth"] != 46]
    assert set(planted["ploidy_class_truth"]) == {
        "high hyperdiploid",
        "near haploid",
        "low hyperdiploid",
    }
    assert (planted["ploidy_class"] == planted["ploidy_class_truth"]).all()
    number = pd.to_numeric(planted["chromosome_number"])
    assert ((number - planted["chromosome_number_truth"]).abs() <= 1).all()
    diploid = cohort_calls[cohort_calls["chromosome_number_truth"] == 46]
    assert (diploid["ploidy_class"] == "diploid").mean() >= 0.95


def test_single_gain_bcr_abl1_stays_bcr_abl1(cohort_calls: pd.DataFrame) -> None:
    row = cohort_calls[
        (cohort_calls["subtype_truth"] == "BCR::ABL1")
        & (cohort_calls["ploidy_class_truth"] == "low hyperdiploid")
    ].squeeze()
    assert (row["subtype"], row["ploidy_class"], row["karyotype"]) == (
        "BCR::ABL1",
        "low hyperdiploid",
        row["karyotype_truth"],
    )
    assert row["risk_group"] == "high"


def test_crlf2_r_in_evidence_for_every_planted_case(cohort_calls: pd.DataFrame) -> None:
    crlf2 = cohort_calls[cohort_calls["crlf2_rearranged"] == "yes"]
    assert len(crlf2) >= 4
    assert crlf2["evidence"].str.contains("secondary:CRLF2-r", regex=False).all()
    others = cohort_calls[cohort_calls["crlf2_rearranged"] == "no"]
    assert not others["evidence"].str.contains("CRLF2-r", regex=False).any()
    alone = crlf2[~crlf2["evidence"].str.contains("fusion:BCR::ABL1", regex=False)]
    assert set(alone["subtype"]) == {"BCR::ABL1-like"}


def test_evidence_without_empty_items_and_targets_reported(cohort_calls: pd.DataFrame) -> None:
    for empty in ("reference:", "none given", "sex:unknown"):  # nothing that says nothing
        assert not cohort_calls["evidence"].str.contains(empty, regex=False).any()
    assert cohort_calls["cd19_expression"].notna().all()
    assert cohort_calls["cd22_percentile"].between(0, 100).all()


def test_reference_projection_on_the_simulated_reference(cohort_data: Path) -> None:
    """The simulator's labelled reference: leave-one-out accuracy, and half of it projected onto
    the other half through ``project`` (PCA + neighbours)."""
    path = cohort_data / "truth" / "subtype_reference.h5ad"
    ref = read_reference(path)
    assert leave_one_out_accuracy(ref) >= 0.95
    first = ref.obs.groupby("subtype", observed=True).cumcount() < 6
    query = ref[first.to_numpy()].copy()
    query.var_names = [f"{g}.7" for g in query.var_names]  # other Ensembl versions
    proj = project(ref[~first.to_numpy()].copy(), query, path, ProjectionParams(5))
    truth = query.obs["subtype"].astype(str).to_numpy()
    assert (proj.calls["label"].to_numpy() == truth).mean() >= 0.95
    assert proj.calls["fraction"].between(0.2, 1.0).all()
