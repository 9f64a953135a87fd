"""The core study's figures from pipeline output (docs/science.md#figures), PNG and SVG each.

Fig. 1A-C AUC by age group (per drug: violins for groups of >= 10, boxes for >= 5, dots and
the median otherwise); 1D z-score correlation between drugs; 1E-F
z by end-of-induction MRD and by relapse among eligible patients (Tukey boxes); 3A lesion
overview sorted by imatinib AUC with clinical tracks (marsilea); 3B z by deletion group with
Dunn p-values; 5A-B BCR::ABL1 and ABL1 expression vs capped AUC with Spearman rho.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tkiseq.atomic import atomic_path
from tkiseq.response import AUC_CAP
from tkiseq.stages import FIGURES
from tkiseq.stats.associations import (
    DELETION_GROUPS,
    AssociationParams,
    Data,
    missing_columns,
    mrd_eligible,
    relapse_eligible,
)

Z_LABEL = "AUC z-score ({drug}; SD units)"
AUC_LABEL = f"{{drug}} AUC (AU, capped at {AUC_CAP:g})"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
VIOLIN_MIN_N = 10  # a density needs this many points; smaller groups: box (>= 5) or dots only
BOX_MIN_N = 5


def p_text(pvalue: float, note: str) -> str:
    """``P = 0.03``, or ``P <= 2e-05`` where the p is a permutation bound."""
    if pd.isna(pvalue):
        return "P = NA"
    return f"P <= {pvalue:.2g}" if "p is a bound" in str(note) else f"P = {pvalue:.2g}"


def _save(fig, outdir: Path, name: str) -> None:
    for ext in ("png", "svg"):
        with atomic_path(outdir / f"{name}.{ext}") as tmp:
            fig.savefig(tmp, dpi=150, bbox_inches="tight", format=ext)
    plt.close(fig)


def _p(table: pd.DataFrame, analysis: str, variable: str, group: str = "", ref: str = "") -> str:
    sel = (table["analysis"] == analysis) & (table["variable"] == variable)
    if group:
        sel &= (table["group"] == group) & (table["reference_group"] == ref)
    hit = table[sel]
    if hit.empty or pd.isna(hit["pvalue"].iloc[0]):
        return "P = NA" + (f" ({hit['note'].iloc[0]})" if len(hit) and hit["note"].iloc[0] else "")
    return p_text(hit["pvalue"].iloc[0], hit["note"].iloc[0])


def _boxes(ax, groups: dict[str, np.ndarray], ylabel: str, title: str) -> None:
    """Tukey boxes (groups of >= BOX_MIN_N) with the points on top and n under each group."""
    names = list(groups)
    data = [groups[n] for n in names]
    boxed = [i for i, v in enumerate(data) if len(v) >= BOX_MIN_N]
    if boxed:
        ax.boxplot(
            [data[i] for i in boxed],
            positions=[i + 1 for i in boxed],
            whis=1.5,
            showfliers=False,
            widths=0.6,
        )
    for i, v in enumerate(data, start=1):
        if 0 < len(v) < BOX_MIN_N:  # too few for quartiles: the median as a bar
            ax.hlines(np.median(v), i - 0.25, i + 0.25, color="0.3", lw=1.5)
    ax.set_xlim(0.4, len(names) + 0.6)
    rng = np.random.default_rng(0)
    for i, values in enumerate(data, start=1):
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(values)), values, s=14, color="0.25", zorder=3)
    ax.set_xticks(
        range(1, len(names) + 1), [f"{n}\n(n={len(v)})" for n, v in zip(names, data, strict=False)]
    )
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)


def fig1_auc_by_age(d: Data) -> plt.Figure:
    drugs = list(d.capped.columns)
    fig, axes = plt.subplots(1, len(drugs), figsize=(3.2 * len(drugs), 3.6), squeeze=False)
    age = (
        d.phenotypes["age_group"].reindex(d.capped.index).fillna("")
        if d.phenotypes is not None and "age_group" in d.phenotypes
        else pd.Series("", index=d.capped.index)
    )
    age = age.replace("", "unknown")
    levels = sorted(age.unique())
    for ax, drug in zip(axes[0], drugs, strict=False):
        data = [d.capped[drug][age == lv].dropna().to_numpy() for lv in levels]
        shown = [i for i, v in enumerate(data) if len(v) >= VIOLIN_MIN_N]
        if shown:
            parts = ax.violinplot(
                [data[i] for i in shown],
                positions=[i + 1 for i in shown],
                showmedians=True,
                quantiles=[[0.25, 0.75]] * len(shown),
            )
            for body, i in zip(parts["bodies"], shown, strict=False):
                body.set_facecolor(PALETTE[i % len(PALETTE)])
        boxed = [i for i, v in enumerate(data) if BOX_MIN_N <= len(v) < VIOLIN_MIN_N]
        if boxed:
            ax.boxplot(
                [data[i] for i in boxed],
                positions=[i + 1 for i in boxed],
                whis=1.5,
                showfliers=False,
                widths=0.5,
            )
        rng = np.random.default_rng(0)
        for i, v in enumerate(data, start=1):
            if 0 < len(v) < BOX_MIN_N:
                ax.hlines(np.median(v), i - 0.25, i + 0.25, color="0.3", lw=1.5)
            ax.scatter(i + rng.uniform(-0.1, 0.1, len(v)), v, s=8, color="k", zorder=3)
        ax.set_xticks(
            range(1, len(levels) + 1),
            [f"{lv}\n(n={len(v)})" for lv, v in zip(levels, data, strict=False)],
        )
        ax.axhline(80, ls=":", c="0.5", lw=0.8)
        ax.axhline(120, ls=":", c="0.5", lw=0.8)
        ax.set_ylabel(AUC_LABEL.format(drug=drug))
        ax.set_xlabel("age group")
        ax.set_title(drug)
    fig.suptitle("Ex vivo TKI response by age group (dotted: AUC 80 and 120)", fontsize=10)
    fig.tight_layout()
    return fig


def fig1d_correlation(d: Data, table: pd.DataFrame) -> plt.Figure:
    pairs = list(combinations(d.z.columns, 2))
    fig, axes = plt.subplots(
        1, max(1, len(pairs)), figsize=(3.4 * max(1, len(pairs)), 3.4), squeeze=False
    )
    for ax, (a, b) in zip(axes[0], pairs, strict=False):
        both = d.z[a].notna() & d.z[b].notna()
        ax.scatter(d.z[a][both], d.z[b][both], s=14, color=PALETTE[0])
        hit = table[
            (table["analysis"] == "tki_z_correlation")
            & (table["group"] == a)
            & (table["reference_group"] == b)
        ]
        rho = hit["statistic"].iloc[0] if len(hit) else np.nan
        ax.set_title(
            f"{a} vs {b}: rho = {rho:.2f}, {_p(table, 'tki_z_correlation', f'z_{a} vs z_{b}')}"
            f"\n(Spearman, n={int(both.sum())})",
            fontsize=9,
        )
        ax.set_xlabel(Z_LABEL.format(drug=a))
        ax.set_ylabel(Z_LABEL.format(drug=b))
    fig.tight_layout()
    return fig


def _unavailable(ax, missing: list[str]) -> None:
    """An empty panel that names the phenotype columns it needs."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(
        0.5,
        0.5,
        "missing phenotype column(s):\n" + ", ".join(missing),
        ha="center",
        va="center",
        transform=ax.transAxes,
    )


