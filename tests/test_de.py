"""DE against AUC: recovery of planted genes, outlier flags, bad inputs, and R DESeq2 agreement.

Two truths: a generated negative-binomial matrix with known slopes and decoys placed on the
most extreme AUC samples (so DESeq2 does call them), and the simulator's ``cohort`` preset,
whose truth fragments are used directly as a user count matrix (no STAR needed).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from tkiseq.cli import main
from tkiseq.expression import outliers
from tkiseq.expression.de import (
    COLUMNS,
    DeParams,
    design_table,
    expressed,
    most_influential,
    unfitted,
)
from tkiseq.expression.normalise import vst
from tkiseq.inputs.phenotypes import phenotypes_for_de

AUC_ROLES = {"auc_associated", "immune_auc_associated"}
FALSE_ROLES = {"background", "outlier_decoy"}  # fusion partners follow BCR::ABL1, itself AUC-linked


def generated_cohort(
    n_samples: int = 51, n_genes: int = 1500, n_auc: int = 150, n_decoys: int = 6, seed: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Genes x samples NB counts, phenotypes (AUC up to 200), and each gene's role.

    AUC genes change 0.4-0.9 log2 per SD of capped AUC; decoys are 10-30x in the one or two
    samples with the highest AUC (the worst case: the outlier mimics a slope).
    """
    rng = np.random.default_rng(seed)
    auc = np.clip(rng.normal(100, 40, n_samples), 5, 200).round(1)
    capped = np.minimum(auc, 150)
    z = (capped - capped.mean()) / capped.std(ddof=1)
    mean = rng.lognormal(5, 1.3, n_genes)
    slope = np.zeros(n_genes)
    slope[:n_auc] = rng.choice([-1, 1], n_auc) * rng.uniform(0.4, 0.9, n_auc)
    mu = rng.lognormal(0, 0.2, n_samples)[:, None] * mean * 2 ** (z[:, None] * slope)
    top = np.argsort(-auc)
    for k, g in enumerate(range(n_auc, n_auc + n_decoys)):
        mu[top[: 1 + k % 2], g] *= rng.uniform(10, 30)
    disp = 0.05 + 1 / mean
    counts = rng.negative_binomial(1 / disp, 1 / (1 + mu * disp))
    samples = [f"S{i:02d}" for i in range(n_samples)]
    genes = [f"ENSG{i:011d}" for i in range(n_genes)]
    table = pd.DataFrame(counts.T, index=pd.Index(genes, name="gene_id"), columns=samples)
    table.insert(0, "gene_name", [f"GENE{i}" for i in range(n_genes)])
    role = np.full(n_genes, "background", dtype=object)
    role[:n_auc] = "auc_associated"
    role[n_auc : n_auc + n_decoys] = "outlier_decoy"
    source = np.where(np.arange(n_samples) % 3 == 0, "PDX", "primary")
    pheno = pd.DataFrame({"sample": samples, "auc_imatinib": auc, "source": source})
    return table, pheno, pd.Series(role, index=genes)


def _write_inputs(root: Path, counts: pd.DataFrame, pheno: pd.DataFrame) -> tuple[Path, Path]:
    root.mkdir(parents=True, exist_ok=True)
    counts.to_csv(root / "counts.tsv", sep="\t")
    pheno.to_csv(root / "phenotypes.csv", index=False)
    return root / "counts.tsv", root / "phenotypes.csv"


def _de(counts: Path, pheno: Path, outdir: Path, *extra: str) -> int:
    args = ["de", "--counts", str(counts), "--phenotypes", str(pheno), "--outdir", str(outdir)]
    return main([*args, "--threads", "1", *extra])


