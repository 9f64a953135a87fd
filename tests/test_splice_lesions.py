"""Exon-deletion junctions (IKZF1 delta4-7): a hand-made gene, then the simulated truth."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bundles import bundle_of
from tkiseq.cli import main
from tkiseq.fusions.annotation import read_annotation
from tkiseq.fusions.junctions import read_sj
from tkiseq.splicing import stage
from tkiseq.splicing.lesions import COLUMNS, find_lesions

# IKZF1-like gene on '+': 8 exons of 100 bases every 1000; an annotated isoform skips exon 2.
EXONS = [(1000 * i, 1000 * i + 99) for i in range(1, 9)]


def write_gtf(path: Path, ik6_model: bool = False) -> Path:
    models = [("T1", range(1, 9)), ("T2", [1, *range(3, 9)])]
    if ik6_model:  # an annotated transcript with the delta4-7 junction
        models.append(("T3", [1, 2, 3, 8]))
    rows = []
    for tid, numbers in models:
        for n in numbers:
            s, e = EXONS[n - 1]
            attrs = f'gene_id "G"; transcript_id "{tid}"; gene_name "IKZF1"; exon_number {n};'
            rows.append("\t".join(["chr7", "T", "exon", str(s), str(e), ".", "+", ".", attrs]))
    path.write_text("\n".join(rows) + "\n")
    return path


def sj_row(donor_exon: int, acceptor_exon: int, reads: int) -> str:
    start, end = EXONS[donor_exon - 1][1] + 1, EXONS[acceptor_exon - 1][0] - 1
    return f"chr7\t{start}\t{end}\t1\t1\t0\t{reads}\t0\t40"


def test_delta4_7_named_counted_and_annotated_skips_ignored(tmp_path: Path) -> None:
    sj = tmp_path / "SJ.out.tab"
    rows = [sj_row(i, i + 1, 30) for i in range(1, 8)]
    rows += [sj_row(3, 8, 20), sj_row(1, 3, 50), sj_row(2, 5, 1)]  # 1->3 is annotated (T2)
    sj.write_text("\n".join(rows) + "\n")
    table = find_lesions(
        "S", read_sj(sj), read_annotation(bundle_of(write_gtf(tmp_path / "g.gtf")))
    )
    assert list(table.columns) == COLUMNS
    assert table["lesion"].tolist() == ["IKZF1_del4-7"]  # 2->5 has one read only
    row = table.iloc[0]
    assert (row.donor_exon, row.acceptor_exon, row.junction_reads) == (3, 8, 20)
    assert row.intron == "chr7:3100-7999"
    assert row.fraction == pytest.approx(20 / 50)
    assert row.annotated == "no"


def test_delta4_7_reported_even_when_a_transcript_has_its_junction(tmp_path: Path) -> None:
    sj = tmp_path / "SJ.out.tab"
    sj.write_text("\n".join([sj_row(3, 8, 20), sj_row(1, 3, 50)]) + "\n")
    gtf = write_gtf(tmp_path / "g.gtf", ik6_model=True)
    table = find_lesions("S", read_sj(sj), read_annotation(bundle_of(gtf)))
    assert table[["lesion", "annotated"]].values.tolist() == [["IKZF1_del4-7", "yes"]]


def test_cli_writes_table_and_rejects_bad_sj(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gtf = write_gtf(tmp_path / "g.gtf")
    bad = tmp_path / "bad.tab"
    bad.write_text("chr7\t100\t200\n")
    args = [
        "splice-lesions",
        "--sample",
        "S",
        "--annotation",
        str(bundle_of(gtf)),
        "--outdir",
        str(tmp_path / "o"),
    ]
    assert main([*args, "--sj", str(bad)]) == 2
    assert "expected 9" in capsys.readouterr().err
    assert not (tmp_path / "o" / "S.splice_lesions.tsv").exists()
    empty = tmp_path / "empty.tab"
    empty.write_text("")
    assert main([*args, "--sj", str(empty)]) == 0
    assert (tmp_path / "o" / "S.splice_lesions.tsv").read_text().split() == COLUMNS


@pytest.mark.slow
def test_ikzf1_delta4_7_in_planted_samples_only(
    tiny_data: Path, tiny_run: Path, tmp_path: Path
) -> None:
    truth = pd.read_csv(tiny_data / "truth" / "splice_lesions.tsv", sep="\t")
    truth = truth[truth["lesion"] == "IKZF1_del4-7"]
    expected = set(truth.loc[truth["junction_reads"] >= 2, "sample"])
    found = set()
    for sample in pd.read_csv(tiny_data / "samplesheet.csv")["sample"]:
        sj = tiny_run / "align" / sample / f"{sample}.SJ.out.tab"
        inputs = stage.Inputs(sample=sample, sj=sj, annotation=bundle_of(tiny_data / "genes.gtf"))
        path = stage.run(inputs, stage.Params(), tmp_path)
        table = pd.read_csv(path, sep="\t")
        hits = table[table["lesion"] == "IKZF1_del4-7"]
        if len(hits):
            found.add(sample)
            row = hits.iloc[0]
            planted = truth[truth["sample"] == sample].iloc[0]
            assert row.intron == planted.intron
            assert abs(row.fraction - planted.fraction_of_transcripts) < 0.15
    assert expected and found == expected
