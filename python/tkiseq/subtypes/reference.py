"""Projection of the cohort onto a labelled reference (``--subtype-reference ref.h5ad``).

Both are put on the reference's scale (log1p of counts per million on the shared genes), the
reference's most variable genes are kept, and a PCA fitted on the reference maps the cohort into
the same space. Each sample gets the majority ``subtype`` of its ``k`` nearest reference samples
there and the share of neighbours that carry it: the PCA + k-nearest-neighbour step of scanpy's
``ingest``, written with NumPy so that no numba code is compiled per call (a UMAP would only draw
the same neighbourhoods; the figure shows the first two principal components instead).

``k`` is capped at the size of the smallest reference class: with 4 samples per subtype, 15
neighbours can never be 80 % one subtype, so a small reference would call nothing.

A cohort counted elsewhere than the reference (another lab, library kit, annotation) carries a
per-gene offset that moves all its samples together, and can move them onto another subtype.
With enough query samples (``min_centred``) each side is centred on its own per-gene medians,
which removes any offset shared by a batch; that is sound only when the cohort's subtype mix is
broad like the reference's (a cohort of one subtype would lose its very signal), hence the size
threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from tkiseq.errors import InputError

# Reference labels as ALLSorts, ALLCatchR and MD-ALL write them -> the vocabulary of subtypes.tsv
# (keys compared lower-case with spaces, "-", "_", ":" and "/" removed)
LABEL_ALIASES = {
    "ph": "BCR::ABL1",
    "phpos": "BCR::ABL1",
    "bcrabl1": "BCR::ABL1",
    "phlike": "BCR::ABL1-like",
    "bcrabl1like": "BCR::ABL1-like",
    "etv6runx1": "ETV6::RUNX1",
    "etv6runx1like": "ETV6::RUNX1-like",
    "tcf3pbx1": "TCF3::PBX1",
    "hlf": "TCF3::HLF",
    "tcf3hlf": "TCF3::HLF",
    "kmt2a": "KMT2A-r",
    "kmt2ar": "KMT2A-r",
    "dux4": "DUX4-r",
    "dux4r": "DUX4-r",
    "znf384": "ZNF384-r",
    "znf384r": "ZNF384-r",
    "mef2d": "MEF2D-r",
    "mef2dr": "MEF2D-r",
    "nutm1": "NUTM1-r",
    "nutm1r": "NUTM1-r",
    "pax5alt": "PAX5alt",
    "pax5p80r": "PAX5 P80R",
    "ikzf1n159y": "IKZF1 N159Y",
    "hyperdiploid": "high hyperdiploid",
    "highhyperdiploid": "high hyperdiploid",
    "hehighhyperdiploid": "high hyperdiploid",
    "lowhypodiploid": "low hypodiploid",
    "nearhaploid": "near haploid",
    "iamp21": "iAMP21",
    "cdx2ubtf": "CDX2/UBTF",
    "zeb2cebp": "ZEB2/CEBP",
    "bcl2myc": "BCL2/MYC",
    "bother": "B-other",
}


def vocabulary_label(label: str) -> str:
    """A reference label in the pipeline's vocabulary (``Ph`` -> ``BCR::ABL1``); others as given."""
    return LABEL_ALIASES.get(re.sub(r"[\s\-_:/]", "", label).lower(), label)


@dataclass(frozen=True)
class ProjectionParams:
    """Defaults of the projection, written here only: the stage's ``--neighbours``,
    ``--reference-pcs`` and ``--reference-centre-min`` take theirs from these."""

    neighbours: int = 15  # asked for; capped at the smallest reference class
    pcs: int = 30
    n_genes: int = 2000  # most variable reference genes the PCA is fitted on
    min_log_cpm: float = 1.0  # mean log1p(CPM) a gene needs in the reference to be considered
    min_centred: int = 20  # cohort samples for each side's own gene-median centring (0: never)