def _scored(table: pd.DataFrame, role: pd.Series) -> dict[str, float]:
    role = table["gene_id"].map(role)
    called = table["padj"] < 0.05
    planted = role.isin(AUC_ROLES)
    false = called & role.isin(FALSE_ROLES)
    flagged = table["outlier_driven"]
    return {
        "recall": float((called & planted).sum() / planted.sum()),
        "false_share": float(false.sum() / max(called.sum(), 1)),
        "robust_false_share": float((false & ~flagged).sum() / max((called & ~flagged).sum(), 1)),
        "planted_flagged": int((planted & table["outlier_driven"]).sum()),
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.Series, Path]:
    """DE table of the generated cohort, with ``source`` as a covariate."""
    counts, pheno, role = generated_cohort()
    root = tmp_path_factory.mktemp("generated")
    c, p = _write_inputs(root, counts, pheno)
    assert _de(c, p, root / "de", "--covariates", "source") == 0
    return pd.read_csv(root / "de" / "de_auc_imatinib.tsv", sep="\t"), role, root


@functools.cache
def _cohort_de(data: Path) -> Path:
    truth = pd.read_csv(data / "truth" / "expression.tsv", sep="\t")
    matrix = truth.pivot_table(
        index=["gene_id", "gene_name"], columns="sample", values="fragments", aggfunc="sum"
    )
    counts = matrix.reset_index().set_index("gene_id")
    counts.to_csv(data.parent / "truth_counts.tsv", sep="\t")
    assert _de(data.parent / "truth_counts.tsv", data / "phenotypes.csv", data.parent / "de") == 0
    return data.parent / "de" / "de_auc_imatinib.tsv"


@pytest.fixture(scope="session")
def cohort_de(cohort_data: Path) -> Path:
    """``tkiseq de`` on the cohort's truth fragments (genes x samples) against imatinib AUC."""
    return _cohort_de(cohort_data)


def test_output_columns_and_plots(generated: tuple[pd.DataFrame, pd.Series, Path]) -> None:
    table, _, root = generated
    assert list(table.columns[: len(COLUMNS)]) == COLUMNS
    assert list(table.columns[:10]) == [
        "gene_id",
        "gene_name",
        "base_mean",
        "log2fc",
        "stat",
        "pvalue",
        "padj",
        "spearman_rho",
        "spearman_p",
        "outlier_driven",
    ]
    assert sorted(p.name for p in (root / "de").iterdir()) == [
        "de_auc_imatinib.tsv",
        "top_genes_auc_imatinib.png",
        "volcano_auc_imatinib.png",
    ]
    sd = np.std(np.minimum(pd.read_csv(root / "phenotypes.csv")["auc_imatinib"], 150), ddof=1)
    tested = table.dropna(subset=["log2fc"])
    np.testing.assert_allclose(tested["log2fc_per_sd"], tested["log2fc"] * sd, rtol=1e-4)


def test_generated_recall_precision_and_flags(
    generated: tuple[pd.DataFrame, pd.Series, Path],
) -> None:
    table, role, _ = generated
    score = _scored(table, role)
    assert score["recall"] >= 0.8, score
    assert score["robust_false_share"] <= 0.1, score  # decoys are called here on purpose
    assert score["planted_flagged"] <= 1, score
    decoys = table[table["gene_id"].map(role) == "outlier_decoy"]
    called = decoys[decoys["padj"] < 0.05]
    assert len(called) >= 2, "the generator should make DESeq2 call some decoys"
    assert called["outlier_driven"].all(), called.to_string()


def test_cohort_truth(cohort_data: Path, cohort_de: Path) -> None:
    """Done-when of issue 5 on the simulator's cohort preset."""
    table = pd.read_csv(cohort_de, sep="\t")
    truth = pd.read_csv(cohort_data / "truth" / "expression.tsv", sep="\t")
    role = truth.drop_duplicates("gene_id").set_index("gene_id")["role"]
    score = _scored(table, role)
    assert score["recall"] >= 0.8, score
    assert score["false_share"] <= 0.1, score
    decoys = table[table["gene_id"].map(role) == "outlier_decoy"]
    robust_calls = (decoys["padj"] < 0.05) & ~decoys["outlier_driven"]
    assert not robust_calls.any(), decoys.to_string()
    assert (decoys["cooks_max"] > outliers.cooks_cutoff(2, 51)).all(), decoys.to_string()
    planted = table[table["gene_id"].map(role).isin(AUC_ROLES)]
    assert not planted["outlier_driven"].any(), planted.to_string()
    truth_fc = truth.drop_duplicates("gene_id").set_index("gene_id")["log2fc_per_sd_auc"]
    sig = planted[planted["padj"] < 0.05]
    assert (np.sign(sig["log2fc"]) == np.sign(sig["gene_id"].map(truth_fc))).all()


