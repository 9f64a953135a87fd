"""The whole pipeline on the tiny dataset, checked against the simulator's truth."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import anndata as ad
import pandas as pd
import pytest
from scipy.stats import spearmanr

from conftest import tiny_config
from tkiseq.align.star import OUTPUT_SUFFIXES, index_bytes
from tkiseq.cli import main
from tkiseq.runner import run_pipeline

pytestmark = pytest.mark.slow


def _samples(data: Path) -> list[str]:
    return pd.read_csv(data / "samplesheet.csv")["sample"].tolist()


def test_star_outputs_for_every_sample(tiny_data, tiny_run):
    for sample in _samples(tiny_data):
        for suffix in OUTPUT_SUFFIXES:
            assert (tiny_run / "align" / sample / f"{sample}{suffix}").stat().st_size > 0
    leftovers = [p for p in (tiny_run / "align").rglob(".*") if ".tmp" in p.name]
    assert leftovers == []


def test_counts_agree_with_truth_fragments(tiny_data, tiny_run):
    counts = pd.read_csv(tiny_run / "expression" / "counts.tsv", sep="\t", index_col=0)
    truth = pd.read_csv(tiny_data / "truth" / "expression.tsv", sep="\t")
    fusions = pd.read_csv(tiny_data / "truth" / "fusions.tsv", sep="\t")
    fusions = fusions[fusions["kind"] == "fusion"]
    for sample in _samples(tiny_data):
        t = truth[truth["sample"] == sample].set_index("gene_id")
        # Fusion-transcript reads count towards the partners' exons but are not in the
        # partners' own truth fragments.
        partners = fusions.loc[fusions["sample"] == sample, ["gene5", "gene3"]].stack()
        t = t.loc[~t["gene_name"].isin(partners), "fragments"]
        expressed = t[t >= 50].index
        assert len(expressed) > 100
        rho = spearmanr(t[expressed], counts.loc[expressed, sample]).statistic
        assert rho >= 0.95, f"{sample}: Spearman {rho:.3f} over {len(expressed)} genes"


def test_strandedness_inferred_for_each_library(tiny_data, tiny_run):
    truth = pd.read_csv(tiny_data / "truth" / "samples.tsv", sep="\t", index_col="sample")
    assert set(truth["library_strandedness"]) == {"unstranded", "forward", "reverse"}
    report = pd.read_csv(tiny_run / "expression" / "strandedness.tsv", sep="\t", index_col=0)
    for sample, row in truth.iterrows():
        assert report.loc[sample, "inferred"] == row["library_strandedness"], sample
        assert report.loc[sample, "used"] == row["library_strandedness"], sample


def test_cohort_anndata(tiny_data, tiny_run):
    adata = ad.read_h5ad(tiny_run / "expression" / "cohort.h5ad")
    counts = pd.read_csv(tiny_run / "expression" / "counts.tsv", sep="\t", index_col=0)
    pheno = pd.read_csv(tiny_data / "phenotypes.csv", index_col="sample")
    assert list(adata.obs_names) == _samples(tiny_data)
    assert (adata.layers["counts"] == counts.drop(columns="gene_name").T.to_numpy()).all()
    assert adata.obs["auc_imatinib"].to_dict() == pytest.approx(pheno["auc_imatinib"].to_dict())
    assert "ABL1" in set(adata.var["gene_name"])
    assert {"counts", "normalised"} <= set(adata.layers)


def test_pipeline_info(tiny_data, tiny_run):
    info = tiny_run / "pipeline_info"
    trace = pd.read_csv(info / "trace.tsv", sep="\t", keep_default_na=False)
    assert list(trace.columns[:7]) == [
        "stage",
        "sample",
        "start",
        "wall_s",
        "cpu_s",
        "peak_rss_mb",
        "exit_code",
    ]
    aligned = trace[trace["stage"] == "align"]
    assert sorted(aligned["sample"]) == sorted(_samples(tiny_data))
    assert (trace["exit_code"] == 0).all() and (aligned["peak_rss_mb"] > 0).all()
    versions = (info / "software_versions.yml").read_text()
    assert "star:" in versions and "tkiseq:" in versions
    assert json.loads((info / "run.json").read_text())["status"] == "COMPLETED"


def test_resume_skips_completed_tasks(tiny_data, tiny_run):
    """Resumed in place (cache keys hold absolute paths, as Nextflow's do)."""
    info = tiny_run / "pipeline_info"
    saved = {p: p.read_bytes() for p in info.iterdir() if p.is_file()}
    try:
        run_pipeline(tiny_config(tiny_data, tiny_run, resume=True))
        trace = pd.read_csv(info / "trace.tsv", sep="\t")
    finally:
        for path, content in saved.items():
            path.write_bytes(content)
    assert set(trace["status"]) == {"CACHED"}
    assert len(trace) > 6 * 6


def test_reused_star_index_and_truncated_fastq(tiny_data, tiny_run, tmp_path, capsys):
    """A truncated FASTQ.gz stops its sample with a clear error and leaves no output."""
    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    sample = _samples(data)[0]
    fq = data / "fastq" / f"{sample}_R1.fastq.gz"
    fq.write_bytes(fq.read_bytes()[: fq.stat().st_size // 3])
    out = tmp_path / "results"
    code = main(
        [
            "run",
            "--input",
            str(data / "samplesheet.csv"),
            "--phenotypes",
            str(data / "phenotypes.csv"),
            "--fasta",
            str(data / "genome.fa"),
            "--gtf",
            str(data / "genes.gtf"),
            "--dbsnp",
            str(data / "dbsnp.vcf.gz"),
            "--outdir",
            str(out),
            "--star-index",
            str(tiny_run / "reference" / "star_index"),
            "--threads",
            "2",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2
    assert f"align.{sample} failed" in err and "truncated gzip stream" in err
    assert f"{sample}_R1.fastq.gz" in err
    assert not (out / "reference" / "star_index").exists()  # the given index was reused
    assert (out / "reference" / "annotation" / "manifest.json").exists()  # prepared first
    assert list((out / "align" / sample).iterdir()) == []
    assert not (out / "expression").exists()


def test_phenotype_sample_not_in_samplesheet(tiny_data, tmp_path, capsys):
    pheno = tmp_path / "phenotypes.csv"
    text = (tiny_data / "phenotypes.csv").read_text()
    pheno.write_text(text + "NOT_A_SAMPLE" + text.splitlines()[1][text.index(",") :] + "\n")
    out = tmp_path / "results"
    code = main(
        [
            "run",
            "--input",
            str(tiny_data / "samplesheet.csv"),
            "--phenotypes",
            str(pheno),
            "--fasta",
            str(tiny_data / "genome.fa"),
            "--gtf",
            str(tiny_data / "genes.gtf"),
            "--dbsnp",
            str(tiny_data / "dbsnp.vcf.gz"),
            "--outdir",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "NOT_A_SAMPLE" in err and "phenotypes.csv" in err
    assert not (out / "pipeline_info" / "inputs" / "samplesheet.valid.csv").exists()
    assert not (out / "align").exists()


def test_missing_star_gives_install_hint(tiny_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    code = main(
        [
            "run",
            "--input",
            str(tiny_data / "samplesheet.csv"),
            "--phenotypes",
            str(tiny_data / "phenotypes.csv"),
            "--fasta",
            str(tiny_data / "genome.fa"),
            "--gtf",
            str(tiny_data / "genes.gtf"),
            "--dbsnp",
            str(tiny_data / "dbsnp.vcf.gz"),
            "--outdir",
            str(tmp_path / "results"),
        ]
    )
    assert code == 1
    assert "apt-get install rna-star" in capsys.readouterr().err


def test_no_room_for_the_star_index_stops_before_building_it(
    tiny_data, tmp_path, monkeypatch, capsys
):
    """Validation (its own process) passes; the runner then finds the --reference-dir's file
    system too full for a STAR index of this genome (~10 bytes a base) and stops, naming it."""
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr("tkiseq.inputs.reads.shutil.disk_usage", lambda _: usage._replace(free=100))
    out = tmp_path / "results"
    code = main(
        [
            "run",
            "--input",
            str(tiny_data / "samplesheet.csv"),
            "--phenotypes",
            str(tiny_data / "phenotypes.csv"),
            "--fasta",
            str(tiny_data / "genome.fa"),
            "--gtf",
            str(tiny_data / "genes.gtf"),
            "--dbsnp",
            str(tiny_data / "dbsnp.vcf.gz"),
            "--outdir",
            str(out),
            "--reference-dir",
            str(tmp_path / "refs"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()[-1]
    fai = Path(f"{tiny_data / 'genome.fa'}.fai").read_text().splitlines()
    genome = sum(int(line.split("\t")[1]) for line in fai)
    size = index_bytes(tiny_data / "genome.fa")
    assert code == 2 and 9 * genome < size < 12 * genome
    assert re.fullmatch(
        rf"tkiseq: error: {tmp_path / 'refs'}: only 100 B free; a STAR index of this genome needs"
        r" about [\d.]+ MB \(free space or choose another --reference-dir\)",
        err,
    ), err
    assert not (tmp_path / "refs" / "star_index").exists()