@dataclass(frozen=True)
class Projection:
    """Per cohort sample: label, fraction, neighbours; plus the coordinates for the figure."""

    calls: pd.DataFrame  # index sample; label, fraction, n_neighbours
    neighbours_asked: int
    smallest_class: int
    reference_pcs: np.ndarray  # reference samples x 2
    reference_labels: np.ndarray
    cohort_pcs: np.ndarray  # cohort samples x 2
    explained: tuple[float, float]  # share of the reference's variance on PC1 and PC2
    centred: bool = False  # each side centred on its own per-gene medians

    @property
    def neighbours(self) -> int:
        """The neighbours each call used."""
        return int(self.calls["n_neighbours"].iloc[0]) if len(self.calls) else 0


def strip_version(ids: pd.Index) -> pd.Index:
    """``ENSG00000141510.17`` -> ``ENSG00000141510`` (other IDs unchanged)."""
    return pd.Index([i.split(".", 1)[0] if i.startswith("ENS") else i for i in ids.astype(str)])


def _counts(adata: ad.AnnData) -> np.ndarray:
    x = adata.layers.get("counts", adata.X)
    x = x.toarray() if hasattr(x, "toarray") else np.asarray(x)
    return x.astype(float)


def read_reference(path: Path) -> ad.AnnData:
    """The labelled reference, gene IDs version-stripped and labels in the pipeline's vocabulary;
    a one-line error when unusable."""
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
    ref.obs["subtype"] = [vocabulary_label(str(s)) for s in ref.obs["subtype"]]
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


def variable_genes(x: np.ndarray, n: int, min_mean: float) -> np.ndarray:
    """Columns of the ``n`` most variable genes among those expressed (mean >= ``min_mean``)."""
    mean, var = x.mean(axis=0), x.var(axis=0)
    candidates = np.flatnonzero((mean >= min_mean) & (var > 0))
    if len(candidates) == 0:
        candidates = np.flatnonzero(var > 0)
    if len(candidates) == 0:
        candidates = np.arange(x.shape[1])
    order = candidates[np.argsort(var[candidates])[::-1]]
    return np.sort(order[:n])


def pca(reference: np.ndarray, query: np.ndarray, n_pcs: int) -> tuple[np.ndarray, ...]:
    """Reference and query scores on the reference's principal components, and each
    component's share of the reference's variance."""
    centre = reference.mean(axis=0)
    u, s, vt = np.linalg.svd(reference - centre, full_matrices=False)
    n = max(1, min(n_pcs, len(s) - 1 if len(s) > 1 else 1))
    explained = s**2 / max(float((s**2).sum()), 1e-300)
    return (u[:, :n] * s[:n]), (query - centre) @ vt[:n].T, explained[:n]


def neighbour_labels(
    ref_pcs: np.ndarray, labels: np.ndarray, query_pcs: np.ndarray, k: int, exclude_self: bool
) -> pd.DataFrame:
    """Majority label of the ``k`` nearest reference points and its share (a tie goes to the
    label whose neighbours are nearer in sum)."""
    k = max(1, min(k, len(ref_pcs) - int(exclude_self)))
    d = ((query_pcs[:, None, :] - ref_pcs[None, :, :]) ** 2).sum(axis=2)
    if exclude_self:
        np.fill_diagonal(d, np.inf)
    idx = np.argsort(d, axis=1, kind="stable")[:, :k]
    rows = []
    for i, row in enumerate(labels[idx]):
        values, counts = np.unique(row, return_counts=True)
        near = [d[i, idx[i][row == v]].sum() for v in values]
        best = min(range(len(values)), key=lambda j: (-counts[j], near[j]))
        rows.append((values[best], counts[best] / k, k))
    return pd.DataFrame(rows, columns=["label", "fraction", "n_neighbours"])


def neighbours_for(labels: np.ndarray, asked: int, exclude_self: bool = False) -> int:
    """``asked``, capped at the smallest reference class (less the held-out sample itself)."""
    smallest = int(pd.Series(labels).value_counts().min())
    return max(1, min(asked, smallest - int(exclude_self)))