def fig1ef_mrd_relapse(d: Data, table: pd.DataFrame, params: AssociationParams) -> plt.Figure:
    drug = params.class_drug if params.class_drug in d.z else d.z.columns[0]
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 4))
    ph = d.phenotypes.reindex(d.z.index).fillna("") if d.phenotypes is not None else None
    z = d.z[drug]
    missing_mrd = missing_columns(ph, ("tki_start_days", "mrd_eoi"))
    missing_rel = missing_columns(ph, ("tki_start_days", "followup_days", "relapse", "died_in_cr"))
    if missing_mrd:
        _unavailable(axes[0], missing_mrd)
    else:
        el = mrd_eligible(ph, params)
        mrd = pd.to_numeric(ph["mrd_eoi"].replace("", np.nan), errors="coerce")
        groups = {
            f"MRD < {params.mrd_high:g}": z[el & (mrd < params.mrd_high)].dropna().to_numpy(),
            f"MRD >= {params.mrd_high:g}": z[el & (mrd >= params.mrd_high)].dropna().to_numpy(),
        }
        p = _p(table, "auc_z_by_mrd", f"z_{drug}")
        title = f"E: TKI start <= {params.mrd_max_start_days} d\nMann-Whitney {p}"
        _boxes(axes[0], groups, Z_LABEL.format(drug=drug), title)
    axes[0].set_xlabel("end-of-induction MRD")
    if missing_rel:
        _unavailable(axes[1], missing_rel)
    else:
        el = relapse_eligible(ph, params)
        rel = ph["relapse"].str.lower()
        groups = {
            "CCR": z[el & (rel == "no")].dropna().to_numpy(),
            "relapse": z[el & (rel == "yes")].dropna().to_numpy(),
        }
        p = _p(table, "auc_z_by_relapse", f"z_{drug}")
        title = (
            f"F: TKI start <= {params.relapse_max_start_days} d, follow-up >= "
            f"{params.min_followup_days} d or relapse, no death in CR\nMann-Whitney {p}"
        )
        _boxes(axes[1], groups, Z_LABEL.format(drug=drug), title)
    axes[1].set_xlabel("outcome")
    fig.tight_layout()
    return fig


