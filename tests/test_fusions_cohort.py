"""BCR::ABL1 expression and calls across the simulator's cohort preset (many BCR::ABL1 samples).

The tiny dataset has three BCR::ABL1 samples, too few to judge how well junction reads
measure fusion expression; the cohort preset has one in every sample, with all three isoforms.
STAR is run on the first ``N_SAMPLES`` of them (a fixed prefix, not a selection) to keep the
suite short; ``python -m tests.benchmarks.bench_fusion_expression`` runs all 51.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import spearmanr

from fusion_cohort import align_and_call, bcr_abl1_expression

pytestmark = pytest.mark.slow
N_SAMPLES = 24


@pytest.fixture(scope="module")
def cohort_calls(cohort_data: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    samples = pd.read_csv(cohort_data / "samplesheet.csv")["sample"].head(N_SAMPLES)
    return align_and_call(cohort_data, list(samples), tmp_path_factory.mktemp("cohort_fusions"))


def test_bcr_abl1_expression_tracks_truth(cohort_data: Path, cohort_calls: pd.DataFrame) -> None:
    """Reported expression (length-corrected, per million) ranks samples as the truth does."""
    both = bcr_abl1_expression(cohort_data, cohort_calls)
    assert len(both) == N_SAMPLES
    assert set(both["isoform"]) == {"e1a2", "e13a2", "e14a2"}
    rho = spearmanr(both["truth_fpm"], both["expression_fpm"]).statistic
    assert rho >= 0.9, both


def test_every_bcr_abl1_isoform_and_breakpoint_exact(
    cohort_data: Path, cohort_calls: pd.DataFrame
) -> None:
    truth = pd.read_csv(cohort_data / "truth" / "fusions.tsv", sep="\t", keep_default_na=False)
    planted = truth[(truth["kind"] == "fusion") & truth["sample"].isin(cohort_calls["sample"])]
    called = cohort_calls[cohort_calls["confidence"].isin({"high", "medium"})]
    key = ["sample", "gene5", "gene3", "breakpoint5", "breakpoint3"]
    merged = planted.merge(called, on=key, how="left", suffixes=("_truth", ""))
    assert merged["confidence"].notna().all(), merged[merged["confidence"].isna()][key]
    assert (merged["isoform"] == merged["isoform_truth"]).all()
    extra = called.merge(planted[key], on=key, how="left", indicator=True)
    assert (extra["_merge"] == "both").all(), extra[extra["_merge"] != "both"][key]
