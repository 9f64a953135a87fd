"""Issue 14: with a FASTA named ``1, 2, ...`` and a GTF named ``chr1, ...``, fusions and
splice lesions name contigs as the FASTA (as STAR's junction files, the BAM and the variants
do), not as the GTF."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bundles import bundle_of
from test_fusions_units import E1A2, chim_line, write_chimeric
from test_fusions_units import write_gtf as write_fusion_gtf
from test_splice_lesions import sj_row
from test_splice_lesions import write_gtf as write_ikzf1_gtf
from tkiseq.fusions import stage_call
from tkiseq.fusions.annotation import read_annotation
from tkiseq.splicing import stage as splicing_stage


def unprefixed(end: tuple[str, int, str]) -> tuple[str, int, str]:
    return (end[0].removeprefix("chr"), end[1], end[2])


@pytest.mark.parametrize("fasta_naming", ["chr", "plain"])
def test_fusion_breakpoints_use_the_junction_files_naming(
    tmp_path: Path, fasta_naming: str
) -> None:
    """The GTF says chr22/chr9; STAR's files say what the FASTA (and so the index) says."""
    rename = (lambda e: e) if fasta_naming == "chr" else unprefixed
    prefix = "chr" if fasta_naming == "chr" else ""
    ends = [rename(e) for e in E1A2]
    lines = [chim_line(*ends, f"r{i}") for i in range(4)]
    chimeric = write_chimeric(tmp_path / "c.junction", lines)
    sj = tmp_path / "SJ.out.tab"
    sj.write_text(f"{prefix}9\t600\t4999\t1\t1\t1\t8\t0\t50\n")
    gtf = write_fusion_gtf(tmp_path / "genes.gtf")
    table = pd.read_csv(
        stage_call.run(
            stage_call.Inputs(sample="S1", chimeric=chimeric, sj=sj, annotation=bundle_of(gtf)),
            stage_call.Params(),
            tmp_path / "out",
        ),
        sep="\t",
        dtype=str,
    )
    row = table.iloc[0]
    assert (row.gene5, row.gene3) == ("BCR", "ABL1")
    assert (row.breakpoint5, row.breakpoint3) == (f"{prefix}22:1099:+", f"{prefix}9:5000:+")
    assert row.confidence == "high"


def test_splice_lesion_intron_uses_the_junction_files_naming(tmp_path: Path) -> None:
    sj = tmp_path / "SJ.out.tab"
    rows = [sj_row(3, 8, 20), sj_row(1, 2, 30)]
    sj.write_text("\n".join(r.removeprefix("chr") for r in rows) + "\n")
    gtf = write_ikzf1_gtf(tmp_path / "g.gtf")  # chr7
    inputs = splicing_stage.Inputs(sample="S", sj=sj, annotation=bundle_of(gtf))
    out = splicing_stage.run(inputs, splicing_stage.Params(), tmp_path / "out")
    table = pd.read_csv(out, sep="\t")
    assert table[["lesion", "intron", "junction_reads"]].values.tolist() == [
        ["IKZF1_del4-7", "7:3100-7999", 20]
    ]


def test_annotation_renamed_keeps_genes_exons_and_sites(tmp_path: Path) -> None:
    ann = read_annotation(bundle_of(write_fusion_gtf(tmp_path / "genes.gtf")))
    renamed = ann.in_naming_of(["9", "22", "MT"])
    assert sorted(renamed.contigs) == ["22", "9", "MT"]
    assert renamed.genes_at("9", 5100, "+") == ann.genes_at("chr9", 5100, "+")
    assert renamed.donors[("22", "+", 1099)] == ann.donors[("chr22", "+", 1099)]
    assert ann.in_naming_of(["chr9", "chr22"]) is ann  # same naming: nothing rebuilt
