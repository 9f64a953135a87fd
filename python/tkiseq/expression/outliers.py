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


def spearman(expression: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spearman rho and two-sided p of each gene (samples x genes) against ``x``.

    Vectorised over genes; p from the t approximation as in ``scipy.stats.spearmanr``.
    Constant genes give NaN.
    """
    ranks = stats.rankdata(expression, axis=0)
    rx = stats.rankdata(x)
    rc = ranks - ranks.mean(axis=0)
    rxc = rx - rx.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (rxc @ rc) / np.sqrt((rxc**2).sum() * (rc**2).sum(axis=0))
        n = len(x)
        t = rho * np.sqrt((n - 2) / np.clip(1 - rho**2, 1e-300, None))
        p = 2 * stats.t.sf(np.abs(t), n - 2)
    return rho, p


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