# --- units -------------------------------------------------------------------------------


def test_spearman_matches_scipy() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=20)
    expr = np.column_stack([x + rng.normal(size=20), rng.poisson(3, 20), np.ones(20)])
    rho, p = outliers.spearman(expr, x)
    for g in range(2):
        ref = stats.spearmanr(expr[:, g], x)
        assert rho[g] == pytest.approx(ref.statistic)
        assert p[g] == pytest.approx(ref.pvalue)
    assert np.isnan(rho[2])


def test_nb_wald_matches_statsmodels() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    design = np.column_stack([np.ones(40), x])
    sf = rng.uniform(0.8, 1.2, 40)
    y = rng.negative_binomial(10, 10 / (10 + sf * np.exp(4 + 0.3 * x)))
    glm = sm.GLM(y, design, family=sm.families.NegativeBinomial(alpha=0.1), offset=np.log(sf))
    ref = glm.fit()
    assert outliers.nb_wald_pvalue(y.astype(float), design, sf, 0.1, 1) == pytest.approx(
        ref.pvalues[1], rel=1e-3
    )


def test_flag_logic() -> None:
    table = pd.DataFrame(
        {
            "padj": [0.001, 0.001, 0.001, 0.5, 0.04],
            "pvalue": [1e-5, 1e-5, 1e-5, 0.3, 1e-3],
            "spearman_p": [1e-4, 0.3, 1e-4, 0.9, 1e-3],
            "cooks_max": [0.1, 0.1, 40.0, 40.0, 0.2],
            "loo_p": [1e-5, 1e-5, 0.2, np.nan, 2e-3],
        }
    )
    # robust; no rank trend; carried by one sample; not called; borderline but no outlier
    assert outliers.flag(table, 0.05, 5.0).tolist() == [False, True, True, False, False]


def test_low_count_filter() -> None:
    counts = np.array([[10, 9, 0], [12, 9, 0], [15, 50, 1], [0, 9, 0]])
    assert expressed(counts, 10, 3).tolist() == [True, False, False]


def test_design_caps_and_drops_missing(caplog: pytest.LogCaptureFixture) -> None:
    pheno = pd.DataFrame(
        {"auc_imatinib": ["170", "80", "", "120", "99"], "source": ["PDX", "primary"] * 2 + [""]},
        index=["A", "B", "C", "D", "E"],
    )
    params = DeParams(covariates=("source",))
    design = design_table(pheno, pd.Index(["A", "B", "C", "D", "E", "F"]), params, "p.csv")
    assert design.index.tolist() == ["A", "B", "D"]
    assert design["auc_imatinib"].tolist() == [150.0, 80.0, 120.0]
    assert "C" in caplog.text and "E" in caplog.text and "F" in caplog.text


def test_vst_stabilises_variance() -> None:
    rng = np.random.default_rng(4)
    mean = np.repeat([5.0, 50.0, 500.0, 5000.0], 50)
    counts = rng.negative_binomial(10, 10 / (10 + mean), size=(30, mean.size))
    out = vst(counts)
    sds = out.std(axis=0).reshape(4, 50).mean(axis=1)
    assert out.shape == counts.shape
    assert sds.max() / sds.min() < 2.5  # log2(x + 1) would give ~ 4x here
    assert np.all(np.diff(out.mean(axis=0).reshape(4, 50).mean(axis=1)) > 0)


# --- bad input: one line, exit 2, nothing written ----------------------------------------


