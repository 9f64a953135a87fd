"""PyDESeq2's per-gene dispersion and Wald fits, done for all genes at once.

PyDESeq2 fits every gene's dispersion with its own scipy optimiser call, dispatched through
joblib: on 51 samples x 19,000 genes that is three quarters of the run (profile in
``tests/benchmarks/README.md``), and worker processes lose most of their time when the machine
is shared. PyDESeq2 lets the inference routines be replaced (``DefaultInference`` is meant to be
subclassed); this one keeps every model, prior and step of PyDESeq2 and changes only how
``alpha_mle`` and ``wald_test`` are computed: as numpy operations over a block of genes.

``alpha_mle`` minimises the same objective (negative binomial likelihood, Cox-Reid adjustment,
optional log-normal prior) over the same bounds by a bracketing grid search, the method DESeq2
itself falls back on: a coarse grid of log dispersions, then a golden-section search in the
bracket around each gene's best grid point, to a width of ``GRID_TOLERANCE`` in log dispersion.

Two things make that search cheap at cohort scale (2,000 samples): the likelihood's
``log Gamma(y + 1/alpha) - log Gamma(1/alpha)``, summed over samples, is evaluated as
``sum_j T_j log(1/alpha + j)`` with ``T_j`` the samples whose count exceeds ``j`` (the same
sum, term by term: ``Gamma(y + r) / Gamma(r) = r (r + 1) ... (r + y - 1)``), a few hundred
logarithms per gene instead of one log-gamma per sample, for genes whose largest count is at
most ``TAIL_FACTOR`` x the samples; and blocks of genes (sorted by largest count, so that a
block shares one tail length) are searched in ``n_cpus`` threads (numpy and scipy release the
GIL in these loops).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np
from pydeseq2.default_inference import DefaultInference
from scipy.special import gammaln
from scipy.stats import norm

COARSE_POINTS = 40
GOLDEN = (np.sqrt(5) - 1) / 2
GRID_TOLERANCE = 1e-5  # bracket width in log dispersion at which the search stops
BLOCK_CELLS = 4_000_000  # samples x genes per block: bounds memory at cohort scale
TAIL_FACTOR = 16  # tail sums while a block's largest count is <= this x samples (a log-gamma
# costs ~50 vectorised logs)
TAIL_CELLS = 16_000_000  # tail length x genes per block: bounds the tail counts' memory


def _blocks(n_samples: int, n_genes: int) -> list[slice]:
    step = max(1, BLOCK_CELLS // max(n_samples, 1))
    return [slice(i, min(i + step, n_genes)) for i in range(0, n_genes, step)]


def _tail_blocks(n_samples: int, top: np.ndarray) -> list[slice]:
    """Blocks of genes sorted by largest count ``top`` (ascending): as ``_blocks``, but cut
    smaller where the block's tail counts (largest count x genes) would pass ``TAIL_CELLS``."""
    step = max(1, BLOCK_CELLS // max(n_samples, 1))
    blocks, start = [], 0
    while start < top.size:
        size = min(step, top.size - start)
        while size > 1 and top[start + size - 1] * size > TAIL_CELLS:
            size //= 2
        blocks.append(slice(start, start + size))
        start += size
    return blocks


def _xtwx(design: np.ndarray, w: np.ndarray) -> np.ndarray:
    """X' diag(w_g) X for every gene g (columns of ``w``), as one matrix product."""
    p = design.shape[1]
    outer = (design[:, :, None] * design[:, None, :]).reshape(design.shape[0], p * p)
    return (w.T @ outer).reshape(w.shape[1], p, p)


def tail_counts(y: np.ndarray) -> np.ndarray | None:
    """``T[j, g]`` = samples whose count of gene g exceeds j, for j below the block's largest
    count; None when the counts are not whole numbers or the largest is too large for tail
    sums to be cheaper than log-gamma."""
    n, g = y.shape
    top = int(y.max(initial=0))
    if top > TAIL_FACTOR * n or not np.array_equal(y, np.floor(y)) or (y < 0).any():
        return None
    cells = y.astype(np.int64) * g + np.arange(g)
    at = np.bincount(cells.ravel(), minlength=(top + 1) * g).reshape(top + 1, g)
    return (n - np.cumsum(at, axis=0))[:top].astype(float)


def _log_rising(y: np.ndarray, tails: np.ndarray | None, inv: np.ndarray) -> np.ndarray:
    """Per gene, the sum over samples of log Gamma(y + r) - log Gamma(r), r = ``inv``."""
    if tails is None:
        return np.asarray((gammaln(y + inv) - gammaln(inv)).sum(axis=0))
    steps = np.arange(tails.shape[0], dtype=float)[:, None]
    return np.asarray((tails * np.log(inv + steps)).sum(axis=0))


def _objective(
    y: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    log_alpha: np.ndarray,
    log_alpha_hat: np.ndarray,
    prior_var: float | None,
    cr_reg: bool,
    tails: np.ndarray | None = None,
) -> np.ndarray:
    """PyDESeq2's dispersion loss per gene, up to terms that do not depend on alpha
    (``tails``: ``tail_counts(y)``, the cheap form of the log-gamma sum, when given)."""
    alpha = np.exp(log_alpha)
    inv = 1 / alpha
    work = np.add(mu, inv, out=np.empty_like(mu))  # one samples x genes buffer, reused
    logs = np.log(work, out=work)  # sum (y + r) log(mu + r) = sum y log(.) + r sum log(.)
    nll = (
        y.shape[0] * inv * log_alpha
        - _log_rising(y, tails, inv)
        + np.einsum("ij,ij->j", y, logs)
        + inv * logs.sum(axis=0)
    )
    if cr_reg:
        w = np.multiply(mu, alpha, out=work)
        w += 1
        np.divide(mu, w, out=w)  # mu / (1 + mu alpha)
        nll += 0.5 * np.linalg.slogdet(_xtwx(design, w))[1]
    if prior_var is not None:
        nll += (log_alpha - log_alpha_hat) ** 2 / (2 * prior_var)
    return nll


def grid_alpha_mle(
    y: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    alpha_hat: np.ndarray,
    min_disp: float,
    max_disp: float,
    prior_var: float | None,
    cr_reg: bool,
) -> np.ndarray:
    """Per gene (columns), the dispersion minimising the loss in [min_disp, max_disp]."""
    lo, hi = np.log(min_disp), np.log(max_disp)
    log_hat = np.log(alpha_hat)
    tails = tail_counts(y)

    def loss(log_alpha: np.ndarray) -> np.ndarray:
        return _objective(y, mu, design, log_alpha, log_hat, prior_var, cr_reg, tails)

    grid = np.linspace(lo, hi, COARSE_POINTS)
    losses = np.array([loss(np.full(y.shape[1], g)) for g in grid])
    best = grid[np.argmin(losses, axis=0)]
    spacing = grid[1] - grid[0]

    # golden-section search in each gene's bracket around its best grid point
    a, b = np.maximum(best - spacing, lo), np.minimum(best + spacing, hi)
    c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
    fc, fd = loss(c), loss(d)
    while (b - a).max() > GRID_TOLERANCE:
        left = fc < fd  # the minimum is in [a, d], else in [c, b]
        a, b = np.where(left, a, c), np.where(left, d, b)
        point = np.where(left, b - GOLDEN * (b - a), a + GOLDEN * (b - a))
        f_point = loss(point)
        c, fc, d, fd = (
            np.where(left, point, d),
            np.where(left, f_point, fd),
            np.where(left, c, point),
            np.where(left, fc, f_point),
        )
    best = (a + b) / 2
    return np.exp(best)


def block_irls(
    y: np.ndarray,
    size_factors: np.ndarray,
    design: np.ndarray,
    disp: np.ndarray,
    min_mu: float,
    beta_tol: float,
    max_beta: float,
    maxiter: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PyDESeq2's IRLS (``utils.irls_solver``) for every gene (column) at once.

    Returns beta, mu, hat diagonals and a mask of the genes it settled; genes that leave
    [-max_beta, max_beta] or run out of iterations are for PyDESeq2's own per-gene solver.
    """
    n, p = design.shape
    ridge = np.diag(np.repeat(1e-6, p))
    sf = size_factors[:, None]
    q, r = np.linalg.qr(design)
    beta = np.linalg.solve(r, q.T @ np.log(y / sf + 0.1)).T  # genes x p
    mu = np.maximum(sf * np.exp(design @ beta.T), min_mu)
    dev = np.full(y.shape[1], 1000.0)
    active = np.ones(y.shape[1], dtype=bool)
    failed = np.zeros(y.shape[1], dtype=bool)
    for _ in range(maxiter):
        a = np.flatnonzero(active)
        if a.size == 0:
            break
        m, d = mu[:, a], disp[a][None, :]
        w = m / (1 + m * d)
        z = np.log(m / sf) + (y[:, a] - m) / m
        rhs = (design.T @ (w * z)).T
        new = np.linalg.solve(_xtwx(design, w) + ridge, rhs[:, :, None])[:, :, 0]
        out = (np.abs(new) > max_beta).any(axis=1)
        failed[a[out]] = True
        active[a[out]] = False
        a, new = a[~out], new[~out]
        beta[a] = new
        mu[:, a] = np.maximum(sf * np.exp(design @ new.T), min_mu)
        ma, ya, alpha = mu[:, a], y[:, a], disp[a]
        inv = 1 / alpha
        nll = (  # utils.nb_nll, per gene
            n * inv * np.log(alpha)
            - (gammaln(ya + inv) - gammaln(ya + 1) - gammaln(inv)).sum(axis=0)
            + ((ya + inv) * np.log(ma + inv)).sum(axis=0)
            - (ya * np.log(ma)).sum(axis=0)
        )
        old, dev[a] = dev[a], -2 * nll  # PyDESeq2's deviance and stopping rule
        done = np.abs(dev[a] - old) / (np.abs(dev[a]) + 0.1) <= beta_tol
        active[a[done]] = False
    failed |= active  # out of iterations
    w = mu / (1 + mu * disp[None, :])
    inv_xtwx = np.linalg.inv(_xtwx(design, w) + ridge)
    hat = np.einsum("ij,gjk,ik->ig", design, inv_xtwx, design) * w
    mu = size_factors[:, None] * np.exp(design @ beta.T)
    return beta, mu, hat, ~failed


class BlockInference(DefaultInference):
    """``DefaultInference`` with IRLS, dispersions and Wald tests vectorised over genes."""

    def lin_reg_mu(  # PyDESeq2's interface
        self,
        counts: np.ndarray,
        size_factors: np.ndarray,
        design_matrix: np.ndarray,
        min_mu: float,
    ) -> np.ndarray:
        # the same least-squares fit as PyDESeq2's one sklearn regression per gene (the VST's
        # start, design ~1), solved for a block of genes at a time: at 2,000 samples x 60,000
        # genes the per-gene calls were minutes of the counts stage
        design = np.asarray(design_matrix, dtype=float)
        sf = np.asarray(size_factors, dtype=float)
        out = np.empty(counts.shape, dtype=float)
        for b in _blocks(*counts.shape):
            normed = np.asarray(counts[:, b], dtype=float) / sf[:, None]
            coef = np.linalg.lstsq(design, normed, rcond=None)[0]
            out[:, b] = np.maximum(sf[:, None] * (design @ coef), min_mu)
        return out

    def irls(  # PyDESeq2's interface
        self,
        counts: np.ndarray,
        size_factors: np.ndarray,
        design_matrix: np.ndarray,
        disp: np.ndarray,
        min_mu: float,
        beta_tol: float,
        min_beta: float = -30,
        max_beta: float = 30,
        optimizer: Literal["BFGS", "L-BFGS-B"] = "L-BFGS-B",
        maxiter: int = 250,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        design = np.asarray(design_matrix, dtype=float)
        y = np.asarray(counts, dtype=float)
        sf = np.asarray(size_factors, dtype=float)
        disp = np.asarray(disp, dtype=float)
        beta = np.empty((y.shape[1], design.shape[1]))
        mu, hat = np.empty_like(y), np.empty_like(y)
        converged = np.ones(y.shape[1], dtype=bool)
        for b in _blocks(*y.shape):
            beta[b], mu[:, b], hat[:, b], settled = block_irls(
                y[:, b], sf, design, disp[b], min_mu, beta_tol, max_beta, maxiter
            )
            rest = np.flatnonzero(~settled) + b.start
            if rest.size:  # PyDESeq2's solver, with its optimiser fallback, for these genes
                beta[rest], mu[:, rest], hat[:, rest], converged[rest] = super().irls(
                    y[:, rest],
                    sf,
                    design_matrix,
                    disp[rest],
                    min_mu,
                    beta_tol,
                    min_beta,
                    max_beta,
                    optimizer,
                    maxiter,
                )
        return beta, mu, hat, converged

    def alpha_mle(  # PyDESeq2's interface
        self,
        counts: np.ndarray,
        design_matrix: np.ndarray,
        mu: np.ndarray,
        alpha_hat: np.ndarray,
        min_disp: float,
        max_disp: float,
        prior_disp_var: float | None = None,
        cr_reg: bool = True,
        prior_reg: bool = False,
        optimizer: Literal["BFGS", "L-BFGS-B"] = "L-BFGS-B",
    ) -> tuple[np.ndarray, np.ndarray]:
        design = np.asarray(design_matrix, dtype=float)
        prior = prior_disp_var if prior_reg else None
        counts, mu = np.asarray(counts), np.asarray(mu)
        alpha_hat = np.asarray(alpha_hat, dtype=float)
        # genes by largest count, so each block's tail sums are as short as its genes allow
        top = counts.max(axis=0, initial=0)
        order = np.argsort(top, kind="stable")

        def search(b: slice) -> np.ndarray:
            genes = order[b]
            return grid_alpha_mle(
                np.asarray(counts[:, genes], dtype=float),
                np.asarray(mu[:, genes], dtype=float),
                design,
                alpha_hat[genes],
                min_disp,
                max_disp,
                prior,
                cr_reg,
            )

        blocks = _tail_blocks(counts.shape[0], np.asarray(top, dtype=float)[order])
        with ThreadPoolExecutor(max_workers=max(1, int(self.n_cpus or 1))) as pool:
            found = list(pool.map(search, blocks))
        out = np.empty(counts.shape[1])
        for b, values in zip(blocks, found, strict=True):
            out[order[b]] = values
        return out, np.ones(counts.shape[1], dtype=bool)

    def wald_test(  # PyDESeq2's interface
        self,
        design_matrix: np.ndarray,
        disp: np.ndarray,
        lfc: np.ndarray,
        mu: np.ndarray,
        ridge_factor: np.ndarray,
        contrast: np.ndarray,
        lfc_null: np.ndarray,
        alt_hypothesis: Literal["greaterAbs", "lessAbs", "greater", "less"] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if alt_hypothesis is not None:
            return super().wald_test(
                design_matrix, disp, lfc, mu, ridge_factor, contrast, lfc_null, alt_hypothesis
            )
        design = np.asarray(design_matrix, dtype=float)
        mu = np.asarray(mu, dtype=float)
        w = mu / (1 + mu * np.asarray(disp, dtype=float)[None, :])
        m = _xtwx(design, w)
        hc = np.linalg.inv(m + ridge_factor) @ contrast
        se = np.sqrt(np.einsum("gj,gjk,gk->g", hc, m, hc))
        stat = (np.asarray(lfc, dtype=float) - lfc_null) @ contrast / se
        return 2 * norm.sf(np.abs(stat)), stat, se
