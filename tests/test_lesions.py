"""tkiseq lesions: every source in the long table; IKZF1plus and deletion groups vs truth."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from tkiseq import tables
from tkiseq.cli import main
from tkiseq.errors import InputError
from tkiseq.lesions.profile import sample_calls
from tkiseq.lesions.sources import LesionParams
from tkiseq.lesions.stage import Inputs, run
from tkiseq.simulate.cohort import build_cohort
from tkiseq.simulate.truth import write_inputs


def _cohort_inputs(tmp_path: Path, preset: str):
    rng = np.random.default_rng(np.random.SeedSequence(1).spawn(5)[1])  # simulate()'s stream
    cohort = build_cohort(rng, preset)
    write_inputs(cohort, tmp_path)
    return cohort


@pytest.mark.parametrize("preset", ["tiny", "cohort"])
def test_profile_equals_simulator_truth(tmp_path: Path, preset: str) -> None:
    cohort = _cohort_inputs(tmp_path, preset)
    inputs = Inputs(samplesheet=tmp_path / "samplesheet.csv", cnv=tmp_path / "cnv.csv")
    _, prof = run(inputs, LesionParams(), tmp_path / "out")
    profile = pd.read_csv(prof, sep="\t", dtype=str, keep_default_na=False).set_index("sample")
    yn = {True: "yes", False: "no", None: "NA"}
    for s in cohort.samples:
        got = profile.loc[s.sample]
        assert got["ikzf1plus_core"] == yn[s.ikzf1plus], s.sample
        assert got["ikzf1plus_stanulla"] == yn[s.ikzf1plus_stanulla], s.sample
        assert got["deletion_group"] == s.deletion_group, s.sample
    groups = set(profile["deletion_group"])
    if preset == "cohort":  # every group of Figure 3B is planted
        assert {"NO DEL", "PAX5+", "IKZF1", "IKZF1plus"} <= groups


def test_profile_equals_written_truth_table(tiny_data: Path, tmp_path: Path) -> None:
    inputs = Inputs(samplesheet=tiny_data / "samplesheet.csv", cnv=tiny_data / "cnv.csv")
    _, prof = run(inputs, LesionParams(), tmp_path)
    cols = ["sample", "ikzf1plus_core", "ikzf1plus_stanulla", "deletion_group"]
    got = pd.read_csv(prof, sep="\t", dtype=str, keep_default_na=False)[cols]
    truth = pd.read_csv(
        tiny_data / "truth" / "lesion_profiles.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    pd.testing.assert_frame_equal(got, truth[cols])


@pytest.mark.parametrize(
    ("status", "core", "stanulla", "group"),
    [
        ({"IKZF1": "DEL", "CDKN2A": "DEL", "CDKN2B": "NO_DEL", "PAX5": "NO_DEL", "PAR1": "NO_DEL",
          "ERG": "NO_DEL"}, True, False, "IKZF1plus"),
        ({"IKZF1": "DEL", "CDKN2A": "NO_DEL", "CDKN2B": "NO_DEL", "PAX5": "NO_DEL", "PAR1": "DEL",
          "ERG": "NO_DEL"}, False, True, "IKZF1"),
        ({"IKZF1": "DEL", "CDKN2A": "HOM_DEL", "CDKN2B": "NO_DEL", "PAX5": "DEL", "PAR1": "NO_DEL",
          "ERG": "DEL"}, True, False, "IKZF1plus"),
        ({"IKZF1": "NO_DEL", "CDKN2A": "DEL", "CDKN2B": "DEL", "PAX5": "DEL"}, False, False,
         "PAX5+"),
        ({"IKZF1": "NO_DEL", "CDKN2A": "NO_DEL", "CDKN2B": "NO_DEL", "PAX5": "NO_DEL",
          "BTG1": "DEL"}, False, False, "OTHER DEL"),
        ({"IKZF1": "DEL", "CDKN2A": "NA", "CDKN2B": "NO_DEL", "PAX5": "NO_DEL"}, None, None,
         "NA"),
        ({"IKZF1": "NA", "CDKN2A": "NO_DEL", "CDKN2B": "NO_DEL", "PAX5": "NO_DEL"}, False, None,
         "NA"),
        ({}, None, None, "NA"),
    ],
)  # fmt: skip
def test_definitions(status: dict, core, stanulla, group: str) -> None:
    assert sample_calls(status) == (core, stanulla, group)


def _fixtures(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "ss.csv").write_text("sample,fastq_1\nA,a.fq\nB,b.fq\nC,c.fq\n")
    (tmp_path / "cnv.csv").write_text(
        "sample,gene,status\nA,PAX5,DEL\nA,CDKN2A,NO_DEL\nA,CDKN2B,NO_DEL\n"
        "B,IKZF1,NO_DEL\nB,PAX5,NO_DEL\nB,CDKN2A,HOM_DEL\nB,CDKN2B,HOM_DEL\n"
    )
    cols = (
        "\t".join(
            [
                "sample",
                "gene",
                "lesion",
                "donor_exon",
                "acceptor_exon",
                "intron",
                "junction_reads",
                "canonical_reads",
                "fraction",
                "annotated",
            ]
        )
        + "\n"
    )
    (tmp_path / "A.splice_lesions.tsv").write_text(
        cols + "A\tIKZF1\tIKZF1_del4-7\t3\t8\tchr7:1-2\t21\t30\t0.41\tno\n"
    )
    (tmp_path / "B.splice_lesions.tsv").write_text(
        cols + "B\tIKZF1\tIKZF1_del4-7\t3\t8\tchr7:1-2\t5\t30\t0.14\tno\n"
    )
    fus = pd.DataFrame(
        [
            ("A", "BCR", "ABL1", 30, 12, "e1a2", "high"),
            ("C", "P2RY8", "CRLF2", 9, 3, "", "medium"),
            ("C", "CTBS", "GNG5", 4, 1, "", "low"),
        ],
        columns=[
            "sample",
            "gene5",
            "gene3",
            "split_reads",
            "spanning_pairs",
            "isoform",
            "confidence",
        ],
    )
    fus.reindex(columns=tables.columns("fusions")).to_csv(
        tmp_path / "fusions.tsv", sep="\t", index=False
    )
    var = "sample\tgene\tconsequence\thgvsp_short\tvaf\tfilter\n"
    var += (
        "B\tSH2B3\tstop_gained\tp.R12*\t0.4\tPASS\nB\tSH2B3\tsynonymous_variant\tp.L5=\t0.5\tPASS\n"
    )
    var += "C\tZEB2\tmissense_variant\tp.H1038R\t0.45\tPASS\n"
    var += "C\tMALAT1\tmissense_variant\tp.A1T\t0.3\tPASS\n"
    (tmp_path / "variants.tsv").write_text(var)
    adata = ad.AnnData(
        X=np.ones((3, 2)),
        obs=pd.DataFrame(index=["A", "B", "C"]),
        var=pd.DataFrame({"gene_name": ["CRLF2", "ACTB"]}, index=["g1", "g2"]),
    )
    adata.layers["vst"] = np.array([[5.0, 12.0], [8.99, 12.0], [11.2, 12.0]])
    adata.write_h5ad(tmp_path / "cohort.h5ad")
    kar = (
        "sample\tchrom\tarm\tn_genes\tlog2_ratio\tn_snvs\tmaf_peak\tcopy_number\tcall\tconfidence\n"
    )
    kar += "C\tchr21\t\t40\t0.5\t10\t0.33\t3\tgain\thigh\n"
    kar += "C\tchr1\tp\t40\t0\t10\t0.5\t2\tneutral\thigh\n"
    # arms without data: not lesions (they stay in karyotype.tsv)
    kar += "A\tchr10\tp\t0\t\t0\t\t\tnot assessable\tlow\n"
    kar += "C\tchr3\tq\t2\t\t0\t\t\tnot assessable\tlow\n"
    (tmp_path / "karyotype.tsv").write_text(kar)
    return {
        "cnv": tmp_path / "cnv.csv",
        "fusions": tmp_path / "fusions.tsv",
        "variants": tmp_path / "variants.tsv",
        "expression": tmp_path / "cohort.h5ad",
        "karyotype": tmp_path / "karyotype.tsv",
    }


def test_every_source_in_the_long_table(tmp_path: Path) -> None:
    sources = _fixtures(tmp_path)
    splice = tuple(sorted(tmp_path.glob("*.splice_lesions.tsv")))
    inputs = Inputs(samplesheet=tmp_path / "ss.csv", splice=splice, **sources)
    les, prof = run(inputs, LesionParams(), tmp_path / "out")
    table = pd.read_csv(les, sep="\t", dtype=str, keep_default_na=False)
    got = set(zip(table["sample"], table["lesion"], table["source"], table["status"], strict=True))
    assert got == {
        ("A", "IKZF1_del4-7", "junction", "present"),
        ("A", "IKZF1_del", "junction", "DEL"),  # cnv.csv has no IKZF1 call for A
        ("A", "PAX5_del", "cnv", "DEL"),
        ("A", "BCR::ABL1", "fusion", "present"),
        ("B", "IKZF1_del4-7", "junction", "present"),  # B: cnv says NO_DEL, which wins
        ("B", "CDKN2A_del", "cnv", "HOM_DEL"),
        ("B", "CDKN2B_del", "cnv", "HOM_DEL"),
        ("B", "SH2B3_mut", "variant", "present"),
        ("C", "P2RY8::CRLF2", "fusion", "present"),
        ("C", "ZEB2_mut", "variant", "present"),
        ("C", "CRLF2_high", "expression", "present"),
        ("C", "chr21_gain", "karyotype", "present"),
    }
    profile = pd.read_csv(prof, sep="\t", dtype=str, keep_default_na=False).set_index("sample")
    assert profile.loc["A", "ikzf1_del_source"] == "junction"
    assert profile.loc["A", "ikzf1plus_core"] == "yes"  # junction IKZF1 + PAX5 deletion
    assert profile.loc["A", "deletion_group"] == "IKZF1plus"
    assert profile.loc["B", "deletion_group"] == "OTHER DEL"
    assert profile.loc["C", "deletion_group"] == "NA"  # no CNV data: NA, not NO DEL
    assert list(profile["jak_stat"]) == ["no", "yes", "yes"]
    assert list(profile["secondary_lesion"]) == ["yes", "yes", "yes"]
    assert list(profile["n_lesions"]) == ["4", "4", "4"]
    assert profile.columns[-1] == "n_lesions"


def test_without_cnv_every_group_is_na(tmp_path: Path) -> None:
    _fixtures(tmp_path)
    splice = tuple(sorted(tmp_path.glob("*.splice_lesions.tsv")))
    _, prof = run(
        Inputs(samplesheet=tmp_path / "ss.csv", splice=splice), LesionParams(), tmp_path / "o"
    )
    profile = pd.read_csv(prof, sep="\t", dtype=str, keep_default_na=False)
    assert list(profile["deletion_group"]) == ["NA", "NA", "NA"]
    assert list(profile["ikzf1_del_source"]) == ["junction", "junction", ""]


def test_cnv_status_outside_vocabulary_is_an_error(tmp_path: Path) -> None:
    _fixtures(tmp_path)
    (tmp_path / "cnv.csv").write_text("sample,gene,status\nA,PAX5,DEL\nA,IKZF1,deleted\n")
    with pytest.raises(InputError, match=r"cnv\.csv: line 3, column status: status 'deleted'"):
        inputs = Inputs(samplesheet=tmp_path / "ss.csv", cnv=tmp_path / "cnv.csv")
        run(inputs, LesionParams(), tmp_path / "o")
    args = [
        "lesions",
        "--samplesheet",
        str(tmp_path / "ss.csv"),
        "--cnv",
        str(tmp_path / "cnv.csv"),
    ]
    assert main([*args, "--outdir", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_no_lesion_anywhere_gives_empty_table_and_na_profile(tmp_path: Path) -> None:
    (tmp_path / "ss.csv").write_text("sample,fastq_1\nA,a.fq\nB,b.fq\n")
    les, prof = run(Inputs(samplesheet=tmp_path / "ss.csv"), LesionParams(), tmp_path / "o")
    assert pd.read_csv(les, sep="\t").empty
    profile = pd.read_csv(prof, sep="\t", dtype=str, keep_default_na=False)
    assert list(profile["deletion_group"]) == ["NA", "NA"]
    assert list(profile["n_lesions"]) == ["0", "0"]


@pytest.mark.slow
def test_lesions_from_the_tiny_run_equal_the_planted_ones(
    tiny_data: Path, tiny_run: Path, tmp_path: Path
) -> None:
    """Every planted lesion is found from pipeline output, and nothing else."""
    from tkiseq.lesions.sources import PROTEIN_ALTERING, panel_genes

    inputs = tiny_run / "pipeline_info" / "inputs"
    sources = Inputs(
        samplesheet=inputs / "samplesheet.valid.csv",
        cnv=inputs / "cnv.valid.csv",
        splice=tuple(sorted((tiny_run / "splicing").glob("*.tsv"))),
        fusions=tiny_run / "fusions" / "cohort_fusions.tsv",
        variants=tiny_run / "variants" / "cohort_variants.tsv",
        expression=tiny_run / "expression" / "cohort.h5ad",
    )
    les, _ = run(sources, LesionParams(), tmp_path)
    got = pd.read_csv(les, sep="\t", dtype=str, keep_default_na=False)
    truth = tiny_data / "truth"

    def tsv(name: str) -> pd.DataFrame:
        return pd.read_csv(truth / name, sep="\t", dtype=str, keep_default_na=False)

    cnv = pd.read_csv(tiny_data / "cnv.csv", dtype=str, keep_default_na=False)
    cnv = cnv[cnv["status"].isin(("DEL", "HOM_DEL"))]
    fus = tsv("fusions.tsv").query("kind == 'fusion'")
    var = tsv("variants.tsv")
    var = var[
        (var["expected_pass"] == "yes")
        & var["gene"].isin(panel_genes())
        & var["consequence"].isin(PROTEIN_ALTERING)
    ]
    crlf2 = tsv("subtypes.tsv").query("crlf2_rearranged == 'yes'")
    splice = tsv("splice_lesions.tsv")
    expected = (
        {(s, f"{g}_del", "cnv") for s, g in cnv[["sample", "gene"]].itertuples(index=False)}
        | {(s, x, "junction") for s, x in splice[["sample", "lesion"]].itertuples(index=False)}
        | {(s, f"{a}::{b}", "fusion") for s, a, b in fus[["sample", "gene5", "gene3"]].values}
        | {(s, f"{g}_mut", "variant") for s, g in var[["sample", "gene"]].values}
        | {(s, "CRLF2_high", "expression") for s in crlf2["sample"]}
    )
    assert set(zip(got["sample"], got["lesion"], got["source"], strict=True)) == expected
