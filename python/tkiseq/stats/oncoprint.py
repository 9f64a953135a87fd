"""Figure 3A: lesions per sample sorted by imatinib AUC, with clinical tracks (marsilea)."""

from __future__ import annotations

from pathlib import Path

import marsilea.plotter as mp
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from marsilea.layers import Layers, Rect

from tkiseq.atomic import atomic_path
from tkiseq.response import AUC_CAP
from tkiseq.stats.associations import AssociationParams, Data

FIXED = (
    "sample",
    "ikzf1plus_core",
    "ikzf1plus_stanulla",
    "deletion_group",
    "ikzf1_del_source",
    "jak_stat",
    "secondary_lesion",
    "n_lesions",
)
KINDS = {
    "none": "#eeeeee",
    "not assessed": "#fff7bc",
    "DEL": "#6baed6",
    "HOM_DEL": "#08306b",
    "junction": "#9e9ac8",
    "fusion": "#e6550d",
    "mutation": "#31a354",
    "expression": "#fdae6b",
    "karyotype": "#969696",
}


def cell_kind(lesion: str, status: str) -> str:
    """Legend category of one profile cell."""
    if status == "":
        return "none"
    if status == "NA":
        return "not assessed"
    if status in ("DEL", "HOM_DEL"):
        return status
    if "::" in lesion:
        return "fusion"
    if lesion.endswith("_mut"):
        return "mutation"
    if lesion.endswith("_high"):
        return "expression"
    return "junction" if "_del" in lesion else "karyotype"


def _track(values: pd.Series, label: str, palette: dict[str, str]) -> mp.Colors:
    return mp.Colors(values.to_numpy(), palette=palette, label=label, label_loc="left")


MAX_WIDTH_IN = 18.0  # at 0.16 in per sample, 2,000 samples made a 49,000-pixel-wide PNG


def board_width(n_samples: int) -> float:
    """Inches: 0.16 per sample, at least 4; past ``MAX_WIDTH_IN`` the columns narrow instead."""
    return min(MAX_WIDTH_IN, max(4.0, 0.16 * n_samples))


def oncoprint(d: Data, params: AssociationParams, stem: Path) -> None:
    """Write ``stem``.png and .svg; samples without an AUC for the sorting drug go last.
    Without a profile or without any lesion the figure says so instead."""
    drug = params.class_drug if params.class_drug in d.capped else d.capped.columns[0]
    prof = d.profile
    lesions = [] if prof is None else [c for c in prof if c not in FIXED and (prof[c] != "").any()]
    if not lesions:
        fig, ax = plt.subplots(figsize=(5, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "no lesion profile" if prof is None else "no lesions found", ha="center")
        _save(fig, stem)
        return
    auc = d.capped[drug].reindex(prof.index)
    order = auc.sort_values(na_position="last").index
    prof, auc = prof.loc[order], auc.loc[order]
    kinds = np.array([[cell_kind(n, prof.at[s, n]) for s in order] for n in lesions])
    pieces = {k: Rect(color=c, label=k) for k, c in KINDS.items() if k in kinds}
    width = board_width(len(order))
    board = Layers(data=kinds, pieces=pieces, width=width, height=0.2 * len(lesions) + 0.2)
    board.add_left(mp.Labels(np.array(lesions), fontsize=7), pad=0.05)
    board.add_bottom(mp.Labels(np.array(order), fontsize=6), pad=0.05)
    ph = d.phenotypes.reindex(order).fillna("") if d.phenotypes is not None else None
    yes_no = {"yes": "#444444", "no": "#dddddd", "NA": "#ffffff", "": "#ffffff"}
    board.add_top(
        _track(
            prof["deletion_group"],
            "deletion group",
            {
                "NO DEL": "#dddddd",
                "PAX5+": "#74c476",
                "IKZF1": "#fd8d3c",
                "IKZF1plus": "#a50f15",
                "OTHER DEL": "#bcbddc",
                "NA": "#ffffff",
            },
        ),
        size=0.15,
        pad=0.03,
    )
    board.add_top(_track(prof["ikzf1plus_core"], "IKZF1plus (core)", yes_no), size=0.15, pad=0.03)
    if ph is not None:
        for col, label in (("relapse", "relapse"), ("age_group", "age group")):
            if col in ph:
                values = ph[col].replace("", "NA")
                cats = sorted(values.unique())
                set2 = plt.get_cmap("Set2").colors  # type: ignore[attr-defined]  # a ListedColormap
                pal = dict(zip(cats, set2, strict=False))
                pal["NA"] = "#ffffff"
                board.add_top(_track(values, label, pal), size=0.15, pad=0.03)
    klass = d.klass.reindex(order).fillna("NA")
    board.add_top(
        _track(
            klass,
            f"{drug} class",
            {
                "sensitive": "#2b8cbe",
                "intermediate": "#fec44f",
                "resistant": "#de2d26",
                "NA": "#ffffff",
            },
        ),
        size=0.15,
        pad=0.03,
    )
    board.add_top(
        mp.Numbers(
            auc.fillna(0).to_numpy(),
            color="#636363",
            label=f"{drug} AUC\n(AU, cap {AUC_CAP:g})",
            label_loc="right",
            show_value=False,
        ),
        size=0.8,
        pad=0.05,
    )
    board.add_legends("right", stack_by="row", stack_size=4)
    board.add_title(top=f"Lesions by {drug} AUC (n={len(order)} samples)", fontsize=10)
    board.render()
    _save(board.figure, stem)


def _save(fig: plt.Figure, stem: Path) -> None:
    for ext in ("png", "svg"):
        with atomic_path(stem.with_suffix(f".{ext}")) as tmp:
            fig.savefig(tmp, dpi=150, bbox_inches="tight", format=ext)
    plt.close(fig)
