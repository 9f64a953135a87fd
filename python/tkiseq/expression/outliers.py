"""Is a DE call carried by the cohort or by one or two samples?

The core study's five genes at FDR < 0.01 were all driven by single extreme samples and did
not correlate with sensitivity. Two independent checks make that visible per gene:

- rank correlation (Spearman) of normalised expression with the phenotype: an outlier moves
  one rank, not the trend;
- leave-one-out: refit the gene without its most influential sample (largest Cook's distance)
  and ask whether it would still be called at the same BH threshold.

``outlier_driven`` = called by DESeq2 (padj < alpha) and failing either check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

COOKS_QUANTILE = 0.99  # DESeq2's cooksCutoff: F(p, m - p) at 0.99
IRLS_ITERATIONS = 50
RIDGE = 1e-6  # DESeq2's tiny ridge keeping X'WX invertible
EXACT_SPEARMAN_N = 10  # exact Spearman p up to here (2^n subsets); t approximation above
BLOCK_CELLS = 8_000_000  # samples x genes ranked at a time


def spearman(expression: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spearman rho and two-sided p of each gene (samples x genes) against ``x``.

    Vectorised over genes. Up to ``EXACT_SPEARMAN_N`` samples the p-value is exact (the
    permutation distribution, ties included: ``spearman_exact``), where ``scipy.stats.spearmanr``'s
    t approximation gives 0 for a perfect rank correlation; above it, the t approximation.
    Constant genes give NaN. Computed a block of genes at a time (ranks and their centred
    copies are samples x genes floats each: gigabytes at 2,000 samples x 50,000 genes).
    """
    rho = np.empty(expression.shape[1])
    p = np.empty(expression.shape[1])
    step = max(1, BLOCK_CELLS // max(expression.shape[0], 1))
    for lo in range(0, expression.shape[1], step):
        b = slice(lo, lo + step)
        rho[b], p[b] = _spearman_block(np.asarray(expression[:, b]), x)
    return rho, p


def _spearman_block(expression: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ranks = stats.rankdata(expression, axis=0)
    rx = stats.rankdata(x)
    rc = ranks - ranks.mean(axis=0)
    rxc = rx - rx.mean()
    n = len(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (rxc @ rc) / np.sqrt((rxc**2).sum() * (rc**2).sum(axis=0))
        if n <= EXACT_SPEARMAN_N:
            return rho, spearman_exact(ranks, rx)
        t = rho * np.sqrt((n - 2) / np.clip(1 - rho**2, 1e-300, None))
        p = 2 * stats.t.sf(np.abs(t), n - 2)
    return rho, p


def spearman_method(n: int) -> str:
    """How ``spearman`` computed its p-value for ``n`` samples (named in the DE table)."""
    return "exact permutation" if n <= EXACT_SPEARMAN_N else "t approximation"


def spearman_exact(ranks: np.ndarray, rx: np.ndarray) -> np.ndarray:
    """Exact two-sided permutation p of sum(rank_x * rank_gene) for each gene (column).

    Under the null every pairing of the n x-ranks with a gene's n ranks is equally likely, so
    the distribution depends only on the two multisets of (mid)ranks: genes with the same tie
    pattern share it. p = min(1, 2 min(P(S >= s), P(S <= s))), the convention of
    ``scipy.stats.permutation_test``.
    """
    p = np.full(ranks.shape[1], np.nan)
    doubled = np.rint(2 * ranks).astype(np.int64)  # midranks are multiples of 1/2
    x2 = np.rint(2 * rx).astype(np.int64)
    observed = x2 @ doubled
    varying = doubled.min(axis=0) != doubled.max(axis=0)
    if x2.min() == x2.max():
        return p
    genes = np.flatnonzero(varying)
    patterns, which = np.unique(np.sort(doubled[:, genes], axis=0).T, axis=0, return_inverse=True)
    for k, pattern in enumerate(patterns):
        counts = _pairing_sums(pattern, x2)
        cdf = np.cumsum(counts) / counts.sum()
        sf = np.cumsum(counts[::-1])[::-1] / counts.sum()
        these = genes[which.ravel() == k]
        s = observed[these]
        p[these] = np.minimum(1.0, 2 * np.minimum(sf[s], cdf[s]))
    return p


def _pairing_sums(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many of the n! pairings of ``a`` with ``b`` give each value of sum(a_i * b_pi(i)).

    Dynamic programming over the subsets of ``b`` already paired (2^n states, not n!). The
    sum is tabulated for (a - min a) / gcd and (b - min b) / gcd, which differs from it by a
    constant and a factor for every pairing, so the table is short; it is mapped back at the end.
    """
    n = len(a)
    a0, b0 = a - a.min(), b - b.min()
    ga, gb = max(int(np.gcd.reduce(a0)), 1), max(int(np.gcd.reduce(b0)), 1)
    a1, b1 = a0 // ga, b0 // gb
    top = int(np.sort(a1) @ np.sort(b1)) + 1
    table = np.zeros((1 << n, top), dtype=np.float64)
    table[0, 0] = 1.0
    masks = np.arange(1 << n)
    popcount = np.array([bin(m).count("1") for m in masks])
    for used in range(n):  # pair a[used] with every b not yet taken, all subsets at once
        for j in range(n):
            free = masks[(popcount == used) & (masks >> j & 1 == 0)]
            shift = int(a1[used] * b1[j])
            table[free | 1 << j, shift:] += table[free, : top - shift]
    offset = int(a.min() * b.sum() + b.min() * a.sum() - n * a.min() * b.min())
    full = np.zeros(offset + ga * gb * (top - 1) + 1)
    full[offset + ga * gb * np.arange(top)] = table[-1]
    return full


def cooks_cutoff(n_coefs: int, n_samples: int) -> float:
    """Cook's distance above which one sample dominates a gene's fit (DESeq2's default)."""
    return float(stats.f.ppf(COOKS_QUANTILE, n_coefs, n_samples - n_coefs))


def nb_wald_pvalue(
    y: np.ndarray, design: np.ndarray, size_factors: np.ndarray, dispersion: float, coef: int
) -> float:
    """Wald p of one coefficient of a negative binomial GLM with fixed dispersion (IRLS).

    The same model DESeq2 fits per gene, so dropping a sample changes only the data.
    """
    beta = np.zeros(design.shape[1])
    beta[0] = np.log(max(np.mean(y / size_factors), 0.1))
    for _ in range(IRLS_ITERATIONS):
        mu = np.clip(size_factors * np.exp(design @ beta), 0.5, None)
        w = mu / (1 + dispersion * mu)
        z = np.log(mu / size_factors) + (y - mu) / mu
        xtwx = design.T @ (design * w[:, None]) + RIDGE * np.eye(design.shape[1])
        new = np.linalg.solve(xtwx, design.T @ (w * z))
        done = np.max(np.abs(new - beta)) < 1e-8
        beta = new
        if done:
            break
    mu = np.clip(size_factors * np.exp(design @ beta), 0.5, None)
    w = mu / (1 + dispersion * mu)
    cov = np.linalg.inv(design.T @ (design * w[:, None]) + RIDGE * np.eye(design.shape[1]))
    return float(2 * stats.norm.sf(abs(beta[coef]) / np.sqrt(cov[coef, coef])))


def leave_most_influential_out(
    counts: np.ndarray,
    design: np.ndarray,
    size_factors: np.ndarray,
    dispersions: np.ndarray,
    cooks: np.ndarray,
    genes: np.ndarray,
    coef: int,
) -> np.ndarray:
    """Wald p of ``genes`` (column indices) refitted without each one's top-Cook's sample."""
    out = np.full(counts.shape[1], np.nan)
    keep = np.ones(counts.shape[0], dtype=bool)
    for g in genes:
        if not np.isfinite(cooks[:, g]).any():
            continue
        keep[:] = True
        keep[np.nanargmax(cooks[:, g])] = False
        out[g] = nb_wald_pvalue(
            counts[keep, g], design[keep], size_factors[keep], dispersions[g], coef
        )
    return out


def flag(table: pd.DataFrame, alpha: float, cooks_limit: float) -> pd.Series:
    """``outlier_driven``: padj < alpha, but no rank correlation or carried by one sample.

    "Carried by one sample": that sample's Cook's distance exceeds ``cooks_limit`` and without
    it the leave-one-out p exceeds the largest p still called at this BH threshold. (Dropping
    any sample costs a borderline gene a little power; only an influential one counts.)
    """
    called = table["padj"] < alpha
    if not called.any():
        return pd.Series(False, index=table.index)
    p_threshold = table.loc[called, "pvalue"].max()
    no_trend = ~(table["spearman_p"] < alpha)
    not_robust = (table["cooks_max"] > cooks_limit) & (table["loo_p"] > p_threshold)
    return called & (no_trend | not_robust)