def _bad(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    counts: pd.DataFrame,
    pheno: pd.DataFrame,
    *extra: str,
) -> str:
    c, p = _write_inputs(tmp_path / "in", counts, pheno)
    out = tmp_path / "out"
    out.mkdir()
    assert _de(c, p, out, *extra) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("tkiseq: error: "), err
    assert list(out.iterdir()) == []
    return err


@pytest.fixture
def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    counts, pheno, _ = generated_cohort(n_samples=8, n_genes=60, n_auc=5, n_decoys=1)
    return counts, pheno


def test_bad_non_numeric_auc(tmp_path, capsys, small) -> None:
    counts, pheno = small
    pheno["auc_imatinib"] = pheno["auc_imatinib"].astype(str)
    pheno.loc[2, "auc_imatinib"] = "high"
    err = _bad(tmp_path, capsys, counts, pheno)
    assert "phenotypes.csv" in err and "'high'" in err and "S02" in err


def test_bad_too_few_samples_with_phenotype(tmp_path, capsys, small) -> None:
    counts, pheno = small
    pheno.loc[2:, "auc_imatinib"] = np.nan
    err = _bad(tmp_path, capsys, counts, pheno)
    assert "given for 2 of the counted samples" in err


def test_bad_duplicated_gene_ids(tmp_path, capsys, small) -> None:
    counts, pheno = small
    counts = counts.rename(index={counts.index[1]: counts.index[0]})
    err = _bad(tmp_path, capsys, counts, pheno)
    assert "counts.tsv" in err and "duplicated gene IDs" in err


@pytest.mark.parametrize(("value", "problem"), [(-3, "negative"), (2.5, "non-integer")])
def test_bad_counts(tmp_path, capsys, small, value: float, problem: str) -> None:
    counts, pheno = small
    counts = counts.astype({"S03": float})
    counts.iloc[4, counts.columns.get_loc("S03")] = value
    err = _bad(tmp_path, capsys, counts, pheno)
    assert problem in err and "S03" in err


def test_bad_sample_names_match_nothing(tmp_path, capsys, small) -> None:
    counts, pheno = small
    pheno["sample"] = "X" + pheno["sample"]
    err = _bad(tmp_path, capsys, counts, pheno)
    assert "no sample name matches" in err


def test_bad_missing_phenotype_column(tmp_path, capsys, small) -> None:
    counts, pheno = small
    err = _bad(tmp_path, capsys, counts, pheno, "--phenotype", "auc_nilotinib")
    assert "no column 'auc_nilotinib'" in err


# --- pipeline entry point and R cross-check ----------------------------------------------


@pytest.mark.slow
def test_de_on_pipeline_h5ad(tiny_run: Path, tiny_data: Path, tmp_path: Path) -> None:
    """The pipeline's AnnData is a valid input and carries the VST layer."""
    h5ad = tiny_run / "expression" / "cohort.h5ad"
    adata = ad.read_h5ad(h5ad)
    assert adata.layers["vst"].shape == adata.shape
    assert _de(h5ad, tiny_data / "phenotypes.csv", tmp_path / "de", "--min-samples", "2") == 0
    table = pd.read_csv(tmp_path / "de" / "de_auc_imatinib.tsv", sep="\t")
    assert set(table["gene_id"]) == set(adata.var_names)


R_DESEQ2 = """
suppressMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
pheno <- read.csv(args[2], row.names = 1)[colnames(counts), , drop = FALSE]
pheno$source <- factor(pheno$source)
dds <- DESeqDataSetFromMatrix(counts, pheno, ~ source + auc_imatinib)
dds <- DESeq(dds, quiet = TRUE)
res <- results(dds, name = "auc_imatinib", cooksCutoff = FALSE)
write.table(as.data.frame(res), args[3], sep = "\\t", quote = FALSE)
"""


def _r_deseq2_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "quit(status = !requireNamespace('DESeq2', quietly = TRUE))"],
        capture_output=True,
    )
    return probe.returncode == 0


