"""MultiQC over fake results: every sample in general stats with STAR's figures and tkiseq's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from report_fixture import FakeRun, make_results
from tkiseq.report.inputs import qc_table
from tkiseq.report.multiqc import run_multiqc

CUSTOM = "custom_content_tkiseq_general_stats-"


@pytest.fixture(scope="module")
def multiqc(tmp_path_factory: pytest.TempPathFactory) -> tuple[FakeRun, Path]:
    fake = make_results(tmp_path_factory.mktemp("mqc") / "results", 8)
    return fake, run_multiqc(fake.results, fake.results / "report" / "multiqc")


def general_stats(dest: Path) -> pd.DataFrame:
    path = dest / "multiqc_data" / "multiqc_general_stats.txt"
    return pd.read_csv(path, sep="\t", dtype={"Sample": str}).set_index("Sample")


def test_report_and_data_where_interface_md_says(multiqc: tuple[FakeRun, Path]) -> None:
    _, dest = multiqc
    assert (dest / "multiqc_report.html").stat().st_size > 0
    assert (dest / "tkiseq_mqc" / "tkiseq_general_stats_mqc.yaml").exists()


def test_star_parsed_every_sample(multiqc: tuple[FakeRun, Path]) -> None:
    fake, dest = multiqc
    sources = pd.read_csv(dest / "multiqc_data" / "multiqc_sources.txt", sep="\t")
    star = sources[sources["Module"] == "STAR"]
    assert sorted(star["Sample Name"]) == fake.samples
    assert all(p.endswith(".Log.final.out") for p in star["Source"])
    qc, _ = qc_table(fake.results, fake.samples, 1)
    stats = general_stats(dest)
    assert list(stats.index) == fake.samples
    for rec in qc.itertuples():
        assert stats.loc[rec.sample, "star-uniquely_mapped_percent"] == pytest.approx(
            rec.uniquely_mapped_pct
        )
        # samtools markdup parsed too (names cleaned of .markdup), and agrees with the report
        assert stats.loc[rec.sample, "samtools_markdup-duplicate_fraction"] == pytest.approx(
            rec.duplicates_pct, rel=1e-6
        )


def test_tkiseq_columns_in_general_stats(multiqc: tuple[FakeRun, Path]) -> None:
    fake, dest = multiqc
    stats = general_stats(dest)
    res = fake.results
    subtypes = pd.read_csv(res / "subtypes" / "subtypes.tsv", sep="\t").set_index("sample")
    assert stats[CUSTOM + "subtype"].to_dict() == subtypes["subtype"].to_dict()
    strand = pd.read_csv(res / "expression" / "strandedness.tsv", sep="\t").set_index("sample")
    assert stats[CUSTOM + "strandedness"].to_dict() == strand["used"].to_dict()
    fusions = pd.read_csv(res / "fusions" / "cohort_fusions.tsv", sep="\t")
    kept = fusions[fusions["filters"] == "PASS"].groupby("sample").size()
    assert stats[CUSTOM + "fusions"].to_dict() == kept.reindex(fake.samples, fill_value=0).to_dict()
    bcr = stats[CUSTOM + "bcr_abl1_isoform"].dropna()
    assert set(bcr.index) == set(kept.index) and set(bcr) == {"e1a2"}
    variants = pd.read_csv(res / "variants" / "cohort_variants.tsv", sep="\t")
    n = variants.groupby("sample").size().reindex(fake.samples, fill_value=0)
    assert stats[CUSTOM + "pass_variants"].to_dict() == n.to_dict()
    assert stats.loc[fake.tki_hit, CUSTOM + "pass_variants"] >= 1
    profile = pd.read_csv(res / "lesions" / "profile.tsv", sep="\t").set_index("sample")
    assert stats[CUSTOM + "ikzf1plus"].to_dict() == profile["ikzf1plus_core"].to_dict()


def test_subtype_table_section(multiqc: tuple[FakeRun, Path]) -> None:
    fake, dest = multiqc
    table = pd.read_csv(dest / "multiqc_data" / "multiqc_tkiseq_subtypes.txt", sep="\t")
    assert sorted(table["Sample"]) == fake.samples
    assert {"subtype", "confidence", "risk_group", "evidence"} <= set(table.columns)
