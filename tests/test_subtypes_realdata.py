"""Subtypes from expression on real B-ALL profiles: ALLSorts' 20 test samples (Ph, ETV6::RUNX1,
TCF3::PBX1, DUX4-r; 5 each; HGNC symbols; no fusions, variants or karyotypes with them).

Held out by fold (4 samples, one per subtype, against a reference of the other 16: 4 per
subtype, fewer than the default 15 neighbours), with the marker gates alone, and with a
centroid table made from the training folds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bundles import bundle_of
from realdata import realdata
from tkiseq.expression.counts import to_anndata
from tkiseq.subtypes.centroids import CentroidParams, classify_centroids, read_centroids
from tkiseq.subtypes.stage import SubtypesInputs, SubtypesParams
from tkiseq.subtypes.stage import run as run_stage


def run(inputs: SubtypesInputs, outdir: Path) -> None:
    """The stage with its default parameters."""
    run_stage(inputs, SubtypesParams(), outdir)


TRUTH = {
    "Ph": "BCR::ABL1",
    "ETV6-RUNX1": "ETV6::RUNX1",
    "TCF3-PBX1": "TCF3::PBX1",
    "DUX4": "DUX4-r",
}


@pytest.fixture(scope="module")
def allsorts(tmp_path_factory: pytest.TempPathFactory):
    """(counts genes x samples, labels, the cohort AnnData, the annotation bundle, a folder)."""
    src = realdata("allsorts_counts")
    work = tmp_path_factory.mktemp("allsorts")
    counts = pd.read_csv(src / "counts.tsv.gz", sep="\t", index_col=0)
    counts = counts[~counts.index.duplicated()]
    labels = pd.read_csv(src / "labels.tsv", sep="\t", index_col=0)["subtype"]
    # symbols only, no positions: one annotated gene, so the karyotype is not assessable
    gene = counts.index[0]
    attrs = f'gene_id "{gene}"; gene_name "{gene}"; gene_type "protein_coding";'
    (work / "genes.gtf").write_text(
        f"chr1\tx\tgene\t100\t200\t.\t+\t.\t{attrs}\n"
        f'chr1\tx\texon\t100\t200\t.\t+\t.\t{attrs} transcript_id "T1";\n'
    )
    genes = pd.DataFrame({"gene_name": counts.index}, index=counts.index)
    adata = to_anndata(counts, genes, pd.DataFrame(index=counts.columns), pd.DataFrame())
    adata.obs["subtype"] = labels.reindex(adata.obs_names).to_numpy()  # ALLSorts' names
    return counts, labels, adata, bundle_of(work / "genes.gtf"), work


def _calls(adata, labels, annotation, work: Path, name: str, **inputs) -> pd.DataFrame:
    cohort = work / f"{name}.h5ad"
    adata.write_h5ad(cohort)
    run(SubtypesInputs(cohort, annotation, [], [], **inputs), work / name)
    table = pd.read_csv(work / name / "subtypes.tsv", sep="\t", keep_default_na=False)
    table["truth"] = table["sample"].map(labels).map(TRUTH)
    return table


def _folds(labels: pd.Series) -> pd.Series:
    return labels.groupby(labels).cumcount()


def test_held_out_reference_calls_with_small_classes(allsorts) -> None:
    _, labels, adata, annotation, work = allsorts
    fold = _folds(labels)
    tables = []
    for f in range(5):
        held = (fold == f).reindex(adata.obs_names).to_numpy()
        ref = work / f"ref{f}.h5ad"
        adata[~held].copy().write_h5ad(ref)
        cohort = adata[held].copy()
        tables.append(_calls(cohort, labels, annotation, work, f"fold{f}", subtype_reference=ref))
    calls = pd.concat(tables)
    right = calls["subtype"] == calls["truth"]
    assert right.sum() >= 19, calls.loc[~right, ["sample", "subtype", "evidence"]]
    assert "iAMP21" not in set(calls["subtype"])
    assert calls["evidence"].str.contains("decided by:expression classifier").all()
    # 4 per subtype: k is capped at 4 and said so
    assert calls["evidence"].str.contains("of 4 neighbours; k capped", regex=False).all()
    assert (calls["reference_fraction"] >= 0.8).all()
    assert not calls["evidence"].str.contains("none given|sex:unknown").any()
    assert (work / "fold0" / "subtype_reference_pca.png").stat().st_size > 10_000


def test_expression_only_marker_gates(allsorts) -> None:
    """No reference, no fusions: TCF3::PBX1 (PBX1 + WNT16), ETV6::RUNX1 (EPOR) and DUX4-r
    (DUX4 over the cohort background + CLEC12A) from their markers; BCR::ABL1 has none, so
    those samples stay unclassified rather than wrong."""
    _, labels, adata, annotation, work = allsorts
    calls = _calls(adata, labels, annotation, work, "markers")
    right = calls["subtype"] == calls["truth"]
    assert right.sum() >= 15
    assert set(calls.loc[~right, "subtype"]) <= {"unclassified"}
    assert set(calls.loc[~right, "truth"]) == {"BCR::ABL1"}
    assert calls.loc[right, "evidence"].str.contains("decided by:marker genes").all()


def _centroid_table(counts: pd.DataFrame, labels: pd.Series, path: Path) -> Path:
    """Mean log2(CPM + 1) per subtype (ALLSorts' names) on the 1,000 most variable genes."""
    x = np.log2(counts / counts.sum(axis=0) * 1e6 + 1)
    genes = x.var(axis=1).sort_values(ascending=False).index[:1000]
    table = x.loc[genes].T.groupby(labels.reindex(x.columns).to_numpy()).mean().T
    table.index.name = "gene"
    table.to_csv(path, sep="\t")
    return path


def test_centroid_table_from_training_folds(allsorts) -> None:
    counts, labels, _, _, work = allsorts
    fold = _folds(labels)
    right = 0
    for f in range(5):
        held, train = fold.index[fold == f], fold.index[fold != f]
        path = _centroid_table(counts[train], labels, work / f"centroids{f}.tsv")
        table = read_centroids(path)
        assert "BCR::ABL1" in table.columns  # ALLSorts' "Ph" read as the vocabulary's name
        calls = classify_centroids(counts[held].T, table, path, CentroidParams())
        truth = labels[held].map(TRUTH)
        right += int(((calls["label"] == truth) & calls["confident"]).sum())
    assert right >= 19


def _along_reference_pcs(ref: pd.DataFrame, query: pd.DataFrame, strength: float, seed: int):
    """A batch effect on ``query`` (genes x samples counts): every gene's log2 expression moved
    by one offset shared by the batch, along the reference's first 3 principal axes (``strength``
    SDs of their scores, random signs: the kind of offset that looks like biology) plus a
    gene-wise N(0, 0.3) part, as a lab or library kit of its own would give."""
    rng = np.random.default_rng(seed)
    x = np.log2(ref.T.to_numpy(float) + 1)
    u, s, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    sd = (u[:, :3] * s[:3]).std(axis=0)
    shift = (strength * sd * rng.choice([-1, 1], 3)) @ vt[:3] + rng.normal(0, 0.3, len(ref))
    y = np.log2(query.to_numpy(float) + 1) + shift[:, None]
    return pd.DataFrame(np.round(np.clip(2**y - 1, 0, None)), query.index, query.columns)


def _adata(counts: pd.DataFrame, labels: pd.Series):
    import anndata as ad

    adata = ad.AnnData(X=counts.T.to_numpy(float))
    adata.obs_names, adata.var_names = counts.columns, counts.index
    adata.layers["counts"] = adata.X.copy()
    adata.obs["subtype"] = labels.reindex(counts.columns).map(TRUTH).to_numpy()
    return adata


def test_cross_batch_projection_centred_on_each_sides_gene_medians(allsorts) -> None:
    """12 reference samples (3 per subtype), 8 others as a second batch: a batch offset of 2 SDs
    along the reference's main axes leaves 2 of 8 right; each side centred on its own gene
    medians, 8 of 8. Centring costs a cohort of one subtype its signal (both Ph samples alone
    go wrong), which is why it waits for a cohort of ``min_centred`` samples."""
    from tkiseq.subtypes.reference import ProjectionParams, project

    counts, labels, _, _, work = allsorts
    fold = _folds(labels)
    ref_ids, query_ids = fold.index[fold % 2 == 0], fold.index[fold % 2 == 1]
    ref = _adata(counts[ref_ids], labels)
    batch = _adata(_along_reference_pcs(counts[ref_ids], counts[query_ids], 2.0, 2), labels)
    truth = labels[query_ids].map(TRUTH).to_numpy()

    def right(query, min_centred: int) -> int:
        params = ProjectionParams(neighbours=3, min_centred=min_centred)
        proj = project(ref, query, work / "ref.h5ad", params)
        assert proj.centred == (0 < min_centred <= query.n_obs)
        return int((proj.calls["label"].to_numpy() == query.obs["subtype"].to_numpy()).sum())

    assert right(batch, 0) <= 4
    assert right(batch, 8) == len(truth) == 8
    assert right(batch, ProjectionParams().min_centred) <= 4  # 8 < 20: not centred by default
    same = _adata(counts[query_ids], labels)
    assert right(same, 8) == 8  # no batch effect: centring changes nothing here
    ph = same[same.obs["subtype"].to_numpy() == "BCR::ABL1"].copy()
    assert right(ph, 0) == ph.n_obs == 2
    assert right(ph, 2) == 0