def test_agrees_with_r_deseq2(tmp_path: Path) -> None:
    """Optional (Debian r-bioc-deseq2): same matrix and design as R DESeq2."""
    if not _r_deseq2_available():
        pytest.skip("R DESeq2 not installed (apt-get install r-bioc-deseq2)")
    counts, pheno, _ = generated_cohort(n_genes=500)
    pheno["auc_imatinib"] = np.minimum(pheno["auc_imatinib"], 150)
    c, p = _write_inputs(tmp_path, counts.drop(columns="gene_name"), pheno)
    (tmp_path / "deseq2.R").write_text(R_DESEQ2)
    subprocess.run(
        ["Rscript", str(tmp_path / "deseq2.R"), str(c), str(p), str(tmp_path / "r.tsv")], check=True
    )
    assert _de(c, p, tmp_path / "de", "--covariates", "source", "--min-count", "0") == 0
    ours = pd.read_csv(tmp_path / "de" / "de_auc_imatinib.tsv", sep="\t").set_index("gene_id")
    r = pd.read_csv(tmp_path / "r.tsv", sep="\t").add_prefix("r_")
    both = ours.join(r, how="inner").dropna(subset=["log2fc", "r_log2FoldChange", "r_pvalue"])
    assert np.corrcoef(both["log2fc"], both["r_log2FoldChange"])[0, 1] >= 0.999
    log_p = -np.log10(both[["pvalue", "r_pvalue"]].clip(lower=1e-300))
    assert np.corrcoef(log_p["pvalue"], log_p["r_pvalue"])[0, 1] >= 0.99


def _single_sample_outliers(seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """24 samples, AUC 56-150; genes of 10-78 reads but ~6,000 (100x) in one extreme sample.

    The real cohort this reproduces crashed DE: on the raw AUC scale PyDESeq2's fit of such a
    gene diverged (log2FC 7.1, SE and every Cook's distance NaN).
    """
    counts, pheno, _ = generated_cohort(n_samples=24, n_genes=300, n_auc=30, n_decoys=0, seed=seed)
    rng = np.random.default_rng(seed)
    auc = np.minimum(rng.uniform(56, 170, 24), 150).round(1)
    pheno["auc_imatinib"] = auc
    extreme = np.argsort(auc)[[0, 1, -1]]
    genes = list(counts.index[-6:])
    for k, gene in enumerate(genes):
        low = rng.integers(10, 79, 24)
        low[extreme[k % 3]] = 100 * int(np.median(low))
        counts.loc[gene, counts.columns[1:]] = low
    return counts, pheno, genes


def test_single_sample_outlier_is_flagged_not_a_crash(tmp_path: Path) -> None:
    counts, pheno, genes = _single_sample_outliers()
    c, p = _write_inputs(tmp_path, counts, pheno)
    assert _de(c, p, tmp_path / "de") == 0
    table = pd.read_csv(tmp_path / "de" / "de_auc_imatinib.tsv", sep="\t").set_index("gene_id")
    planted = table.loc[genes]
    fitted = planted["untested_reason"].isna()
    assert fitted.all(), planted.to_string()  # the z-scaled fit converges
    called = planted[planted["padj"] < 0.05]
    assert len(called) >= 1, planted.to_string()
    assert called["outlier_driven"].all(), called.to_string()
    assert (called["cooks_sample"].isin(pheno["sample"])).all()


def test_unfitted_genes_get_a_reason_and_no_crash() -> None:
    converged = np.array([True, False, True, True])
    se = np.array([0.1, np.nan, np.inf, 0.2])
    assert unfitted(converged, se).tolist() == [
        "",
        "GLM fit did not converge",
        "no finite standard error",
        "",
    ]
    cooks = np.array([[0.5, np.nan, 2.0], [3.0, np.nan, np.nan]])
    top, sample = most_influential(cooks, np.array(["A", "B"]))
    assert top[0] == 3.0 and np.isnan(top[1]) and top[2] == 2.0
    assert sample.tolist() == ["B", "", "A"]


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        ([1, 2, 3], [3, 2, 1], 1 / 3),  # n = 3, rho = -1: 2 of 3! orderings as extreme
        ([1, 2, 3, 4, 5, 6], [2, 4, 6, 8, 10, 12], 2 / 720),  # n = 6, rho = 1
        ([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 6, 5], 2 * 6 / 720),  # one swap: 6 of 720 as high
        ([1, 2, 3, 4], [5, 5, 5, 9], 2 * 6 / 24),  # ties: 6 of 24 pairings put 9 on rank 4
    ],
)
def test_spearman_exact_small_n(x: list[float], y: list[float], expected: float) -> None:
    _, p = outliers.spearman(np.array(y, dtype=float)[:, None], np.array(x, dtype=float))
    assert p[0] == pytest.approx(expected, rel=1e-12)
    assert outliers.spearman_method(len(x)) == "exact permutation"


