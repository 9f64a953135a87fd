"""The report's own figures, as inline PNG data URIs (no side files, no network).

PNG rather than SVG keeps the page size independent of the number of samples drawn.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tkiseq.report.inputs import QC_METRICS

matplotlib.use("Agg")

SOURCE_COLOURS = {
    "cnv": "#1f77b4",
    "junction": "#ff7f0e",
    "fusion": "#d62728",
    "variant": "#2ca02c",
    "expression": "#9467bd",
    "karyotype": "#8c564b",
}
CLASS_COLOURS = {"sensitive": "#2ca02c", "intermediate": "#ff7f0e", "resistant": "#d62728"}
RISK_COLOURS = {
    "standard": "#2ca02c",
    "intermediate": "#ff7f0e",
    "high": "#d62728",
    "undetermined": "#7f7f7f",
}
PRESENT_STATUS = ("DEL", "HOM_DEL", "present")


def data_uri(fig: Figure, dpi: int = 96) -> str:
    """Encode a figure as a base64 PNG data URI and free it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def file_uri(path: Path, max_width: int = 700) -> str:
    """A figure another stage wrote (PNG or SVG), inlined as a data URI.

    PNGs are scaled down to ``max_width`` pixels and reduced to a 64-colour palette: the gsea
    stage's plots are 1,700 px wide (200 kB each even at 800 px), and a dozen of them would
    otherwise make up most of the page (30 kB each after this).
    """
    if path.suffix == ".svg":
        return "data:image/svg+xml;base64," + base64.b64encode(path.read_bytes()).decode()
    from PIL import Image as PilImage

    with PilImage.open(path) as opened:
        image: PilImage.Image = opened
        if image.width > max_width:
            height = round(image.height * max_width / image.width)
            image = image.resize((max_width, height), PilImage.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.convert("RGB").quantize(colors=64).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def qc_figure(qc: pd.DataFrame, flags: pd.DataFrame) -> Figure:
    """One strip per QC metric, outliers in red and named, so the odd sample stands out."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(QC_METRICS), figsize=(2.3 * len(QC_METRICS), 3.2))
    rng = np.random.default_rng(0)
    jitter = rng.uniform(-0.25, 0.25, len(qc))
    for ax, metric in zip(axes, QC_METRICS, strict=True):
        values = qc[metric.column].astype(float)
        out = flags[metric.column].to_numpy()
        ax.scatter(jitter[~out], values[~out], s=10, c="tab:blue", alpha=0.7)
        ax.scatter(jitter[out], values[out], s=18, c="tab:red")
        for i in np.flatnonzero(out)[:8]:
            ax.annotate(qc["sample"].iloc[i], (jitter[i], values.iloc[i]), fontsize=6)
        ax.set_xlim(-1, 1)
        ax.set_xticks([])
        ax.set_title(metric.label, fontsize=9)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def subtype_figure(subtypes: pd.DataFrame) -> Figure:
    """Samples per subtype, stacked by risk group."""
    import matplotlib.pyplot as plt

    table = pd.crosstab(subtypes["subtype"], subtypes["risk_group"])
    table = table.loc[table.sum(axis=1).sort_values().index]
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(table) + 1.2))
    left = np.zeros(len(table))
    for risk in table.columns:
        ax.barh(table.index, table[risk], left=left, label=risk, color=RISK_COLOURS.get(risk))
        left += table[risk].to_numpy()
    ax.set_xlabel("samples")
    ax.legend(title="risk group", fontsize=7, title_fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def oncoprint(
    lesions: pd.DataFrame, order: list[str], auc: pd.Series | None, max_rows: int = 40
) -> tuple[Figure, list[list[object]]]:
    """Samples (columns, sorted by imatinib AUC when known) x lesions, coloured by source.

    A lesion seen by several sources takes the colour of the first in ``SOURCE_COLOURS``
    order; the top track is the AUC. Only the ``max_rows`` most frequent lesions are drawn.
    Returns the figure and its rows as [lesion, samples with it].
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    present = lesions[lesions["status"].isin(PRESENT_STATUS)]
    counts = present.drop_duplicates(["sample", "lesion"])["lesion"].value_counts()
    names = counts.index.tolist()[:max_rows]
    present = present[present["lesion"].isin(names)]
    sources = list(SOURCE_COLOURS)
    grid = np.zeros((len(names), len(order)))
    col = {s: i for i, s in enumerate(order)}
    row = {n: i for i, n in enumerate(names)}
    for rec in present.itertuples():
        if rec.sample not in col:
            continue
        rank = sources.index(rec.source) + 1 if rec.source in sources else len(sources) + 1
        cur = grid[row[rec.lesion], col[rec.sample]]
        grid[row[rec.lesion], col[rec.sample]] = rank if cur == 0 else min(cur, rank)
    cmap = ListedColormap(["#eeeeee", *SOURCE_COLOURS.values(), "#333333"])
    width = min(14.0, 4 + 0.15 * len(order))
    fig, (top, ax) = plt.subplots(
        2,
        1,
        figsize=(width, 1.6 + 0.25 * max(len(names), 1)),
        gridspec_kw={"height_ratios": [1, max(len(names), 1) / 2.5]},
        sharex=True,
    )
    if auc is not None:
        values = auc.reindex(order).to_numpy(dtype=float)
        top.bar(np.arange(len(order)), np.nan_to_num(values), color="0.4", width=0.9)
        top.set_ylabel("imatinib\nAUC", fontsize=7)
    top.tick_params(labelsize=7)
    ax.imshow(grid, aspect="auto", cmap=cmap, vmin=0, vmax=len(sources) + 1, interpolation="none")
    ax.set_yticks(range(len(names)), names, fontsize=7)
    if len(order) <= 60:
        ax.set_xticks(range(len(order)), order, rotation=90, fontsize=6)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"{len(order)} samples", fontsize=7)
    handles = [Patch(color=c, label=s) for s, c in SOURCE_COLOURS.items()]
    ax.legend(handles=handles, fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    return fig, [[n, int(counts[n])] for n in names]


def response_figure(response: pd.DataFrame, cap: float) -> Figure:
    """AUC per drug, one dot per sample coloured by class; the cap drawn as a line."""
    import matplotlib.pyplot as plt

    drugs = list(dict.fromkeys(response["drug"]))
    fig, ax = plt.subplots(figsize=(1.6 * len(drugs) + 2, 3.4))
    rng = np.random.default_rng(0)
    for i, drug in enumerate(drugs):
        rows = response[response["drug"] == drug]
        x = i + rng.uniform(-0.2, 0.2, len(rows))
        colours = [CLASS_COLOURS.get(c, "0.5") for c in rows["class"]]
        ax.scatter(x, rows["auc"].astype(float), s=12, c=colours, alpha=0.8)
    ax.axhline(cap, color="0.5", ls="--", lw=0.8)
    ax.set_xticks(range(len(drugs)), drugs)
    ax.set_ylabel("AUC")
    for name, colour in CLASS_COLOURS.items():
        ax.scatter([], [], c=colour, s=12, label=name)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    return fig