def fig3b_deletion_group(d: Data, table: pd.DataFrame, params: AssociationParams) -> plt.Figure:
    drug = params.class_drug if params.class_drug in d.z else d.z.columns[0]
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    if d.profile is None:
        ax.text(0.5, 0.5, "no lesion profile", ha="center", transform=ax.transAxes)
        return fig
    g = d.profile["deletion_group"].reindex(d.z.index)
    groups = {k: d.z[drug][g == k].dropna().to_numpy() for k in DELETION_GROUPS}
    _boxes(
        ax,
        groups,
        Z_LABEL.format(drug=drug),
        f"Kruskal-Wallis {_p(table, 'auc_z_by_deletion_group', f'z_{drug}', '', '')}",
    )
    dunn = table[
        (table["analysis"] == "auc_z_by_deletion_group")
        & (table["variable"] == f"z_{drug}")
        & (table["reference_group"] != "")
    ]
    top = max((v.max() for v in groups.values() if len(v)), default=1.0)
    pos = {k: i + 1 for i, k in enumerate(DELETION_GROUPS)}
    for level, r in enumerate(dunn.itertuples()):
        y = top + 0.35 * (level + 1)
        x1, x2 = pos[r.group], pos[r.reference_group]
        ax.plot([x1, x1, x2, x2], [y - 0.08, y, y, y - 0.08], c="k", lw=0.7)
        ax.text((x1 + x2) / 2, y, p_text(r.pvalue, r.note), ha="center", va="bottom", fontsize=7)
    ax.set_xlabel(f"deletion group (Dunn, {params.dunn_adjust}-adjusted P)")
    fig.tight_layout()
    return fig


def fig5_expression(d: Data, table: pd.DataFrame, params: AssociationParams) -> plt.Figure:
    drug = params.class_drug if params.class_drug in d.capped else d.capped.columns[0]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.8))
    panels = (
        ("abl1_expression_vs_auc", d.abl1, "ABL1 expression (size-factor normalised counts)", "A"),
        (
            "bcr_abl1_expression_vs_auc",
            None if d.bcr_abl1 is None else d.bcr_abl1["expression_fpm"],
            "BCR::ABL1 expression (fusion fragments per million)",
            "B",
        ),
    )
    for ax, (analysis, values, ylabel, letter) in zip(axes, panels, strict=False):
        ax.set_xlabel(AUC_LABEL.format(drug=drug))
        ax.set_ylabel(ylabel)
        if values is None or d.bcr_abl1 is None:
            ax.text(0.5, 0.5, "not available", ha="center", transform=ax.transAxes)
            continue
        members = d.bcr_abl1.index
        x, y = d.capped[drug].reindex(members), values.reindex(members).astype(float)
        p190 = d.bcr_abl1["protein"] == "p190"
        ax.scatter(x[p190], y[p190], s=16, color=PALETTE[0], label=f"p190 (n={int(p190.sum())})")
        ax.scatter(
            x[~p190], y[~p190], s=16, color=PALETTE[1], label=f"other (n={int((~p190).sum())})"
        )
        text = []
        for subset in ("all BCR::ABL1", "p190"):
            hit = table[
                (table["analysis"] == analysis)
                & (table["group"] == subset)
                & table["variable"].str.startswith(f"auc_capped_{drug} ")
            ]
            if len(hit):
                r = hit.iloc[0]
                text.append(
                    f"{subset}: rho = {r.statistic:.2f}, {p_text(r.pvalue, r.note)}, n={int(r.n)}"
                    if pd.notna(r.pvalue)
                    else f"{subset}: NA ({r.note})"
                )
        ax.set_title(f"{letter}\n" + "\n".join(text), fontsize=8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def write_figures(d: Data, table: pd.DataFrame, params: AssociationParams, outdir: Path) -> None:
    """Every figure as PNG and SVG into ``outdir``."""
    from tkiseq.stats.oncoprint import oncoprint

    outdir.mkdir(parents=True, exist_ok=True)
    figures = {
        "fig1abc_auc_by_age_group": lambda: fig1_auc_by_age(d),
        "fig1d_z_correlation": lambda: fig1d_correlation(d, table),
        "fig1ef_z_by_mrd_and_relapse": lambda: fig1ef_mrd_relapse(d, table, params),
        "fig3b_z_by_deletion_group": lambda: fig3b_deletion_group(d, table, params),
        "fig5_expression_vs_auc": lambda: fig5_expression(d, table, params),
    }
    for stem in FIGURES:
        if stem == "fig3a_oncoprint":
            oncoprint(d, params, outdir / stem)
        else:
            _save(figures[stem](), outdir, stem)
