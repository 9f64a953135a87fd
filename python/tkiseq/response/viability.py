"""AUC of a dose-response curve from viability measurements.

Rule: the trapezoid rule over log10(concentration in uM), on viability in percent of the
untreated control, between the lowest and the highest concentration tested. Replicates at
one concentration are averaged first. Units: percent x log10(uM); a flat 100 % curve over
two decades has an AUC of 200. The study's AUCs (imatinib: sensitive < 80, resistant > 120)
come from its own assay layout; compare AUCs only within one concentration series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq.errors import InputError

COLUMNS = ("sample", "drug", "concentration", "viability_pct")


def curve_auc(concentration: np.ndarray, viability_pct: np.ndarray) -> float:
    """Trapezoid area under viability over log10(concentration); needs >= 2 concentrations."""
    order = np.argsort(concentration)
    x = np.log10(np.asarray(concentration, dtype=float)[order])
    y = np.asarray(viability_pct, dtype=float)[order]
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))


def read_viability(path: Path) -> pd.DataFrame:
    """The viability table, checked: numbers where numbers belong, concentrations > 0."""
    if not path.exists():
        raise InputError(path, "file not found")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", line=1)
    for col in ("concentration", "viability_pct"):
        values = pd.to_numeric(table[col], errors="coerce")
        bad = values.isna() | (values <= 0 if col == "concentration" else values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            want = "a number > 0 (uM)" if col == "concentration" else "a number >= 0 (percent)"
            raise InputError(path, f"{table[col].iloc[i]!r} is not {want}", line=i + 2, column=col)
        table[col] = values
    return table


def viability_aucs(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """One AUC per sample and drug (sample, drug, auc); one concentration only is an error."""
    means = table.groupby(["sample", "drug", "concentration"], sort=True)["viability_pct"].mean()
    rows = []
    for (sample, drug), curve in means.groupby(level=["sample", "drug"], sort=False):
        if len(curve) < 2:
            first = int(np.flatnonzero((table["sample"] == sample) & (table["drug"] == drug))[0])
            raise InputError(
                path,
                f"{sample} {drug}: one concentration only, an AUC needs at least two",
                line=first + 2,
                column="concentration",
            )
        conc = curve.index.get_level_values("concentration").to_numpy()
        rows.append((sample, drug, curve_auc(conc, curve.to_numpy())))
    return pd.DataFrame(rows, columns=["sample", "drug", "auc"])
