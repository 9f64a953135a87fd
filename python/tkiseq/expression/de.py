"""Differential expression against a continuous drug-response phenotype (PyDESeq2).

Design ``~ covariates + phenotype`` with the phenotype (default imatinib AUC, capped at 150 as
in the core study) as a continuous term, fitted as its z-score: on the raw scale (values up
to 150) a gene carried by one extreme sample makes PyDESeq2's IRLS leave its bounds and the
fallback optimiser return an overflowing fit. The Wald test of the coefficient is the same on
either scale; the table reports log2 fold change per AUC unit and per SD. As R DESeq2 does
for designs without replicated cells, counts are neither replaced nor p-values removed for
Cook's outliers: instead each call is checked for robustness (``tkiseq.expression.outliers``)
and flagged, so nothing disappears silently.

Low-count filter (the DESeq2 vignette's pre-filter): a gene is tested if it has at least
``min_count`` raw reads in at least ``min_samples`` samples; genes below it are reported with
empty statistics and the reason in ``untested_reason``. DESeq2's independent filtering then
applies to the BH adjustment as usual.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tkiseq import tables
from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.expression import ALPHA, outliers
from tkiseq.inputs.count_matrix import CountMatrix, read_counts
from tkiseq.inputs.phenotypes import MIN_SAMPLES, read_phenotypes
from tkiseq.response import AUC_CAP
from tkiseq.stage_options import option, positive_int

matplotlib.use("Agg")
log = logging.getLogger(__name__)

COLUMNS = tables.columns("de")
TOP_GENES = 9  # drawn in top_genes_<phenotype>.png


@dataclass(frozen=True)
class DeParams:
    """What to test and how; defaults follow the core study and the DESeq2 vignette."""

    phenotype: str = option("auc_imatinib", help="numeric column to test")
    covariates: tuple[str, ...] = option((), help="comma-separated extra design terms")
    cap: float | None = option(
        AUC_CAP,
        help="cap the phenotype at this value (0: no cap)",
        from_cli=lambda cap: cap if cap > 0 else None,
    )
    min_count: int = option(10, help="low-count filter: a gene needs this many reads ...")
    min_samples: int = option(3, help="... in at least this many samples")
    alpha: float = option(
        ALPHA, help="adjusted p-value threshold (independent filtering, significance)"
    )
    threads: int = option(1, type=positive_int, help="PyDESeq2 worker processes")


def design_table(
    phenotypes: pd.DataFrame, samples: pd.Index, params: DeParams, path: str | Path
) -> pd.DataFrame:
    """Samples (in count-matrix order) with a usable phenotype and covariates, AUC capped.

    ``phenotypes`` is read as text so that a non-numeric AUC is reported, not coerced.
    Samples lacking any value are dropped with a warning that names them.
    """
    for column in (params.phenotype, *params.covariates):
        if column not in phenotypes.columns:
            raise InputError(
                path, f"no column {column!r}", hint=f"columns: {', '.join(phenotypes.columns)}"
            )
    common = [s for s in samples if s in phenotypes.index]
    if not common:
        raise InputError(
            path,
            "no sample name matches the count matrix",
            hint=f"counts have {', '.join(samples[:3])}...; "
            f"phenotypes have {', '.join(phenotypes.index[:3].astype(str))}...",
        )
    table = phenotypes.loc[common, [*params.covariates, params.phenotype]].copy()
    raw = table[params.phenotype].str.strip().replace("", np.nan)
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna() & ~raw.str.upper().isin(["NA", "NAN"])
    if bad.any():
        sample = bad.index[bad][0]
        raise InputError(
            path,
            f"non-numeric {params.phenotype} {raw[sample]!r} for sample {sample}",
            column=params.phenotype,
            hint="leave the cell empty if it is unknown",
        )
    table[params.phenotype] = values
    for column in params.covariates:
        text = table[column].str.strip().replace("", np.nan)
        numbers = pd.to_numeric(text, errors="coerce")
        table[column] = numbers if numbers.notna().equals(text.notna()) else text
    missing_rows = [s for s in samples if s not in phenotypes.index]
    missing_values = table.index[table.isna().any(axis=1)].tolist()
    table = table.dropna()
    if len(table) < MIN_SAMPLES:
        raise InputError(
            path,
            f"{params.phenotype} is given for {len(table)} of the counted samples",
            column=params.phenotype,
            hint=f"at least {MIN_SAMPLES} are needed",
        )
    if missing_rows or missing_values:
        log.warning(
            "differential expression: %d sample(s) left out for lack of %s: %s",
            len(missing_rows) + len(missing_values),
            " / ".join([params.phenotype, *params.covariates]),
            ", ".join(missing_rows + missing_values),
        )
    if params.cap is not None:
        table[params.phenotype] = table[params.phenotype].clip(upper=params.cap)
    if table[params.phenotype].std() == 0:
        raise InputError(path, "the same value for every sample", column=params.phenotype)
    return table


def expressed(counts: np.ndarray, min_count: int, min_samples: int) -> np.ndarray:
    """Genes (columns of samples x genes raw counts) worth testing: the vignette's pre-filter."""
    return (counts >= min_count).sum(axis=0) >= min(min_samples, counts.shape[0])


