"""Risk group (Paietta et al., Blood 2021, E2993) and therapy-target readouts (CD19, CD22).

docs/science.md#risk-groups: standard, intermediate, high; subtypes the E2993 grouping does
not place (TCF3::HLF, NUTM1-r, iAMP21, IKZF1 N159Y, CDX2/UBTF, ZEB2/CEBP, B-other,
unclassified) are ``undetermined`` rather than guessed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RISK_GROUP = {
    "DUX4-r": "standard",
    "ETV6::RUNX1": "standard",
    "ETV6::RUNX1-like": "standard",
    "TCF3::PBX1": "standard",
    "PAX5 P80R": "standard",
    "high hyperdiploid": "standard",
    "PAX5alt": "intermediate",
    "ZNF384-r": "intermediate",
    "MEF2D-r": "intermediate",
    "BCR::ABL1": "high",
    "BCR::ABL1-like": "high",
    "KMT2A-r": "high",
    "low hypodiploid": "high",
    "near haploid": "high",
    "BCL2/MYC": "high",
}
THERAPY_TARGETS = ("CD19", "CD22")
# Harvey et al. 2010 (Blood 116:4874) low-density-array Ph-like predictor genes
PH_LIKE_GENES = ("IGJ", "JCHAIN", "SPATS2L", "MUC4", "CRLF2", "CA6", "NRXN3", "BMPR1B", "ADGRF1")
PH_LIKE_MIN_GENES = 4


def risk_group(subtype: str) -> str:
    """Paietta 2021 group of a subtype; ``undetermined`` for the rest."""
    return RISK_GROUP.get(subtype, "undetermined")


def target_expression(vst: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Per sample ``<gene>_vst`` and ``<gene>_percentile`` (0-100 within the cohort) for CD19 and
    CD22; NaN when the gene is not in the matrix."""
    out = pd.DataFrame(index=vst.index)
    by_name = {n: g for g, n in names.items()}
    for gene in THERAPY_TARGETS:
        col = by_name.get(gene)
        values = vst[col] if col in vst.columns else pd.Series(np.nan, index=vst.index)
        out[f"{gene}_vst"] = values
        out[f"{gene}_percentile"] = values.rank(pct=True) * 100
    return out


def ph_like_score(vst: pd.DataFrame, names: pd.Series) -> pd.Series:
    """Mean cohort z-score of the Ph-like predictor genes present (Harvey 2010); NaN with fewer
    than ``PH_LIKE_MIN_GENES`` of them. Relative to the cohort, so not comparable across cohorts."""
    cols = [g for g, n in names.items() if n in PH_LIKE_GENES and g in vst.columns]
    if len(cols) < PH_LIKE_MIN_GENES:
        return pd.Series(np.nan, index=vst.index)
    x = vst[cols]
    sd = x.std(axis=0, ddof=1).replace(0, np.nan)
    return ((x - x.mean(axis=0)) / sd).mean(axis=1)
