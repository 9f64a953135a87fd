"""Sex from expression: XIST against the chrY genes taken together, relative to the cohort.

Neither marker alone is clean on real RNA-seq: males show XIST at tens of normalised counts and
females show the chrY genes at up to a hundred or so (mapping of X-Y homologous reads), so a
fixed "on" threshold leaves most samples unknown. The difference log2(XIST + 1) - log2(sum of
the chrY genes + 1) is, however, large and of opposite sign in the two sexes (about +5 in
females, -6 in males); a cohort with both sexes has a wide gap in it, whose middle is used as
the split (0 otherwise), and a sample within ``margin`` of the split stays unknown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Y_GENES = ("RPS4Y1", "DDX3Y", "KDM5D", "UTY", "EIF1AY", "ZFY", "USP9Y")
MIN_MARKER_COUNT = 10.0  # XIST and the chrY genes together below this: too shallow to tell


def sex_score(normalised: pd.DataFrame, gene_names: pd.Series) -> pd.Series | None:
    """log2(XIST + 1) - log2(sum of chrY genes + 1) per sample (NaN where both markers are
    nearly silent); None when the annotation names neither XIST nor a chrY gene."""
    names = gene_names.reindex(normalised.columns)
    xist_cols = normalised.columns[(names == "XIST").to_numpy()]
    y_cols = normalised.columns[names.isin(Y_GENES).to_numpy()]
    if len(xist_cols) == 0 and len(y_cols) == 0:
        return None
    xist = normalised[xist_cols].sum(axis=1)
    y = normalised[y_cols].sum(axis=1)
    score = np.log2(xist + 1) - np.log2(y + 1)
    return score.where(xist + y >= MIN_MARKER_COUNT)


def sex_split(score: pd.Series, margin: float) -> float:
    """The middle of the widest gap in the cohort's scores when it is wider than twice the
    margin (both sexes present), else 0."""
    values = np.sort(score.dropna().to_numpy())
    if len(values) < 2:
        return 0.0
    gaps = np.diff(values)
    k = int(np.argmax(gaps))
    return float((values[k] + values[k + 1]) / 2) if gaps[k] >= 2 * margin else 0.0


def infer_sex(normalised: pd.DataFrame, gene_names: pd.Series, margin: float = 2.0) -> pd.Series:
    """``female``, ``male`` or ``unknown`` per sample (see the module docstring)."""
    score = sex_score(normalised, gene_names)
    if score is None:
        return pd.Series("unknown", index=normalised.index)
    split = sex_split(score, margin)
    sex = np.where(score >= split + margin / 2, "female", "unknown")
    sex = np.where(score <= split - margin / 2, "male", sex)
    return pd.Series(sex, index=normalised.index)
