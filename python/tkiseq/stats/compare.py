"""Statistical tests as tidy rows: one function per test kind, plus the effect size each
row reports.

Effects: Mann-Whitney U: rank-biserial correlation 2U/(n1 n2) - 1 of ``group`` against
``reference_group`` (positive: the group ranks higher); Kruskal-Wallis: epsilon squared
H / (n - 1); Dunn: difference of group medians (group - reference); Spearman: rho.

p-values at small n: the large-sample approximations scipy uses (Spearman's t, the normal U
with tie correction, chi-squared H, Dunn's normal z) are wrong for a handful of samples
(Spearman's t gives p = 0 for rho = -1 at n = 3, where the exact p is 1/3). Up to
``SMALL_N`` samples in a test, the p-value comes from the permutation distribution of the
statistic itself instead (scipy ``permutation_test`` on the pooled mid-ranks, so ties are
handled as observed): exact, over every distinct arrangement, when there are at most
``RESAMPLES`` of them; otherwise from ``RESAMPLES`` random arrangements (fixed seed), where
p = (b + 1) / (R + 1) and a p at that floor is a bound (``p <= 1/(R+1)``). Each row's
``method`` names which was used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import scikit_posthocs as sp
from scipy import stats
from statsmodels.stats.multitest import multipletests

from tkiseq import tables

COLUMNS = tables.columns("associations")
NA = float("nan")
SMALL_N = 30  # tests with at most this many samples get permutation p-values
RESAMPLES = 99_999  # arrangements drawn when there are more distinct ones than this
SEED = 20_240_611


@dataclass(frozen=True)
class Test:
    """One test's statistic, p-value and how the p was obtained."""

    statistic: float
    pvalue: float
    method: str  # how the p was obtained, for the ``method`` column
    bound: bool = False  # p is the Monte Carlo floor 1/(R+1): the true p is at most this

    def note(self) -> str:
        return f"p is a bound: p <= {self.pvalue:.2g} (no random arrangement as extreme)" * (
            self.bound
        )


def _permutation(
    data: tuple[np.ndarray, ...], statistic, kind: str, arrangements: int, name: str
) -> Test:
    """scipy's permutation test (two-sided), exact when ``arrangements`` <= RESAMPLES."""
    res = stats.permutation_test(
        data,
        statistic,
        permutation_type=kind,
        vectorized=True,
        n_resamples=RESAMPLES,
        alternative="two-sided",
        random_state=np.random.default_rng(SEED),
    )
    p = min(1.0, float(res.pvalue))
    if arrangements <= RESAMPLES:
        return Test(float(res.statistic), p, f"{name}, exact (all {arrangements:,} arrangements)")
    method = f"{name}, permutation ({RESAMPLES:,} random arrangements)"
    floor = 2 / (RESAMPLES + 1)  # two-sided: twice the one-sided floor
    return Test(float(res.statistic), p, method, bound=p <= floor * (1 + 1e-9))


def _multinomial(sizes: list[int]) -> int:
    """Distinct ways to deal ``sum(sizes)`` labelled values into groups of these sizes."""
    out, left = 1, sum(sizes)
    for k in sizes:
        out *= math.comb(left, k)
        left -= k
    return out


def row(analysis: str, variable: str, eligibility: str, **fields: object) -> dict[str, object]:
    """A result row with every column; unset numbers are NA, unset text empty."""
    out: dict[str, object] = dict.fromkeys(COLUMNS, NA)
    out.update(analysis=analysis, variable=variable, eligibility=eligibility, note="")
    out.update(group="", reference_group="", method="")
    out.update(fields)
    return out