@dataclass
class DeFit:
    """What PyDESeq2 leaves behind that the outlier checks and plots need (tested genes)."""

    results: pd.DataFrame  # base_mean, log2fc (per fitted unit), lfc_se, stat, pvalue, padj
    counts: np.ndarray  # samples x genes, raw (PyDESeq2's own copy)
    normalised: np.ndarray  # samples x genes
    cooks: np.ndarray  # samples x genes
    size_factors: np.ndarray
    dispersions: np.ndarray
    design: np.ndarray  # samples x coefficients
    coef: int  # index of the phenotype's coefficient


def _kept_cooks_class() -> type:
    """PyDESeq2's DeseqDataSet with ``low_memory`` (layers dropped once used: ``_mu_hat`` before
    the LFC fit, a samples x genes float array less at the peak) but Cook's distances kept,
    which ``low_memory`` also drops and the outlier checks need."""
    from pydeseq2.dds import DeseqDataSet

    class KeptCooks(DeseqDataSet):  # type: ignore[misc]
        def cooks_outlier(self) -> pd.Series:
            cooks = self.layers["cooks"]
            try:
                return super().cooks_outlier()
            finally:
                self.layers["cooks"] = cooks

    return KeptCooks


def fit_deseq(
    counts: pd.DataFrame, design: pd.DataFrame, phenotype: str, alpha: float, threads: int
) -> DeFit:
    """PyDESeq2 with ``~ covariates + phenotype``; Wald test of the phenotype's coefficient.

    A gene whose fit did not converge (or left no finite standard error) gets NA statistics
    and its reason in ``untested_reason``; it is left out of the BH adjustment, never a crash.
    """
    from pydeseq2.ds import DeseqStats
    from threadpoolctl import threadpool_limits

    from tkiseq.expression.deseq_inference import BlockInference

    _KeptCooks = _kept_cooks_class()
    inference = BlockInference(n_cpus=threads)
    formula = "~" + " + ".join(design.columns)
    # The fits run over blocks of genes (BlockInference); the few genes PyDESeq2's own per-gene
    # solver takes over go to its workers, where multi-threaded BLAS only adds overhead.
    quiet = contextlib.redirect_stdout(io.StringIO())
    with warnings.catch_warnings(), quiet, threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        dds = _KeptCooks(
            counts=counts,
            metadata=design,
            design=formula,
            refit_cooks=False,
            quiet=True,
            inference=inference,
            low_memory=True,
        )
        del counts  # PyDESeq2 holds its own copy: the caller passes a temporary
        dds.deseq2()
        for name in ("_mu_hat", "_mu_LFC", "_hat_diagonals"):  # samples x genes, used up
            for store in (dds.layers, dds.obsm):
                if name in store:
                    del store[name]
        columns = list(dds.obsm["design_matrix"].columns)
        contrast = np.array([1.0 if c == phenotype else 0.0 for c in columns])
        ds = DeseqStats(
            dds,
            contrast=contrast,
            alpha=alpha,
            cooks_filter=False,
            quiet=True,
            inference=inference,
        )
        ds.run_wald_test()
        reason = unfitted(dds.var["_LFC_converged"].to_numpy(), ds.SE.to_numpy())
        bad = reason != ""
        for values in (ds.p_values, ds.statistics, ds.SE):
            values[bad] = np.nan
        ds.summary()  # BH adjustment (with independent filtering) of the fitted genes only
    res = ds.results_df.rename(
        columns={"baseMean": "base_mean", "log2FoldChange": "log2fc", "lfcSE": "lfc_se"}
    )
    res.loc[bad, "log2fc"] = np.nan
    res["untested_reason"] = reason
    cooks = np.asarray(dds.layers["cooks"], dtype=float)  # dds is ours: no copy
    cooks[:, bad] = np.nan
    return DeFit(
        results=res[["base_mean", "log2fc", "lfc_se", "stat", "pvalue", "padj", "untested_reason"]],
        counts=np.asarray(dds.X),
        normalised=np.asarray(dds.layers["normed_counts"]),
        cooks=cooks,
        size_factors=np.asarray(dds.obs["size_factors"]),
        dispersions=np.asarray(dds.var["dispersions"]),
        design=dds.obsm["design_matrix"].to_numpy(dtype=float),
        coef=columns.index(phenotype),
    )


