"""Variance-stabilised expression for plots, clustering and signatures (not for DE itself).

DESeq2's VST (design-blind, parametric dispersion trend, falling back to the mean dispersion
when the trend cannot be fitted, as DESeq2 does) makes log-scale values whose variance does
not depend on the mean, unlike ``log2(normalised + 1)`` which inflates low counts.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

import numpy as np
import pandas as pd
from scipy.stats import trim_mean

log = logging.getLogger(__name__)

MIN_GENES_FOR_TREND = 10  # fewer expressed genes than this cannot fit a dispersion trend
TREND_GENES = 1000  # genes DESeq2's vst() fits the dispersion trend on (its nsub)


def vst(counts: np.ndarray) -> np.ndarray:
    """DESeq2 VST of a samples x genes raw count matrix (log2-like scale, same shape).

    As DESeq2's ``vst()``, the dispersion trend is fitted on at most :data:`TREND_GENES` genes
    spread evenly over the range of mean expression, then applied to every gene: fitting each of
    60,000 genes' dispersion would take minutes and change the trend by little.
    """
    from pydeseq2.dds import DeseqDataSet
    from threadpoolctl import threadpool_limits

    from tkiseq.expression.counts import median_of_ratios

    counts = np.asarray(counts, dtype=np.int64)
    n_samples = counts.shape[0]
    expressed = counts.sum(axis=0) > 0
    if n_samples < 2 or expressed.sum() < MIN_GENES_FOR_TREND or np.all(counts == 0, axis=1).any():
        log.warning("too few samples or expressed genes for a VST; storing log2(normalised + 1)")
        return _log_normalised(counts)
    seen = counts[:, expressed]
    normed = seen / median_of_ratios(seen.astype(float))[:, None]
    trend = trend_genes(normed.mean(axis=0))
    frame = pd.DataFrame(seen[:, trend], index=[f"s{i}" for i in range(n_samples)])
    meta = pd.DataFrame({"intercept": np.ones(n_samples)}, index=frame.index)
    quiet = contextlib.redirect_stdout(io.StringIO())
    with warnings.catch_warnings(), quiet, threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        dds = DeseqDataSet(counts=frame, metadata=meta, design="~1", quiet=True, n_cpus=1)
        dds.vst_fit_type = "parametric"
        dds.vst_fit(use_design=False)
    if dds.vst_fit_type == "parametric":  # PyDESeq2's formula, on every gene
        a0, a1 = dds.uns["vst_trend_coeffs"]
        root = np.sqrt(a0 * normed * (1 + a1 + a0 * normed))
        stabilised = np.log2((1 + a1 + 2 * a0 * normed + 2 * root) / (4 * a0))
    else:  # the trend could not be fitted: the mean dispersion, as PyDESeq2 falls back
        dispersions = dds.var["vst_genewise_dispersions"]
        disp = trim_mean(dispersions[dispersions > 10 * dds.min_disp], proportiontocut=0.001)
        stabilised = (2 * np.arcsinh(np.sqrt(disp * normed)) - np.log(disp) - np.log(4)) / np.log(2)
    out = np.full(counts.shape, np.nan)
    out[:, expressed] = stabilised
    out[:, ~expressed] = np.nanmin(stabilised)  # never-seen genes sit at the floor of the scale
    return out


def trend_genes(base_mean: np.ndarray) -> np.ndarray:
    """Columns the dispersion trend is fitted on: all when few, else :data:`TREND_GENES` of
    those with a mean above 5, evenly spaced in rank of mean (DESeq2's ``vst(nsub=1000)``)."""
    candidates = np.flatnonzero(base_mean > 5)
    if len(candidates) <= TREND_GENES:
        return np.arange(len(base_mean))
    ranked = candidates[np.argsort(base_mean[candidates], kind="stable")]
    return np.sort(ranked[np.round(np.linspace(0, len(ranked) - 1, TREND_GENES)).astype(int)])


def _log_normalised(counts: np.ndarray) -> np.ndarray:
    from tkiseq.expression.counts import median_of_ratios

    sf = median_of_ratios(counts.astype(float))
    return np.log2(counts / sf[:, None] + 1.0)
