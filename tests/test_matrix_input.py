"""User count matrices: every accepted format gives the same genes x samples integers."""

from __future__ import annotations

import json
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from tkiseq.errors import InputError
from tkiseq.inputs.count_matrix import read_counts

COUNTS = pd.DataFrame(
    {"S1": [10, 0, 5], "S2": [3, 7, 1]}, index=pd.Index(["ENSG1", "ENSG2", "ENSG3"], name="gene_id")
)
NAMES = ["ABL1", "BCR", "ENSG3"]


def _same(path_list: list[Path]) -> None:
    m = read_counts(path_list)
    pd.testing.assert_frame_equal(m.counts, COUNTS, check_dtype=False)
    assert m.counts.dtypes.eq(np.int64).all()


def test_tsv_with_gene_names(tmp_path: Path) -> None:
    table = COUNTS.copy()
    table.insert(0, "gene_name", ["ABL1", "BCR", ""])
    table.to_csv(tmp_path / "counts.tsv", sep="\t")
    _same([tmp_path / "counts.tsv"])
    assert read_counts([tmp_path / "counts.tsv"]).gene_names.tolist() == NAMES


def test_csv_without_names(tmp_path: Path) -> None:
    COUNTS.to_csv(tmp_path / "counts.csv")
    _same([tmp_path / "counts.csv"])


def test_featurecounts(tmp_path: Path) -> None:
    lines = [
        '# Program:featureCounts v2.0.3; Command:"featureCounts" "-a" "genes.gtf"',
        "Geneid\tChr\tStart\tEnd\tStrand\tLength\taln/S1.Aligned.sortedByCoord.out.bam\tS2.bam",
        "ENSG1\tchr9\t1\t100\t+\t100\t10\t3",
        "ENSG2\tchr22\t1\t100\t+\t100\t0\t7",
        "ENSG3\tchr1\t1\t100\t-\t100\t5\t1",
    ]
    (tmp_path / "fc.txt").write_text("\n".join(lines) + "\n")
    _same([tmp_path / "fc.txt"])


def test_star_reads_per_gene(tmp_path: Path) -> None:
    head = (
        "N_unmapped\t1\t1\t1\nN_multimapping\t0\t0\t0\nN_noFeature\t0\t0\t0\nN_ambiguous\t0\t0\t0\n"
    )
    for sample, col in (("S1", 2), ("S2", 3)):
        rows = []
        for gene, value in COUNTS[sample].items():
            fields = [value + 100, 0, 0]
            fields[col - 1] = value
            rows.append(f"{gene}\t" + "\t".join(map(str, fields)))
        (tmp_path / f"{sample}.ReadsPerGene.out.tab").write_text(head + "\n".join(rows) + "\n")
    used = {"S1": "forward", "S2": "reverse"}
    for sample in used:
        decision = {"sample": sample, "used": used[sample]}
        (tmp_path / f"{sample}.strandedness.json").write_text(json.dumps(decision))
    _same(sorted(tmp_path.glob("*.ReadsPerGene.out.tab")))


def test_h5ad(tmp_path: Path) -> None:
    adata = ad.AnnData(
        X=COUNTS.T.to_numpy(),
        obs=pd.DataFrame(index=COUNTS.columns),
        var=pd.DataFrame({"gene_name": NAMES}, index=COUNTS.index),
    )
    adata.layers["counts"] = COUNTS.T.to_numpy()
    adata.write_h5ad(tmp_path / "cohort.h5ad")
    _same([tmp_path / "cohort.h5ad"])


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda t: t.rename(index={"ENSG2": "ENSG1"}), "duplicated gene IDs: ENSG1"),
        (lambda t: t.assign(S2=[3, -1, 1]), "negative counts"),
        (lambda t: t.assign(S2=[3, 1.5, 1]), "non-integer counts"),
        (lambda t: t.assign(S2=["3", "seven", "1"]), "non-numeric count 'seven'"),
        (lambda t: t.iloc[:0], "count matrix is empty"),
    ],
)
def test_bad_matrix(tmp_path: Path, edit, problem: str) -> None:
    edit(COUNTS.copy()).to_csv(tmp_path / "counts.tsv", sep="\t")
    with pytest.raises(InputError, match=problem) as info:
        read_counts([tmp_path / "counts.tsv"])
    assert str(info.value).startswith(str(tmp_path / "counts.tsv"))


def test_several_non_star_files_rejected(tmp_path: Path) -> None:
    COUNTS.to_csv(tmp_path / "a.tsv", sep="\t")
    COUNTS.to_csv(tmp_path / "b.tsv", sep="\t")
    with pytest.raises(InputError, match="only STAR ReadsPerGene"):
        read_counts([tmp_path / "a.tsv", tmp_path / "b.tsv"])