def unfitted(converged: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Per gene, why its Wald test cannot be trusted ("" when it can)."""
    converged = pd.array(converged, dtype="boolean").fillna(False).to_numpy(dtype=bool)
    reason = np.full(len(se), "", dtype=object)
    reason[~np.isfinite(se)] = "no finite standard error"
    reason[~converged] = "GLM fit did not converge"
    return reason


def most_influential(cooks: np.ndarray, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest Cook's distance per gene and its sample (NaN and "" where none is finite)."""
    finite = np.isfinite(cooks).any(axis=0)
    top = np.where(finite, np.nanmax(np.where(np.isfinite(cooks), cooks, -np.inf), axis=0), np.nan)
    which = np.argmax(np.where(np.isfinite(cooks), cooks, -np.inf), axis=0)
    return top, np.where(finite, samples[which], "")


def differential_expression(
    matrix: CountMatrix, design: pd.DataFrame, params: DeParams
) -> tuple[pd.DataFrame, DeFit]:
    """The DE table (all genes, ``COLUMNS`` order, sorted by p) and the fit behind it."""
    genes = matrix.counts.index
    # the vignette's pre-filter on the genes x samples matrix as read, then one samples x genes
    # copy of the genes kept (a transposed copy of all genes first cost a gigabyte at 2,000)
    keep = expressed(matrix.counts[design.index].to_numpy().T, params.min_count, params.min_samples)
    if not keep.any():
        raise InputError(
            matrix.source,
            f"no gene has >= {params.min_count} reads in >= {params.min_samples} samples",
            hint="lower --min-count or check the matrix",
        )
    auc = design[params.phenotype].to_numpy(dtype=float)
    sd = float(np.std(auc, ddof=1))
    fitted = design.copy()
    fitted[params.phenotype] = (auc - auc.mean()) / sd  # on the raw scale IRLS diverges
    fit = fit_deseq(  # a temporary: no second samples x genes copy lives through the fit
        matrix.counts.loc[keep, design.index].T,
        fitted,
        params.phenotype,
        params.alpha,
        params.threads,
    )
    res = fit.results.copy()
    res["log2fc_per_sd"] = res["log2fc"]
    res["log2fc"] = res["log2fc"] / sd
    res["lfc_se"] = res["lfc_se"] / sd
    res["spearman_rho"], res["spearman_p"] = outliers.spearman(fit.normalised, auc)
    res["spearman_method"] = outliers.spearman_method(len(auc))
    res["cooks_max"], res["cooks_sample"] = most_influential(fit.cooks, design.index.to_numpy())
    called = np.flatnonzero((res["padj"] < params.alpha).to_numpy())
    res["loo_p"] = outliers.leave_most_influential_out(
        fit.counts,
        fit.design,
        fit.size_factors,
        fit.dispersions,
        fit.cooks,
        called,
        fit.coef,
    )
    limit = outliers.cooks_cutoff(fit.design.shape[1], fit.design.shape[0])
    res["outlier_driven"] = outliers.flag(res, params.alpha, limit)

    table = res.reindex(genes)
    table["outlier_driven"] = table["outlier_driven"].eq(True)  # untested genes: False
    table["untested_reason"] = table["untested_reason"].fillna(
        f"fewer than {params.min_samples} samples with >= {params.min_count} reads"
    )
    table.insert(0, "gene_name", matrix.gene_names.reindex(genes).to_numpy())
    table.index.name = "gene_id"
    table = table.reset_index()[COLUMNS]
    return table.sort_values(["pvalue", "gene_id"], na_position="last", kind="stable"), fit


def run(counts: list[Path], phenotypes: Path, params: DeParams, outdir: Path) -> Path:
    """``tkiseq de``: read, test, flag, then write table and plots (nothing on bad input)."""
    for path in counts:
        if not path.exists():
            raise InputError(path, "file not found")
    matrix = read_counts(counts)
    pheno = read_phenotypes(phenotypes)
    design = design_table(pheno, matrix.counts.columns, params, phenotypes)
    table, fit = differential_expression(matrix, design, params)
    log.info(
        "%s: %d genes tested, %d at padj < %g, %d of them outlier-driven",
        params.phenotype,
        int(table["pvalue"].notna().sum()),
        int((table["padj"] < params.alpha).sum()),
        params.alpha,
        int(table["outlier_driven"].sum()),
    )
    shown = table.dropna(subset=["pvalue"])["gene_id"].head(TOP_GENES)  # only what is drawn
    expression = matrix.counts.loc[shown, design.index].T / fit.size_factors[:, None]
    name = params.phenotype
    with atomic_path(outdir / f"volcano_{name}.png") as tmp:
        volcano(table, params.alpha, name).savefig(tmp, dpi=120)
    with atomic_path(outdir / f"top_genes_{name}.png") as tmp:
        top_genes(table, expression, design[name], params.alpha).savefig(tmp, dpi=120)
    dest = outdir / f"de_{name}.tsv"
    with atomic_path(dest) as tmp:  # last: the table's presence means the stage finished
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    return dest


def volcano(table: pd.DataFrame, alpha: float, phenotype: str) -> Figure:
    """Effect per SD against -log10 p; outlier-driven calls in red and named."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5))
    t = table.dropna(subset=["pvalue"])
    y = -np.log10(t["pvalue"].clip(lower=1e-300))
    called = (t["padj"] < alpha).to_numpy()
    flagged = t["outlier_driven"].to_numpy()
    robust = called & ~flagged
    ax.scatter(t["log2fc_per_sd"][~called], y[~called], s=4, c="0.7", label="not called")
    ax.scatter(t["log2fc_per_sd"][robust], y[robust], s=8, c="tab:blue", label="called")
    ax.scatter(t["log2fc_per_sd"][flagged], y[flagged], s=14, c="tab:red", label="outlier-driven")
    for _, row in t[flagged].head(15).iterrows():
        ax.annotate(row["gene_name"], (row["log2fc_per_sd"], -np.log10(row["pvalue"])), fontsize=7)
    ax.set_xlabel(f"log2 fold change per SD of {phenotype}")
    ax.set_ylabel("-log10 p")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def top_genes(
    table: pd.DataFrame, expression: pd.DataFrame, x: pd.Series, alpha: float, n: int = TOP_GENES
) -> Figure:
    """Normalised expression against the phenotype for the top calls, so outliers show."""
    import matplotlib.pyplot as plt

    top = table.dropna(subset=["pvalue"]).head(n)
    cols = 3
    rows = max(1, int(np.ceil(len(top) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False)
    for ax, (_, row) in zip(axes.flat, top.iterrows(), strict=False):
        ax.scatter(x, np.log2(expression[row["gene_id"]] + 1), s=10)
        status = "outlier-driven" if row["outlier_driven"] else f"padj {row['padj']:.2g}"
        colour = "tab:red" if row["outlier_driven"] else "black"
        ax.set_title(f"{row['gene_name']} ({status})", fontsize=8, color=colour)
        ax.set_xlabel(str(x.name), fontsize=7)
        ax.set_ylabel("log2(normalised + 1)", fontsize=7)
    for ax in list(axes.flat)[len(top) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig
