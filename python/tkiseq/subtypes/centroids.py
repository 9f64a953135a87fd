"""A trained nearest-centroid classifier read from a table (``--subtype-centroids``).

The published B-ALL classifiers cannot be read here safely: ALLSorts (Schmidt et al., Blood
Adv 2022, MIT) ships its model as a pickled scikit-learn pipeline (``allsorts.pkl.gz``), and
unpickling runs whatever code the file holds and is bound to one scikit-learn version;
ALLCatchR (Beder et al., HemaSphere 2023, GPL-3) ships caret/LiblineaR SVMs in R data files
that only R can use. What can be shared as plain data is a centroid table, the form of PAM-style
classifiers (Tibshirani et al., PNAS 2002): a TSV with a gene column (the cohort's gene IDs or
gene names) and one column per subtype holding that subtype's mean log2(CPM + 1).

Each sample's log2(CPM + 1) on the table's genes and the centroids are centred on the mean of
the centroids per gene, and the sample takes the subtype whose centroid it correlates best with
(Pearson), confident when that correlation is at least ``min_r`` and ``min_margin`` above the
next subtype's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq.errors import InputError
from tkiseq.subtypes.reference import strip_version, vocabulary_label


@dataclass(frozen=True)
class CentroidParams:
    """When a correlation-to-centroid call is confident."""

    min_r: float = 0.5
    min_margin: float = 0.1
    min_genes: int = 20  # fewer table genes in the cohort: the table does not fit it


def read_centroids(path: Path) -> pd.DataFrame:
    """genes x subtypes, labels in the pipeline's vocabulary; a one-line error when unusable."""
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise InputError(path, "file not found") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a readable TSV ({exc})") from exc
    if table.shape[1] < 3:
        raise InputError(
            path,
            "needs a gene column and at least two subtype columns",
            line=1,
            hint="one row per gene, one column per subtype (mean log2(CPM + 1))",
        )
    genes = strip_version(pd.Index(table.iloc[:, 0]))
    duplicated = genes.duplicated()
    if duplicated.any():
        line = int(np.flatnonzero(duplicated)[0]) + 2
        raise InputError(path, f"gene {genes[duplicated][0]!r} given twice", line=line)
    values = table.iloc[:, 1:]
    numbers = values.apply(pd.to_numeric, errors="coerce")
    bad = numbers.isna().to_numpy()
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise InputError(
            path, f"not a number: {values.iat[row, col]!r}", line=row + 2, column=col + 2
        )
    numbers.index = genes
    numbers.columns = [vocabulary_label(str(c)) for c in values.columns]
    return numbers


def classify_centroids(
    counts: pd.DataFrame, centroids: pd.DataFrame, path: Path, params: CentroidParams
) -> pd.DataFrame:
    """Per sample (rows of the samples x genes ``counts``): label, r, margin, confident."""
    ids = strip_version(counts.columns)
    frame = counts.set_axis(ids, axis=1).loc[:, ~ids.duplicated()]
    shared = centroids.index.intersection(frame.columns)
    if len(shared) < params.min_genes:
        raise InputError(
            path,
            f"{len(shared)} of its {len(centroids)} genes are in the cohort",
            hint=f"at least {params.min_genes} needed: use the cohort's gene IDs or names",
        )
    totals = counts.sum(axis=1).replace(0, 1.0)
    x = np.log2(frame[shared].div(totals, axis=0) * 1e6 + 1).to_numpy()
    c = centroids.loc[shared].to_numpy()
    centre = c.mean(axis=1)
    xc, cc = x - centre, (c - centre[:, None]).T
    r = _correlation(xc, cc)
    order = np.argsort(-r, axis=1)
    best, second = r[np.arange(len(r)), order[:, 0]], r[np.arange(len(r)), order[:, 1]]
    labels = np.asarray(centroids.columns)[order[:, 0]]
    out = pd.DataFrame(
        {"label": labels, "r": best, "margin": best - second, "n_genes": len(shared)},
        index=counts.index,
    )
    out["confident"] = (out["r"] >= params.min_r) & (out["margin"] >= params.min_margin)
    return out


def _correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every row of ``a`` with every row of ``b``."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    return (a @ b.T) / np.where(na > 0, na, 1.0) / np.where(nb > 0, nb, 1.0).T
