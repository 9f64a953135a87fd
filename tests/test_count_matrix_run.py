"""A published count matrix in place of reads: gene matching, `tkiseq counts`, `run --counts`."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from realdata import realdata
from tkiseq.expression.gene_ids import match_genes, strip_version
from tkiseq.inputs.count_matrix import read_counts, sample_names
from tkiseq.runner import Plan, RunConfig
from tkiseq.stages import BY_NAME, STAGES

GENES = pd.DataFrame(
    {"gene_name": ["TP53", "ABL1", "CRLF2", "CRLF2"], "chrom": ["chr17", "chr9", "chrX", "chrY"]},
    index=pd.Index(
        [
            "ENSG00000141510.17",
            "ENSG00000097007.19",
            "ENSG00000205755.12",
            "ENSG00000205755.12_PAR_Y",
        ],
        name="gene_id",
    ),
)


def _gtf(path: Path, genes: list[tuple[str, str, str, int]]) -> Path:
    """A GTF with a gene, transcript and exon row for each (gene_id, gene_name, chrom, start)."""
    rows = []
    for n, (gene_id, name, chrom, start) in enumerate(genes):
        attrs = f'gene_id "{gene_id}"; gene_name "{name}"; gene_type "protein_coding";'
        tx = f'{attrs} transcript_id "T{n}";'
        end = start + 4_999
        rows += [
            f"{chrom}\tt\tgene\t{start}\t{end}\t.\t+\t.\t{attrs}",
            f"{chrom}\tt\ttranscript\t{start}\t{end}\t.\t+\t.\t{tx}",
            f"{chrom}\tt\texon\t{start}\t{end}\t.\t+\t.\t{tx} exon_number 1;",
        ]
    path.write_text("\n".join(rows) + "\n")
    return path


def _tkiseq(*args: str | Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "tkiseq", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_versions_are_stripped_and_par_y_kept() -> None:
    ids = pd.Index(["ENSG00000141510.17", "ENSG00000205755.12_PAR_Y", "ENSG1"])
    assert list(strip_version(ids)) == ["ENSG00000141510", "ENSG00000205755_PAR_Y", "ENSG1"]


def test_rows_match_by_id_unversioned_id_or_symbol_and_the_rest_is_reported() -> None:
    counts = pd.DataFrame(
        {"S1": [5, 7, 1, 2, 100], "S2": [1, 1, 1, 1, 3]},
        index=["ENSG00000141510.17", "ENSG00000097007", "CRLF2", "ENSG00000097007.18", "NOPE1"],
    )
    match = match_genes(counts, GENES)
    assert match.matched == {"gene_id": 1, "gene_id without version": 2, "gene_name": 1}
    assert match.merged == 1  # ABL1 given twice, under two versions: summed
    assert match.counts.loc["ENSG00000097007.19"].tolist() == [9, 2]
    assert match.counts.loc["ENSG00000205755.12"].tolist() == [1, 1]  # the first CRLF2 row
    assert list(match.counts.index) == list(GENES.index[:3])  # annotation order
    assert match.unmatched.to_dict() == {"NOPE1": 103}


def test_htseq_count_files_lose_their_summary_rows(tmp_path: Path) -> None:
    for sample, values in (("P1", (3, 0)), ("P2", (1, 9))):
        rows = [
            f"ENSG1\t{values[0]}",
            f"ENSG2\t{values[1]}",
            "__no_feature\t50",
            "__ambiguous\t2",
            "__too_low_aQual\t0",
            "__not_aligned\t7",
            "__alignment_not_unique\t11",
        ]
        with gzip.open(tmp_path / f"{sample}.htseq.counts.gz", "wt") as fh:
            fh.write("\n".join(rows) + "\n")
    paths = sorted(tmp_path.glob("*.gz"))
    matrix = read_counts(paths)
    assert matrix.counts.to_dict("list") == {"P1": [3, 0], "P2": [1, 9]}
    assert list(matrix.counts.index) == ["ENSG1", "ENSG2"]
    assert sample_names(paths) == ["P1", "P2"]


def test_a_wide_table_is_read_in_one_pass(tmp_path: Path) -> None:
    """2,000 samples: the columns come back in order, as integers (no per-cell conversion)."""
    rng = np.random.default_rng(0)
    values = rng.poisson(20, size=(300, 2000))
    table = pd.DataFrame(values, columns=[f"S{j}" for j in range(2000)])
    table.insert(0, "gene_id", [f"G{i}" for i in range(300)])
    table.to_csv(tmp_path / "wide.tsv.gz", sep="\t", index=False)
    matrix = read_counts([tmp_path / "wide.tsv.gz"])
    assert matrix.counts.dtypes.eq(np.int64).all()
    np.testing.assert_array_equal(matrix.counts.to_numpy(), values)
    assert sample_names([tmp_path / "wide.tsv.gz"])[-1] == "S1999"


def test_counts_from_a_symbol_matrix(tmp_path: Path) -> None:
    """The stage keys a symbol matrix by the annotation's gene IDs and lists what is left out."""
    gtf = _gtf(
        tmp_path / "g.gtf",
        [(f"ENSG{i:011d}.4", f"GENE{i}", "chr1", 1 + 10_000 * i) for i in range(30)],
    )
    assert _tkiseq("prepare", "--gtf", gtf, "--outdir", tmp_path / "ref").returncode == 0
    rng = np.random.default_rng(1)
    genes = [f"GENE{i}" for i in range(30)] + ["MISSING1", "MISSING2"]
    matrix = pd.DataFrame(rng.poisson(50, size=(32, 4)), columns=list("ABCD"), index=genes)
    matrix.index.name = "gene_symbol"
    matrix.to_csv(tmp_path / "m.tsv", sep="\t")
    (tmp_path / "p.csv").write_text("sample,auc_imatinib\nA,1\nB,2\nC,3\n")
    proc = _tkiseq(
        "counts",
        tmp_path / "m.tsv",
        "--annotation",
        tmp_path / "ref" / "annotation",
        "--phenotypes",
        tmp_path / "p.csv",
        "--outdir",
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "30 of 32 genes matched the annotation (30 by gene_name)" in proc.stderr
    adata = ad.read_h5ad(tmp_path / "cohort.h5ad")
    assert adata.var_names[0] == "ENSG00000000000.4" and adata.var["gene_name"].iloc[0] == "GENE0"
    assert list(adata.obs_names) == ["A", "B", "C", "D"]
    np.testing.assert_array_equal(adata.layers["counts"], matrix.iloc[:30].T.to_numpy())
    unmatched = pd.read_csv(tmp_path / "unmatched_genes.tsv", sep="\t")
    assert sorted(unmatched["gene"]) == ["MISSING1", "MISSING2"]


def _matrix_plan(tmp_path: Path) -> Plan:
    cfg = RunConfig(
        input=None,
        phenotypes=tmp_path / "p.csv",
        fasta=None,
        gtf=tmp_path / "g.gtf",
        dbsnp=None,
        outdir=tmp_path / "out",
        counts=(tmp_path / "m.tsv",),
    )
    plan = Plan(cfg, tmp_path / "out", [{"sample": "A"}, {"sample": "B"}])
    return plan


def test_a_matrix_run_has_no_stage_that_needs_reads(tmp_path: Path) -> None:
    plan = _matrix_plan(tmp_path)
    assert plan.sample_chain("A", 1) == []
    tasks = {t.stage: t for t in plan.cohort_tasks(["auc_imatinib"])}
    assert "variants_cohort" not in tasks and "fusions_cohort" not in tasks
    read_outputs = {s.name for s in STAGES if s.scope == "sample"} | {
        "variants_cohort",
        "fusions_cohort",
    }
    for task in tasks.values():
        for path in task.inputs:
            folder = path.parent.name if path.parent.name != "out" else ""
            assert not any(
                f"/{BY_NAME[s].publish.split('/')[0]}/" in f"/{folder}/" for s in read_outputs
            ), (task.name, path)
    assert str(tmp_path / "m.tsv") in tasks["counts"].args
    (skipped,) = plan.skipped()[:1]
    assert skipped.startswith("skipped star_index, align, variants_call")
    assert "count matrix (--counts)" in skipped


def test_a_failed_run_names_its_task_and_no_report(tmp_path: Path) -> None:
    """A matrix none of whose genes the GTF knows: counts fails; no report path is printed."""
    gtf = _gtf(tmp_path / "g.gtf", [("ENSG1", "AAA", "chr1", 1), ("ENSG2", "BBB", "chr2", 1)])
    pd.DataFrame({"gene_id": ["X1", "X2"], "S1": [1, 2], "S2": [3, 4], "S3": [5, 6]}).to_csv(
        tmp_path / "m.tsv", sep="\t", index=False
    )
    (tmp_path / "p.csv").write_text("sample,auc_imatinib\nS1,1\nS2,2\nS3,3\nS9,4\n")
    proc = _tkiseq(
        "run",
        "--counts",
        tmp_path / "m.tsv",
        "--phenotypes",
        tmp_path / "p.csv",
        "--gtf",
        gtf,
        "--outdir",
        tmp_path / "out",
    )
    assert proc.returncode == 2
    assert "failed task: counts" in proc.stderr
    assert "report:" not in proc.stderr
    assert "no gene of the matrix matches the annotation" in proc.stderr.splitlines()[-1]
    assert "Traceback" not in proc.stderr
    assert "1 row(s) for samples not in the count matrix m.tsv left out: S9" in proc.stderr


def _allsorts_gtf(path: Path, symbols: list[str]) -> Path:
    """A GTF naming the ALLSorts symbols. The real data has no symbol -> position table (the
    RNAseqCNV gene positions are keyed by Ensembl ID only), so the genes are laid out along the
    autosomes in the matrix's order: the positions exercise the karyotype, they are not real."""
    genes = [
        (f"ENSG9{i:010d}.1", s, f"chr{i % 22 + 1}", 10_000 + (i // 22) * 20_000)
        for i, s in enumerate(symbols)
    ]
    return _gtf(path, genes)


@pytest.mark.slow
def test_run_from_the_allsorts_matrix_completes_with_a_report(tmp_path: Path) -> None:
    folder = realdata("allsorts_counts")
    matrix = folder / "counts.tsv.gz"
    symbols = pd.read_csv(matrix, sep="\t", usecols=[0]).iloc[:, 0].tolist()
    gtf = _allsorts_gtf(tmp_path / "genes.gtf", symbols[:-25])  # 25 left for the warning
    samples = sample_names([matrix])
    auc = np.random.default_rng(2).uniform(50, 200, len(samples)).round(1)
    pd.DataFrame({"sample": samples, "auc_imatinib": auc}).to_csv(tmp_path / "p.csv", index=False)
    gene_sets = Path(__file__).parents[1] / "python/tkiseq/data/gene_sets/tkiseq_demo.gmt"
    proc = _tkiseq(
        "run",
        "--counts",
        matrix,
        "--phenotypes",
        tmp_path / "p.csv",
        "--gtf",
        gtf,
        "--gene-sets",
        gene_sets,
        "--outdir",
        tmp_path / "out",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "out"
    assert (out / "report" / "report.html").is_file()
    assert f"report: {out / 'report' / 'report.html'}" in proc.stderr
    tables = (
        "de/de_auc_imatinib.tsv",
        "subtypes/subtypes.tsv",
        "subtypes/karyotype.tsv",
        "lesions/lesions.tsv",
        "stats/associations.tsv",
        "response/response.tsv",
    )
    for table in tables:
        assert (out / table).is_file(), table
    assert not (out / "align").exists() and not (out / "variants").exists()
    warnings = (out / "pipeline_info" / "warnings.tsv").read_text()
    assert "skipped star_index, align" in warnings
    assert "19,489 of 19,514 genes matched the annotation" in warnings
    subtypes = pd.read_csv(out / "subtypes" / "subtypes.tsv", sep="\t")
    assert sorted(subtypes["sample"]) == sorted(samples)


def _star_log(path: Path, unique_pct: float) -> None:
    path.write_text(
        "                          Number of input reads |\t1000\n"
        f"                        Uniquely mapped reads % |\t{unique_pct:.2f}%\n"
    )


def test_a_sample_that_did_not_align_is_left_out_of_the_cohort(tmp_path: Path) -> None:
    """The QC gate: 0.00 % uniquely mapped (random reads) is a warning and no cohort column."""
    gtf = _gtf(tmp_path / "g.gtf", [(f"G{i}", f"N{i}", "chr1", 1 + 10_000 * i) for i in range(20)])
    assert _tkiseq("prepare", "--gtf", gtf, "--outdir", tmp_path / "ref").returncode == 0
    rng = np.random.default_rng(3)
    summary = (
        "N_unmapped\t5\t5\t5\nN_multimapping\t0\t0\t0\nN_noFeature\t0\t0\t0\nN_ambiguous\t0\t0\t0\n"
    )
    rpg, logs = [], []
    for sample, pct in (("S1", 91.5), ("S2", 0.0), ("S3", 88.0)):
        values = rng.poisson(40, 20) if pct else np.zeros(20, dtype=int)
        rows = "".join(f"G{i}\t{v}\t0\t{v}\n" for i, v in enumerate(values))
        (tmp_path / f"{sample}.ReadsPerGene.out.tab").write_text(summary + rows)
        decision = '{"sample": "%s", "declared": "auto", "inferred": "forward", "used": "forward"}'
        (tmp_path / f"{sample}.strandedness.json").write_text(decision % sample)
        _star_log(tmp_path / f"{sample}.Log.final.out", pct)
        rpg.append(tmp_path / f"{sample}.ReadsPerGene.out.tab")
        logs.append(tmp_path / f"{sample}.Log.final.out")
    (tmp_path / "p.csv").write_text("sample,auc_imatinib\nS1,1\nS2,2\nS3,3\n")
    out = tmp_path / "out"
    out.mkdir()
    proc = _tkiseq(
        "counts",
        "--annotation",
        tmp_path / "ref" / "annotation",
        "--phenotypes",
        tmp_path / "p.csv",
        *rpg,
        "--log-final",
        *logs,
        "--outdir",
        out,
    )
    assert proc.returncode == 0, proc.stderr
    assert "tkiseq: warning: sample S2: 0.00 % of its reads uniquely mapped, below the QC gate" in (
        proc.stderr
    )
    assert list(ad.read_h5ad(out / "cohort.h5ad").obs_names) == ["S1", "S3"]
    assert pd.read_csv(out / "counts.tsv", sep="\t").columns.tolist() == [
        "gene_id",
        "gene_name",
        "S1",
        "S3",
    ]
    proc = _tkiseq(
        "counts",
        "--annotation",
        tmp_path / "ref" / "annotation",
        "--phenotypes",
        tmp_path / "p.csv",
        *rpg,
        "--log-final",
        *logs,
        "--min-mapped",
        "95",
        "--outdir",
        out,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("tkiseq: error: ")
    assert "no sample has >= 95 % of its reads uniquely mapped" in proc.stderr


def test_a_drug_with_too_few_values_is_skipped_with_a_reason(tmp_path: Path) -> None:
    pd.DataFrame({"gene_id": ["G1", "G2"], "S1": [1, 2], "S2": [3, 4], "S3": [5, 6]}).to_csv(
        tmp_path / "m.tsv", sep="\t", index=False
    )
    (tmp_path / "p.csv").write_text("sample,auc_imatinib,auc_dasatinib\nS1,1,2\nS2,2,\nS3,3,NA\n")
    proc = _tkiseq(
        "validate",
        "--counts",
        tmp_path / "m.tsv",
        "--phenotypes",
        tmp_path / "p.csv",
        "--outdir",
        tmp_path / "v",
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        "tkiseq: warning: differential expression and GSEA of auc_dasatinib skipped: 1 sample(s) "
        "with a value, at least 3 needed"
    ) in proc.stderr
    assert (tmp_path / "v" / "tested_phenotypes.txt").read_text() == "auc_imatinib\n"