def mann_whitney(x: np.ndarray, y: np.ndarray) -> tuple[float, float, Test]:
    """Two-sided Mann-Whitney U of x vs y: U (of x), rank-biserial effect, the test.

    Small n: U's permutation distribution over the pooled mid-ranks (ties as observed);
    otherwise scipy's normal approximation with the tie correction.
    """
    n1, n2 = len(x), len(y)
    u = float(stats.mannwhitneyu(x, y, alternative="two-sided").statistic)
    effect = 2 * u / (n1 * n2) - 1
    if n1 + n2 > SMALL_N:
        p = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
        return u, effect, Test(u, p, "Mann-Whitney U, two-sided, normal approximation (scipy)")
    ranks = stats.rankdata(np.concatenate([x, y]))
    offset = n1 * (n1 + 1) / 2

    def u_of_x(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.sum(a, axis=axis) - offset

    test = _permutation(
        (ranks[:n1], ranks[n1:]),
        u_of_x,
        "independent",
        math.comb(n1 + n2, n1),
        "Mann-Whitney U, two-sided",
    )
    return u, effect, test


def kruskal(groups: list[np.ndarray]) -> tuple[float, float, Test]:
    """Kruskal-Wallis H, epsilon squared, the test (small n: H's permutation distribution)."""
    h = float(stats.kruskal(*groups).statistic)
    n = sum(len(g) for g in groups)
    effect = h / (n - 1)
    if n > SMALL_N:
        p = float(stats.kruskal(*groups).pvalue)
        return h, effect, Test(h, p, "Kruskal-Wallis, chi-squared approximation (scipy)")
    pooled = np.concatenate(groups)
    ranks = stats.rankdata(pooled)
    _, ties = np.unique(pooled, return_counts=True)
    correction = 1 - float(np.sum(ties**3 - ties)) / (n**3 - n)
    sizes = [len(g) for g in groups]
    split = np.cumsum(sizes)[:-1]

    def h_of(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
        total = sum(np.sum(s, axis=axis) ** 2 / s.shape[axis] for s in samples)
        return (12 / (n * (n + 1)) * total - 3 * (n + 1)) / correction

    # H is never below 0, so "greater" is the test; two-sided would double it.
    res = stats.permutation_test(
        tuple(np.split(ranks, split)),
        h_of,
        permutation_type="independent",
        vectorized=True,
        n_resamples=RESAMPLES,
        alternative="greater",
        random_state=np.random.default_rng(SEED),
    )
    arrangements = _multinomial(sizes)
    p = float(res.pvalue)
    if arrangements <= RESAMPLES:
        return h, effect, Test(h, p, f"Kruskal-Wallis, exact (all {arrangements:,} arrangements)")
    method = f"Kruskal-Wallis, permutation ({RESAMPLES:,} random arrangements)"
    return h, effect, Test(h, p, method, bound=p <= 1 / (RESAMPLES + 1) * (1 + 1e-9))


def dunn(
    values: pd.Series, labels: pd.Series, order: list[str], p_adjust: str
) -> list[tuple[str, str, float, Test]]:
    """Dunn's pairwise tests: (group, reference, z, test with the adjusted p) per pair.

    z uses mean ranks of the pooled sample with the tie correction (Dunn 1964). Large n: the
    p-values are scikit-posthocs' ``posthoc_dunn`` with ``p_adjust`` over the pairs. Small n:
    each pair's p is the permutation p of its mean-rank difference with the labels of all
    groups shuffled (the pooled ranks, as Dunn's test uses them), then ``p_adjust`` (statsmodels).
    """
    frame = pd.DataFrame({"v": values.to_numpy(), "g": labels.to_numpy()})
    ranks = stats.rankdata(frame["v"])
    n = len(ranks)
    _, ties = np.unique(frame["v"], return_counts=True)
    tie = float(np.sum(ties**3 - ties)) / (12 * (n - 1))
    mean_rank = pd.Series(ranks).groupby(frame["g"].to_numpy()).mean()
    size = frame["g"].value_counts()
    pairs = list(combinations(order, 2))
    z = [
        float(
            (mean_rank[a] - mean_rank[b])
            / np.sqrt((n * (n + 1) / 12 - tie) * (1 / size[a] + 1 / size[b]))
        )
        for a, b in pairs
    ]
    if n > SMALL_N:
        p = sp.posthoc_dunn(frame, val_col="v", group_col="g", p_adjust=p_adjust)
        method = (
            f"Dunn, normal approximation (scikit-posthocs), p adjusted over the pairs: {p_adjust}"
        )
        return [
            (a, b, zi, Test(zi, float(p.loc[a, b]), method))
            for (a, b), zi in zip(pairs, z, strict=True)
        ]
    groups = [ranks[(frame["g"] == g).to_numpy()] for g in order]
    arrangements = _multinomial([len(g) for g in groups])
    raw = []
    for a, b in pairs:
        i, j = order.index(a), order.index(b)

        def diff(*samples: np.ndarray, axis: int = -1, i: int = i, j: int = j) -> np.ndarray:
            return np.mean(samples[i], axis=axis) - np.mean(samples[j], axis=axis)

        raw.append(_permutation(tuple(groups), diff, "independent", arrangements, "Dunn"))
    adjusted = multipletests([t.pvalue for t in raw], method=p_adjust)[1]
    out = []
    for (a, b), zi, t, padj in zip(pairs, z, raw, adjusted, strict=True):
        method = f"{t.method}, p adjusted over the pairs: {p_adjust}"
        out.append((a, b, zi, Test(zi, float(padj), method, bound=t.bound)))
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, Test]:
    """Spearman rho and the two-sided test (small n: rho's permutation distribution)."""
    res = stats.spearmanr(x, y)
    rho = float(res.statistic)
    n = len(x)
    if np.isnan(rho):
        return rho, Test(rho, NA, "Spearman: a constant variable has no rank correlation")
    if n > SMALL_N:
        return rho, Test(rho, float(res.pvalue), "Spearman, t approximation (scipy)")
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    ry = (ry - ry.mean()) / np.sqrt(np.sum((ry - ry.mean()) ** 2))

    def rho_of(a: np.ndarray, axis: int = -1) -> np.ndarray:
        a = a - np.mean(a, axis=axis, keepdims=True)
        return np.sum(a * ry, axis=axis) / np.sqrt(np.sum(a**2, axis=axis))

    return rho, _permutation((rx,), rho_of, "pairings", math.factorial(n), "Spearman")


def bh(pvalues: pd.Series) -> pd.Series:
    """Benjamini-Hochberg over the non-missing p-values (scipy false_discovery_control)."""
    out = pd.Series(NA, index=pvalues.index)
    have = pvalues.notna()
    if have.any():
        out[have] = stats.false_discovery_control(pvalues[have].to_numpy(float), method="bh")
    return out