def _rho(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    ry = stats.rankdata(y, axis=axis) - (len(x) + 1) / 2
    rx = stats.rankdata(x) - (len(x) + 1) / 2
    return (ry * rx).sum(axis=axis) / np.sqrt((rx**2).sum() * (ry**2).sum(axis=axis))


def test_spearman_exact_matches_permutation_test_with_ties() -> None:
    rng = np.random.default_rng(8)
    x = rng.integers(0, 5, 7).astype(float)
    expr = rng.integers(0, 4, (7, 5)).astype(float)
    _, p = outliers.spearman(expr, x)
    for g in range(5):
        ref = stats.permutation_test(
            (expr[:, g],),
            lambda y, axis: _rho(x, y, axis),
            permutation_type="pairings",
            n_resamples=np.inf,
            vectorized=True,
        )
        assert p[g] == pytest.approx(ref.pvalue, rel=1e-9)


def test_drug_with_too_few_values_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "p.csv").write_text("sample,auc_imatinib,auc_dasatinib\nA,1,\nB,2,5\nC,3,\n")
    assert phenotypes_for_de(tmp_path / "p.csv") == ["auc_imatinib"]
    assert "auc_dasatinib skipped: 1 sample(s) with a value, at least 3 needed" in caplog.text


def test_block_lin_reg_mu_matches_pydeseq2_default() -> None:
    """The VST's starting means, one least-squares solve per block, equal PyDESeq2's per-gene
    sklearn regressions (intercept-only design, and one with a covariate)."""
    from pydeseq2.default_inference import DefaultInference

    from tkiseq.expression.deseq_inference import BlockInference

    rng = np.random.default_rng(3)
    counts = rng.negative_binomial(5, 0.05, (30, 120)).astype(float)
    counts[:, :3] = 0  # genes never seen: the min_mu floor
    sf = rng.lognormal(0, 0.3, 30)
    for design in (np.ones((30, 1)), np.column_stack([np.ones(30), rng.normal(size=30)])):
        block = BlockInference(n_cpus=1).lin_reg_mu(counts, sf, design, 0.5)
        default = DefaultInference(n_cpus=1).lin_reg_mu(counts, sf, design, 0.5)
        np.testing.assert_allclose(block, default, rtol=1e-10, atol=1e-12)


def test_block_inference_matches_pydeseq2_default() -> None:
    """The vectorised fits reproduce PyDESeq2's per-gene solvers on the same data."""
    from pydeseq2.dds import DeseqDataSet
    from pydeseq2.default_inference import DefaultInference
    from pydeseq2.ds import DeseqStats

    from tkiseq.expression.deseq_inference import BlockInference

    counts, pheno, _ = generated_cohort(n_samples=16, n_genes=200, n_auc=30, n_decoys=2)
    x = counts.drop(columns="gene_name").T
    auc = np.minimum(pheno["auc_imatinib"].to_numpy(), 150)
    design = pd.DataFrame({"auc": (auc - auc.mean()) / auc.std(ddof=1)}, index=x.index)
    out = []
    for inference in (BlockInference(n_cpus=1), DefaultInference(n_cpus=1)):
        dds = DeseqDataSet(
            counts=x,
            metadata=design,
            design="~auc",
            refit_cooks=False,
            quiet=True,
            inference=inference,
        )
        dds.deseq2()
        ds = DeseqStats(
            dds, contrast=np.array([0, 1.0]), cooks_filter=False, quiet=True, inference=inference
        )
        ds.summary()
        out.append(ds.results_df.assign(disp=dds.var["genewise_dispersions"]))
    block, default = out
    np.testing.assert_allclose(block["disp"], default["disp"], rtol=1e-2, atol=1e-6)
    np.testing.assert_allclose(
        block["log2FoldChange"], default["log2FoldChange"], rtol=1e-3, atol=1e-5
    )
    np.testing.assert_allclose(block["pvalue"], default["pvalue"], rtol=5e-2, atol=1e-8)
    assert ((block["padj"] < 0.05) == (default["padj"] < 0.05)).all()