def _scaled(ref: ad.AnnData, cohort: ad.AnnData, path: Path) -> tuple[np.ndarray, np.ndarray]:
    shared = _shared(ref, cohort, path)
    cohort_ids = strip_version(cohort.var_names)
    first = ~cohort_ids.duplicated()
    position = pd.Series(np.flatnonzero(first), index=cohort_ids[first])
    r = log_cpm(_counts(ref[:, shared]))
    q = log_cpm(_counts(cohort)[:, position[shared].to_numpy()])
    return r, q


def project(
    ref: ad.AnnData, cohort: ad.AnnData, path: Path, params: ProjectionParams | None = None
) -> Projection:
    """Map ``cohort`` (counts layer, versioned or not) onto the labelled reference."""
    params = params or ProjectionParams()
    r, q = _scaled(ref, cohort, path)
    genes = variable_genes(r, params.n_genes, params.min_log_cpm)
    r, q = r[:, genes], q[:, genes]
    centred = 0 < params.min_centred <= len(q)
    if centred:
        r, q = r - np.median(r, axis=0), q - np.median(q, axis=0)
    ref_pcs, query_pcs, explained = pca(r, q, params.pcs)
    labels = ref.obs["subtype"].astype(str).to_numpy()
    k = neighbours_for(labels, params.neighbours)
    calls = neighbour_labels(ref_pcs, labels, query_pcs, k, exclude_self=False)
    calls.index = cohort.obs_names
    two = (float(explained[0]), float(explained[1]) if len(explained) > 1 else 0.0)
    pad = np.zeros((len(ref_pcs), max(0, 2 - ref_pcs.shape[1])))
    qpad = np.zeros((len(query_pcs), pad.shape[1]))
    return Projection(
        calls,
        params.neighbours,
        int(pd.Series(labels).value_counts().min()),
        np.hstack([ref_pcs, pad])[:, :2],
        labels,
        np.hstack([query_pcs, qpad])[:, :2],
        two,
        centred,
    )


def leave_one_out_accuracy(ref: ad.AnnData, params: ProjectionParams | None = None) -> float:
    """Share of reference samples whose neighbours (themselves excluded) give their own label."""
    params = params or ProjectionParams()
    x = log_cpm(_counts(ref))
    genes = variable_genes(x, params.n_genes, params.min_log_cpm)
    pcs, _, _ = pca(x[:, genes], x[:1, genes], params.pcs)
    labels = ref.obs["subtype"].astype(str).to_numpy()
    k = neighbours_for(labels, params.neighbours, exclude_self=True)
    calls = neighbour_labels(pcs, labels, pcs, k, exclude_self=True)
    return float((calls["label"].to_numpy() == labels).mean())


def plot_projection(proj: Projection, path: Path) -> None:
    """The reference's first two principal components coloured by subtype, the cohort's samples
    on top as black crosses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tkiseq.atomic import atomic_path

    fig, ax = plt.subplots(figsize=(7.5, 5.5), dpi=120)
    cmap = plt.get_cmap("tab20")
    for i, label in enumerate(sorted(set(proj.reference_labels))):
        sel = proj.reference_labels == label
        xy = proj.reference_pcs[sel]
        ax.scatter(xy[:, 0], xy[:, 1], s=14, color=cmap(i % 20), label=label, alpha=0.8)
    ax.scatter(
        proj.cohort_pcs[:, 0],
        proj.cohort_pcs[:, 1],
        s=40,
        marker="x",
        color="black",
        label="cohort samples",
    )
    ax.set_xlabel(f"PC1 ({proj.explained[0]:.0%} of the reference's variance)")
    ax.set_ylabel(f"PC2 ({proj.explained[1]:.0%})")
    ax.set_title(
        f"Cohort (n = {len(proj.cohort_pcs)}) projected onto the subtype reference "
        f"(n = {len(proj.reference_pcs)})",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
