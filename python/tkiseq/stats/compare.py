"""Statistical tests as tidy rows: one function per test kind, results straight from scipy
and scikit-posthocs, plus the effect size each row reports.

Effects: Mann-Whitney U: rank-biserial correlation 2U/(n1 n2) - 1 of ``group`` against
``reference_group`` (positive: the group ranks higher); Kruskal-Wallis: epsilon squared
H / (n - 1); Dunn: difference of group medians (group - reference); Spearman: rho.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import scikit_posthocs as sp
from scipy import stats

from tkiseq import tables

COLUMNS = tables.columns("associations")
NA = float("nan")


def row(analysis: str, variable: str, eligibility: str, **fields: object) -> dict[str, object]:
    """A result row with every column; unset numbers are NA, unset text empty."""
    out: dict[str, object] = dict.fromkeys(COLUMNS, NA)
    out.update(analysis=analysis, variable=variable, eligibility=eligibility, note="")
    out.update(group="", reference_group="", method="")
    out.update(fields)
    return out


def mann_whitney(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Two-sided Mann-Whitney U of x vs y: U (of x), rank-biserial effect, p (scipy default)."""
    res = stats.mannwhitneyu(x, y, alternative="two-sided")
    return float(res.statistic), 2 * float(res.statistic) / (len(x) * len(y)) - 1, float(res.pvalue)


def kruskal(groups: list[np.ndarray]) -> tuple[float, float, float]:
    """Kruskal-Wallis H, epsilon squared, p."""
    res = stats.kruskal(*groups)
    n = sum(len(g) for g in groups)
    return float(res.statistic), float(res.statistic) / (n - 1), float(res.pvalue)


def dunn(
    values: pd.Series, labels: pd.Series, order: list[str], p_adjust: str
) -> list[tuple[str, str, float, float]]:
    """Dunn's pairwise tests: (group, reference, z, adjusted p) for every pair in ``order``.

    z uses mean ranks of the pooled sample with the tie correction (Dunn 1964); the p-values
    are scikit-posthocs' ``posthoc_dunn`` with ``p_adjust`` applied over the pairs.
    """
    frame = pd.DataFrame({"v": values.to_numpy(), "g": labels.to_numpy()})
    p = sp.posthoc_dunn(frame, val_col="v", group_col="g", p_adjust=p_adjust)
    ranks = stats.rankdata(frame["v"])
    n = len(ranks)
    _, ties = np.unique(frame["v"], return_counts=True)
    tie = float(np.sum(ties**3 - ties)) / (12 * (n - 1))
    mean_rank = pd.Series(ranks).groupby(frame["g"].to_numpy()).mean()
    size = frame["g"].value_counts()
    out = []
    for a, b in combinations(order, 2):
        se = np.sqrt((n * (n + 1) / 12 - tie) * (1 / size[a] + 1 / size[b]))
        out.append((a, b, float((mean_rank[a] - mean_rank[b]) / se), float(p.loc[a, b])))
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman rho and two-sided p."""
    res = stats.spearmanr(x, y)
    return float(res.statistic), float(res.pvalue)


def bh(pvalues: pd.Series) -> pd.Series:
    """Benjamini-Hochberg over the non-missing p-values (scipy false_discovery_control)."""
    out = pd.Series(NA, index=pvalues.index)
    have = pvalues.notna()
    if have.any():
        out[have] = stats.false_discovery_control(pvalues[have].to_numpy(float), method="bh")
    return out