def test_tail_sums_equal_the_log_gamma_form(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dispersion search's cheap form of sum log Gamma(y + r) - log Gamma(r) (tail counts)
    gives the same losses and the same dispersions as the log-gamma form, with genes sorted
    into blocks (some short-tailed, some not) searched in two threads."""
    from tkiseq.expression import deseq_inference as di

    rng = np.random.default_rng(7)
    n = 40
    mean = rng.lognormal(2.5, 1.5, 300)
    counts = rng.negative_binomial(4, 4 / (4 + mean), (n, mean.size)).astype(float)
    counts[:, 0] = 0  # a gene never seen
    counts[:, -20:] = rng.poisson(2 * di.TAIL_FACTOR * n, (n, 20))  # too long a tail
    mu = np.maximum(counts.mean(axis=0), 0.5) * np.ones((n, 1))
    design = np.column_stack([np.ones(n), rng.normal(size=n)])
    low = np.flatnonzero(counts.max(axis=0) <= di.TAIL_FACTOR * n)
    assert 50 < low.size < mean.size
    y, m = counts[:, low], mu[:, low]
    tails = di.tail_counts(y)
    assert tails is not None and tails.shape == (int(y.max()), low.size)
    for log_alpha in (-12.0, -2.0, 0.5, 3.0):
        args = (y, m, design, np.full(low.size, log_alpha), np.zeros(low.size), None, True)
        np.testing.assert_allclose(di._objective(*args, tails), di._objective(*args), rtol=1e-9)
    assert di.tail_counts(y + 0.5) is None  # not whole counts: the log-gamma form
    assert di.tail_counts(np.full((n, 3), 2.0 * di.TAIL_FACTOR * n)) is None  # too long a tail
    hat = np.full(mean.size, 0.2)
    log_gamma = di.grid_alpha_mle(counts, mu, design, hat, 1e-8, 10.0, 0.5, True)  # one block
    monkeypatch.setattr(di, "BLOCK_CELLS", n * 40)  # blocks of 40 genes
    got, _ = di.BlockInference(n_cpus=2).alpha_mle(
        counts, design, mu, hat, 1e-8, 10.0, 0.5, True, True
    )
    np.testing.assert_allclose(got, log_gamma, rtol=1e-4)


def test_subsampled_vst_on_real_counts() -> None:
    """The VST with its trend fitted on TREND_GENES genes against the fit on every gene, on the
    20 real ALLSorts profiles (19,514 genes): measured max 0.074 (at zero counts) and 0.004 at
    VST >= 9, the expression gates' range."""
    from realdata import realdata
    from tkiseq.expression.normalise import TREND_GENES

    table = pd.read_csv(realdata("allsorts_counts") / "counts.tsv.gz", sep="\t", index_col=0)
    counts = table.select_dtypes("number").T.to_numpy(dtype=np.int64)
    assert (counts.sum(axis=0) > 0).sum() > TREND_GENES  # the subsample is used
    full, sub = vst(counts, subsample=None), vst(counts)
    gap = np.abs(sub - full)
    assert gap.max() < 0.1
    assert gap[full >= 9].max() < 0.01
