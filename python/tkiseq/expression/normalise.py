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

log = logging.getLogger(__name__)

MIN_GENES_FOR_TREND = 10  # fewer expressed genes than this cannot fit a dispersion trend


def median_of_ratios(counts: np.ndarray) -> np.ndarray:
    """DESeq2 size factors for a samples x genes matrix (genes with a zero are skipped)."""
    expressed = np.all(counts > 0, axis=0)
    if not expressed.any():
        return np.ones(counts.shape[0])
    logs = np.log(counts[:, expressed])
    return np.exp(np.median(logs - logs.mean(axis=0), axis=1))


def vst(counts: np.ndarray) -> np.ndarray:
    """DESeq2 VST of a samples x genes raw count matrix (log2-like scale, same shape)."""
    from pydeseq2.dds import DeseqDataSet
    from threadpoolctl import threadpool_limits

    counts = np.asarray(counts, dtype=np.int64)
    n_samples = counts.shape[0]
    expressed = counts.sum(axis=0) > 0
    if n_samples < 2 or expressed.sum() < MIN_GENES_FOR_TREND or np.all(counts == 0, axis=1).any():
        log.warning("too few samples or expressed genes for a VST; storing log2(normalised + 1)")
        return _log_normalised(counts)
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
    out[:, ~expressed] = np.nanmin(stabilised)  # never-seen genes sit at the floor of the scale
    return out


def _log_normalised(counts: np.ndarray) -> np.ndarray:
    sf = median_of_ratios(counts.astype(float))
    return np.log2(counts / sf[:, None] + 1.0)
