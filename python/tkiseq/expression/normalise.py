"""Variance-stabilised expression for plots, clustering and signatures (not for DE itself).

DESeq2's VST (design-blind, parametric dispersion trend, falling back to the mean dispersion
when the trend cannot be fitted, as DESeq2 does) makes log-scale values whose variance does
not depend on the mean, unlike ``log2(normalised + 1)`` which inflates low counts.

As in DESeq2's ``vst()``, the dispersion trend is fitted on a subsample of genes evenly spaced
over the sorted mean expression, then applied to every gene: the trend is a two-parameter
curve, and fitting every gene's dispersion first cost minutes and gigabytes at 2,000 samples x
60,000 genes. DESeq2 draws 1,000 genes with a mean count above 5; on real counts that moved the
VST of low counts by up to 2.3 (log2 scale) against the fit on all genes, because the trend's
asymptote then ignores the many low-count genes. Drawn from every expressed gene,
``TREND_GENES`` = 3,000 moved it by at most 0.14 at zero counts and 0.004 at VST >= 9, where the
expression gates are (``tests/test_de.py::test_subsampled_vst_on_real_counts``).
A matrix with no more expressed genes than that is fitted on all of them, as before.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

MIN_GENES_FOR_TREND = 10  # fewer expressed genes than this cannot fit a dispersion trend
TREND_GENES = 3000  # genes the VST's dispersion trend is fitted on
BLOCK_CELLS = 8_000_000  # samples x genes transformed at a time: no full-size temporaries


def gene_blocks(n_samples: int, n_genes: int) -> list[slice]:
    """Column slices of at most ``BLOCK_CELLS`` cells."""
    step = max(1, BLOCK_CELLS // max(n_samples, 1))
    return [slice(i, min(i + step, n_genes)) for i in range(0, n_genes, step)]


def median_of_ratios(counts: np.ndarray) -> np.ndarray:
    """DESeq2 size factors for a samples x genes matrix (genes with a zero are skipped)."""
    expressed = np.all(counts > 0, axis=0)
    if not expressed.any():
        return np.ones(counts.shape[0])
    logs = np.log(counts[:, expressed])
    return np.exp(np.median(logs - logs.mean(axis=0), axis=1))


def trend_genes(means: np.ndarray, n: int = TREND_GENES) -> np.ndarray | None:
    """Columns of ``n`` expressed genes (mean > 0) evenly spaced over their sorted means (as
    DESeq2's ``vst()`` subsample); None when there are no more than ``n`` of them."""
    candidates = np.flatnonzero(means > 0)
    if candidates.size <= n:
        return None
    order = candidates[np.argsort(means[candidates], kind="stable")]
    return order[np.round(np.linspace(0, order.size - 1, n)).astype(int)]


def vst(
    counts: np.ndarray, dtype: type = np.float64, subsample: int | None = TREND_GENES
) -> np.ndarray:
    """DESeq2 VST of a samples x genes raw count matrix (log2-like scale, same shape), its trend
    fitted on ``subsample`` genes (None: on every expressed gene)."""
    counts = np.asarray(counts)
    n_samples = counts.shape[0]
    expressed = counts.sum(axis=0) > 0
    if n_samples < 2 or expressed.sum() < MIN_GENES_FOR_TREND or np.all(counts == 0, axis=1).any():
        log.warning("too few samples or expressed genes for a VST; storing log2(normalised + 1)")
        return _log_normalised(counts).astype(dtype)
    if not np.all(counts[:, expressed] > 0, axis=0).any():
        return _whole_vst(counts, expressed).astype(dtype)  # PyDESeq2's iterative size factors
    sf = median_of_ratios(counts)
    means = np.zeros(counts.shape[1])
    for b in gene_blocks(*counts.shape):
        means[b] = (counts[:, b] / sf[:, None]).mean(axis=0)
    fit = None if subsample is None else trend_genes(means, subsample)
    columns = np.flatnonzero(expressed) if fit is None else fit
    transform = _fitted_transform(np.asarray(counts[:, columns], dtype=np.int64), sf)
    out: np.ndarray = np.empty(counts.shape, dtype=dtype)
    floor = np.inf
    for b in gene_blocks(*counts.shape):
        out[:, b] = transform(counts[:, b] / sf[:, None])
        if expressed[b].any():
            floor = min(floor, float(out[:, b][:, expressed[b]].min()))
    out[:, ~expressed] = floor  # never-seen genes sit at the floor of the scale
    return out


def _fitted_transform(counts: np.ndarray, sf: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """PyDESeq2's design-blind genewise dispersions and trend on these genes, with the cohort's
    size factors; returned as the VST of normalised counts that trend implies."""
    from pydeseq2.dds import DeseqDataSet
    from scipy.stats import trim_mean
    from threadpoolctl import threadpool_limits

    frame = pd.DataFrame(counts, index=[f"s{i}" for i in range(counts.shape[0])])
    meta = pd.DataFrame({"intercept": np.ones(counts.shape[0])}, index=frame.index)
    quiet = contextlib.redirect_stdout(io.StringIO())
    with warnings.catch_warnings(), quiet, threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        dds = DeseqDataSet(counts=frame, metadata=meta, design="~1", quiet=True, n_cpus=1)
        dds.obs["size_factors"] = sf
        dds.layers["normed_counts"] = counts / sf[:, None]
        dds.var["_normed_means"] = dds.layers["normed_counts"].mean(axis=0)
        dds.vst_fit_type = "parametric"
        dds.fit_genewise_dispersions(vst=True)
        dds.fit_dispersion_trend(vst=True)  # sets vst_fit_type "mean" when the trend fails
    if dds.vst_fit_type == "parametric":
        a0, a1 = (float(v) for v in dds.uns["vst_trend_coeffs"])

        def parametric(q: np.ndarray) -> np.ndarray:
            root = 2 * np.sqrt(a0 * q * (1 + a1 + a0 * q))
            return np.log2((1 + a1 + 2 * a0 * q + root) / (4 * a0))

        return parametric
    disp = dds.var["vst_genewise_dispersions"]
    mean_disp = float(trim_mean(disp[disp > 10 * dds.min_disp], proportiontocut=0.001))

    def mean(q: np.ndarray) -> np.ndarray:
        stabilised = 2 * np.arcsinh(np.sqrt(mean_disp * q)) - np.log(mean_disp) - np.log(4)
        return np.asarray(stabilised / np.log(2))

    return mean


def _whole_vst(counts: np.ndarray, expressed: np.ndarray) -> np.ndarray:
    """PyDESeq2's own ``vst`` on every expressed gene: for a matrix where every gene has a zero,
    whose size factors PyDESeq2 fits iteratively."""
    from pydeseq2.dds import DeseqDataSet
    from threadpoolctl import threadpool_limits

    n_samples = counts.shape[0]
    frame = pd.DataFrame(counts[:, expressed], index=[f"s{i}" for i in range(n_samples)])
    meta = pd.DataFrame({"intercept": np.ones(n_samples)}, index=frame.index)
    quiet = contextlib.redirect_stdout(io.StringIO())
    with warnings.catch_warnings(), quiet, threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        dds = DeseqDataSet(counts=frame, metadata=meta, design="~1", quiet=True, n_cpus=1)
        dds.vst(use_design=False, fit_type="parametric")
        stabilised = np.asarray(dds.layers["vst_counts"])
    out = np.full(counts.shape, np.nan)
    out[:, expressed] = stabilised
    out[:, ~expressed] = np.nanmin(stabilised)
    return out


def _log_normalised(counts: np.ndarray) -> np.ndarray:
    sf = median_of_ratios(counts.astype(float))
    return np.log2(counts / sf[:, None] + 1.0)
