"""AUC per drug -> capped AUC, z-score within the cohort, and sensitivity class.

The z-score uses the cohort mean and the sample standard deviation (ddof=1) of the capped
AUCs of one drug, over the samples with an AUC for that drug. A drug with fewer than
``min_values`` AUCs, or whose capped AUCs are all equal, gets no z-score (NA) and a note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tkiseq import tables
from tkiseq.atomic import atomic_path
from tkiseq.errors import InputError
from tkiseq.inputs.phenotypes import read_phenotypes
from tkiseq.response import AUC_CAP
from tkiseq.response.viability import read_viability, viability_aucs
from tkiseq.stage_options import option

log = logging.getLogger(__name__)
COLUMNS = tables.columns("response")
MISSING = ("", "NA", "na", "NaN", "nan")


@dataclass(frozen=True)
class ResponseParams:
    """Cap and class thresholds: ``classes`` maps drug -> (sensitive below, resistant above)."""

    cap: float = option(AUC_CAP, help="AUC cap")
    min_values: int = 3
    classes: tuple[tuple[str, float, float], ...] = option(
        (("imatinib", 80.0, 120.0),),
        type=str,
        nargs="*",
        help="class thresholds per drug, drug:sensitive_below,resistant_above",
        to_cli=lambda classes: [" ".join(f"{d}:{lo:g},{hi:g}" for d, lo, hi in classes)],
        from_cli=lambda texts: tuple(parse_class(t) for t in " ".join(texts).split()),
    )


def parse_class(text: str) -> tuple[str, float, float]:
    """One ``--classes`` value, ``drug:sensitive_below,resistant_above``."""
    drug, _, bounds = text.partition(":")
    try:
        low, high = (float(b) for b in bounds.split(","))
    except ValueError:
        raise InputError("--classes", f"{text!r} is not drug:low,high") from None
    return drug, low, high


def read_aucs(path: Path) -> pd.DataFrame:
    """Long table sample, drug, auc from every ``auc_<drug>`` column; bad cells are errors."""
    table = read_phenotypes(path)
    drugs = [c for c in table.columns if c.startswith("auc_")]
    if not drugs:
        raise InputError(path, "no auc_<drug> column", line=1, hint="e.g. auc_imatinib")
    rows = []
    for col in drugs:
        for i, (sample, text) in enumerate(table[col].items()):
            if text.strip() in MISSING:
                continue
            try:
                value = float(text)
            except ValueError:
                value = float("nan")
            if not np.isfinite(value) or value < 0:
                raise InputError(
                    path, f"{text!r} is not an AUC (a number >= 0)", line=i + 2, column=col
                )
            rows.append((sample, col.removeprefix("auc_"), value))
    return pd.DataFrame(rows, columns=["sample", "drug", "auc"])


def classify(auc: float, low: float, high: float) -> str:
    """sensitive (< low), intermediate (low..high inclusive), resistant (> high)."""
    if auc < low:
        return "sensitive"
    return "resistant" if auc > high else "intermediate"


def score(aucs: pd.DataFrame, params: ResponseParams) -> pd.DataFrame:
    """Cap, z-score (ddof=1) and classify, per drug; rows in input order."""
    out = aucs.copy()
    out["auc_capped"] = np.minimum(out["auc"].astype(float), params.cap)
    out["z"] = np.nan
    out["note"] = ""
    thresholds = {d: (lo, hi) for d, lo, hi in params.classes}
    for drug, idx in out.groupby("drug", sort=False).groups.items():
        capped = out.loc[idx, "auc_capped"]
        if len(capped) < params.min_values:
            out.loc[idx, "note"] = f"{len(capped)} AUC value(s) < {params.min_values}: no z-score"
            log.warning("%s: only %d AUC value(s), no z-score", drug, len(capped))
            continue
        sd = capped.std(ddof=1)
        if sd == 0:
            out.loc[idx, "note"] = "all capped AUCs equal: no z-score"
            continue
        out.loc[idx, "z"] = (capped - capped.mean()) / sd
    out["class"] = [
        classify(a, *thresholds[d]) if d in thresholds else ""
        for d, a in zip(out["drug"], out["auc_capped"], strict=True)
    ]
    if "auc_source" not in out:
        out["auc_source"] = "phenotypes"
    return out[COLUMNS]


def merge_viability(aucs: pd.DataFrame, computed: pd.DataFrame) -> pd.DataFrame:
    """AUCs from viability points replace the phenotype table's for the same sample and drug."""
    given = aucs.assign(auc_source="phenotypes")
    computed = computed.assign(auc_source="viability")
    keys = set(zip(computed["sample"], computed["drug"], strict=True))
    keep = [(s, d) not in keys for s, d in zip(given["sample"], given["drug"], strict=True)]
    return pd.concat([given[keep], computed], ignore_index=True)


def run(
    phenotypes: Path, outdir: Path, params: ResponseParams, viability: Path | None = None
) -> Path:
    """``tkiseq response``: response/response.tsv (nothing written on bad input)."""
    aucs = read_aucs(Path(phenotypes))
    if viability is not None:
        aucs = merge_viability(aucs, viability_aucs(read_viability(viability), viability))
    table = score(aucs, params)
    dest = Path(outdir) / "response.tsv"
    with atomic_path(dest) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    return dest
