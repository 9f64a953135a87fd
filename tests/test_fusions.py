"""Fusion calls on STAR output of the simulated tiny dataset, scored against the planted truth."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import spearmanr

from bundles import bundle_of
from tkiseq.fusions import stage_call, stage_cohort
from tkiseq.stage_options import NoParams

pytestmark = pytest.mark.slow
CALLED = {"high", "medium"}


def call_all(data: Path, align: Path, outdir: Path) -> pd.DataFrame:
    """Run ``tkiseq fusions call`` on every sample's STAR output; the cohort table of all rows."""
    samples = pd.read_csv(data / "samplesheet.csv")["sample"]
    tables = []
    for s in samples:
        a = align / s / s
        tables.append(
            stage_call.run(
                stage_call.Inputs(
                    sample=s,
                    chimeric=Path(f"{a}.Chimeric.out.junction"),
                    sj=Path(f"{a}.SJ.out.tab"),
                    annotation=bundle_of(data / "genes.gtf"),
                    log_final=Path(f"{a}.Log.final.out"),
                    bam=Path(f"{a}.bam"),
                ),
                stage_call.Params(),
                outdir,
            )
        )
    cohort = stage_cohort.run(stage_cohort.Inputs(tuple(tables)), NoParams(), outdir)
    return pd.read_csv(cohort, sep="\t", keep_default_na=False, dtype={"expression_fpm": float})


def score(calls: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Recall of planted fusions with >= 3 supporting reads; precision of high/medium calls."""
    planted = truth[truth["kind"] == "fusion"]
    key = ["sample", "gene5", "gene3"]
    called = calls[calls["confidence"].isin(CALLED)]
    planted_keys = set(planted[key].itertuples(index=False, name=None))
    called_keys = set(called[key].itertuples(index=False, name=None))
    supported = planted[planted["split_reads"] + planted["spanning_pairs"] >= 3]
    want = set(supported[key].itertuples(index=False, name=None))
    return {
        "recall": len(want & called_keys) / len(want),
        "precision": len(called_keys & planted_keys) / max(1, len(called_keys)),
        "n_planted": len(want),
        "n_called": len(called_keys),
    }


@pytest.fixture(scope="module")
def tiny_fusions(tiny_data: Path, tiny_run: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("fusions")
    calls = call_all(tiny_data, tiny_run / "align", out)
    truth = pd.read_csv(tiny_data / "truth" / "fusions.tsv", sep="\t", keep_default_na=False)
    return calls, truth


def test_recall_and_precision(tiny_fusions) -> None:
    calls, truth = tiny_fusions
    result = score(calls, truth)
    assert result["recall"] >= 0.98, result
    assert result["precision"] >= 0.98, result


def test_decoy_and_noise_never_high_or_medium(tiny_fusions) -> None:
    calls, truth = tiny_fusions
    artifacts = truth[truth["kind"] != "fusion"][["sample", "gene5", "gene3"]]
    hits = calls.merge(artifacts, on=["sample", "gene5", "gene3"])
    assert not hits["confidence"].isin(CALLED).any(), hits
    decoys = calls[(calls["gene5"] == "CTBS") & (calls["gene3"] == "GNG5")]
    assert len(decoys) and decoys["filters"].str.contains("read_through").all()


def test_breakpoints_and_isoforms_exact(tiny_fusions) -> None:
    calls, truth = tiny_fusions
    called = calls[calls["confidence"].isin(CALLED)]
    key = ["sample", "gene5", "gene3", "breakpoint5", "breakpoint3"]
    for pair in (("BCR", "ABL1"), ("P2RY8", "CRLF2")):
        found = called[(called["gene5"] == pair[0]) & (called["gene3"] == pair[1])]
        planted = truth[(truth["gene5"] == pair[0]) & (truth["gene3"] == pair[1])]
        assert len(found) == len(planted) > 0
        merged = found.merge(planted, on=key, suffixes=("", "_truth"))
        assert len(merged) == len(planted), found[key]
        assert (merged["isoform"] == merged["isoform_truth"]).all()
        assert (merged["exon5"].astype(int) == merged["exon5_truth"].astype(int)).all()


def test_reading_frame_matches_truth(tiny_fusions) -> None:
    calls, truth = tiny_fusions
    planted = truth[truth["kind"] == "fusion"]
    merged = calls.merge(planted, on=["sample", "gene5", "gene3", "breakpoint5", "breakpoint3"])
    expected = merged["reading_frame_y"].replace(".", "unknown")
    assert (merged["reading_frame_x"] == expected).all(), merged


def _bcr_abl1_expression(calls: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    planted = truth[(truth["gene5"] == "BCR") & (truth["gene3"] == "ABL1")].set_index("sample")
    planted = planted.assign(junction=planted["split_reads"] + planted["spanning_pairs"])
    found = calls[(calls["gene5"] == "BCR") & (calls["confidence"].isin(CALLED))]
    expression = found.groupby("sample")["expression_fpm"].sum()
    both = planted[["fragments", "junction"]].join(expression, how="inner")
    assert len(both) == len(planted) >= 3
    assert (found["bcr_abl1_abl1_ratio"].astype(float) > 0).all()
    return both


def test_bcr_abl1_expression_tracks_junction_truth(tiny_fusions) -> None:
    """Reported expression ranks samples as the planted junction-crossing fragments do (the
    comparison with truth expression needs more samples: test_fusions_cohort.py)."""
    both = _bcr_abl1_expression(*tiny_fusions)
    assert spearmanr(both["junction"], both["expression_fpm"]).statistic >= 0.9, both


def test_spanning_pairs_of_spliced_fusions(tiny_fusions) -> None:
    """P2RY8::CRLF2 is aligned as a splice; its spanning pairs come from the BAM. STAR also
    counts pairs whose read overlaps the junction by under 10 bases (soft-clipped), which the
    truth counts as neither split nor spanning, hence the tolerance."""
    calls, truth = tiny_fusions
    key = ["sample", "gene5", "gene3", "breakpoint5", "breakpoint3"]
    planted = truth[(truth["gene5"] == "P2RY8") & (truth["kind"] == "fusion")]
    merged = calls.merge(planted, on=key, suffixes=("", "_truth"))
    assert len(merged) == len(planted) > 0
    span, want = merged["spanning_pairs"].astype(int), merged["spanning_pairs_truth"]
    assert ((span - want).abs() <= 0.25 * want).all(), merged[[*key, "spanning_pairs"]]
