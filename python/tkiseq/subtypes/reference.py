"""Projection of the cohort onto a labelled reference (``--subtype-reference ref.h5ad``).

The reference's own normalisation is applied to both (log1p of counts per million on the shared
genes), PCA and a neighbour graph are fitted on the reference, and ``scanpy.tl.ingest`` maps the
cohort into its PCA and UMAP spaces. Each sample gets the majority ``subtype`` of its ``k``
nearest reference samples in PCA space and the share of neighbours that carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from tkiseq.errors import InputError


@dataclass(frozen=True)
class Projection:
    """Per cohort sample: label, fraction, neighbours; plus the coordinates for the figure."""

    calls: pd.DataFrame  # index sample; label, fraction, n_neighbours
    reference_umap: np.ndarray
    reference_labels: np.ndarray
    cohort_umap: np.ndarray


def strip_version(ids: pd.Index) -> pd.Index:
    """``ENSG00000141510.17`` -> ``ENSG00000141510`` (other IDs unchanged)."""
    return pd.Index([i.split(".", 1)[0] if i.startswith("ENS") else i for i in ids.astype(str)])


def _counts(adata: ad.AnnData) -> np.ndarray:
    x = adata.layers.get("counts", adata.X)
    x = x.toarray() if hasattr(x, "toarray") else np.asarray(x)
    return x.astype(float)


def read_reference(path: Path) -> ad.AnnData:
    """The labelled reference, its gene IDs version-stripped; a one-line error when unusable."""
    try:
        ref = ad.read_h5ad(path)
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(path, f"not a readable .h5ad file ({exc})") from exc
    if "subtype" not in ref.obs.columns:
        raise InputError(
            path, "obs has no 'subtype' column", hint="label each reference sample in obs"
        )
    if ref.n_obs < 2:
        raise InputError(path, f"{ref.n_obs} reference sample(s); at least 2 are needed")
    ref.var_names = strip_version(ref.var_names)
    return ref


def log_cpm(counts: np.ndarray) -> np.ndarray:
    """log1p of counts per million (per sample)."""
    totals = counts.sum(axis=1, keepdims=True)
    return np.log1p(counts / np.where(totals > 0, totals, 1.0) * 1e6)


def _shared(ref: ad.AnnData, cohort: ad.AnnData, path: Path) -> pd.Index:
    cohort_ids = strip_version(cohort.var_names)
    shared = pd.Index(ref.var_names).intersection(cohort_ids)
    shared = shared[~shared.duplicated()]
    if len(shared) == 0:
        raise InputError(
            path,
            "shares no gene IDs with the cohort (Ensembl versions stripped before matching)",
            hint="the reference must use the gene IDs of the GTF the annotation was prepared from",
        )
    return shared


def neighbour_labels(
    ref_pcs: np.ndarray, labels: np.ndarray, query_pcs: np.ndarray, k: int, exclude_self: bool
) -> pd.DataFrame:
    """Majority label of the ``k`` nearest reference points and its share."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(ref_pcs) - int(exclude_self))
    nn = NearestNeighbors(n_neighbors=k + int(exclude_self)).fit(ref_pcs)
    _, idx = nn.kneighbors(query_pcs)
    idx = idx[:, 1:] if exclude_self else idx
    rows = []
    for row in labels[idx]:
        values, counts = np.unique(row, return_counts=True)
        best = int(np.argmax(counts))
        rows.append((values[best], counts[best] / k, k))
    return pd.DataFrame(rows, columns=["label", "fraction", "n_neighbours"])


def project(
    ref: ad.AnnData, cohort: ad.AnnData, path: Path, k: int = 15, n_pcs: int = 30
) -> Projection:
    """Map ``cohort`` (counts layer, versioned or not) onto the labelled reference."""
    import scanpy as sc

    shared = _shared(ref, cohort, path)
    cohort_ids = strip_version(cohort.var_names)
    first = ~cohort_ids.duplicated()
    position = pd.Series(np.flatnonzero(first), index=cohort_ids[first])
    r = ad.AnnData(log_cpm(_counts(ref[:, shared])), obs=ref.obs[["subtype"]].astype(str))
    q = ad.AnnData(
        log_cpm(_counts(cohort)[:, position[shared].to_numpy()]),
        obs=pd.DataFrame(index=cohort.obs_names),
    )
    r.var_names = q.var_names = shared
    n_comps = max(1, min(n_pcs, r.n_obs - 1, r.n_vars - 1))
    sc.pp.pca(r, n_comps=n_comps, random_state=0)
    sc.pp.neighbors(r, n_neighbors=min(k, r.n_obs - 1), random_state=0)
    sc.tl.umap(r, random_state=0)
    sc.tl.ingest(q, r, obs="subtype", embedding_method=("umap", "pca"))
    labels = r.obs["subtype"].to_numpy()
    calls = neighbour_labels(r.obsm["X_pca"], labels, q.obsm["X_pca"], k, exclude_self=False)
    calls.index = cohort.obs_names
    return Projection(calls, r.obsm["X_umap"], labels, q.obsm["X_umap"])


def leave_one_out_accuracy(ref: ad.AnnData, k: int = 15, n_pcs: int = 30) -> float:
    """Share of reference samples whose neighbours (themselves excluded) give their own label."""
    from sklearn.decomposition import PCA

    x = log_cpm(_counts(ref))
    pcs = PCA(n_components=max(1, min(n_pcs, x.shape[0] - 1)), random_state=0).fit_transform(x)
    labels = ref.obs["subtype"].astype(str).to_numpy()
    calls = neighbour_labels(pcs, labels, pcs, k, exclude_self=True)
    return float((calls["label"].to_numpy() == labels).mean())


def plot_projection(proj: Projection, path: Path) -> None:
    """UMAP of the reference coloured by subtype, the cohort's samples on top as black crosses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tkiseq.atomic import atomic_path

    fig, ax = plt.subplots(figsize=(7.5, 5.5), dpi=120)
    cmap = plt.get_cmap("tab20")
    for i, label in enumerate(sorted(set(proj.reference_labels))):
        sel = proj.reference_labels == label
        xy = proj.reference_umap[sel]
        ax.scatter(xy[:, 0], xy[:, 1], s=14, color=cmap(i % 20), label=label, alpha=0.8)
    ax.scatter(
        proj.cohort_umap[:, 0], proj.cohort_umap[:, 1], s=40, marker="x", color="black",
        label="cohort samples",
    )  # fmt: skip
    ax.set_xlabel("UMAP 1")
    ax.set_ylabel("UMAP 2")
    ax.set_title("Cohort projected onto the subtype reference")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
