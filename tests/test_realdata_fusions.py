"""Fusions on real reads: BT474's fusion reads aligned by tkiseq's STAR onto FusionInspector's
fusion-gene contigs, against FusionInspector's 8 fusions and their GRCh38 breakpoints.

The contigs are cut between their two genes (``split_contigs.*``), so a fusion read is a STAR
chimera as on a genome. Breakpoints come back to GRCh38 through each exon row's
``orig_coord_info`` (gene B's rows were shifted with the cut, their GRCh38 coordinates not).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from realdata import realdata
from tkiseq.align.star import align_sample, build_index
from tkiseq.fusions import stage_call
from tkiseq.genome.bundle import prepare


def _exons(gtf: Path) -> list[tuple[str, int, int, str, int, int, str]]:
    """(contig, start, end, GRCh38 chrom, start, end, strand) of every exon row."""
    out = []
    with gzip.open(gtf, "rt") as fh:
        for line in fh:
            f = line.split("\t")
            if len(f) == 9 and f[2] == "exon":
                orig = re.search(r'orig_coord_info "([^"]+)"', f[8]).group(1).split(",")  # type: ignore[union-attr]
                out.append(
                    (f[0], int(f[3]), int(f[4]), orig[0], int(orig[1]), int(orig[2]), orig[3])
                )
    return out


def grch38(exons: list[tuple], breakpoint: str) -> str:
    """``contig:pos:+`` on a split contig -> ``chrom:pos:strand`` on GRCh38 (one exon's)."""
    contig, pos, _ = breakpoint.rsplit(":", 2)
    p = int(pos)
    hits = {
        f"{chrom}:{s + (p - a) if strand == '+' else e - (p - a)}:{strand}"
        for c, a, b, chrom, s, e, strand in exons
        if c == contig and a <= p <= b
    }
    assert len(hits) == 1, (breakpoint, hits)
    return hits.pop()


@pytest.fixture(scope="module")
def fusions(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    data = realdata("bt474_fusions")
    tmp = tmp_path_factory.mktemp("bt474f")
    fasta, gtf = data / "split_contigs.fa", data / "split_contigs.gtf.gz"
    index = tmp / "star"
    build_index(fasta, gtf, index, threads=2, read_length=50)
    bundle = prepare(gtf, fasta, tmp / "ref")
    aln = tmp / "aln"
    align_sample(
        "f", data / "BT474f_R1.fastq.gz", data / "BT474f_R2.fastq.gz", index, aln, threads=2
    )
    inputs = stage_call.Inputs(
        sample="f",
        chimeric=aln / "f.Chimeric.out.junction",
        sj=aln / "f.SJ.out.tab",
        annotation=bundle,
        log_final=aln / "f.Log.final.out",
        fasta=fasta,
        bam=aln / "f.bam",
    )
    table = stage_call.run(inputs, stage_call.Params(), tmp / "fus")
    return pd.read_csv(table, sep="\t"), data


def test_all_fusioninspector_fusions_high_confidence_at_its_breakpoints(fusions) -> None:
    table, data = fusions
    exons = _exons(data / "split_contigs.gtf.gz")
    known = json.loads((data / "fusioninspector_fusions.json").read_text())["fusions"]
    assert len(known) == 8
    table["b5"] = [grch38(exons, b) for b in table.breakpoint5]
    table["b3"] = [grch38(exons, b) for b in table.breakpoint3]
    for fusion in known:
        gene5, gene3 = fusion["Fusion"].split("--")
        rows = table[
            (table.gene5 == gene5)
            & (table.gene3 == gene3)
            & (table.b5 == fusion["Left Breakpoint"])
            & (table.b3 == fusion["Right Breakpoint"])
        ]
        assert len(rows) == 1, fusion["Fusion"]
        assert rows.iloc[0].confidence == "high" and rows.iloc[0].filters == "PASS"
    high = table[table.confidence == "high"]
    # besides the 8: VAPB::IKZF3 at the two other IKZF3 exons STAR-Fusion also reports
    extra = high[
        ~high.set_index(["b5", "b3"]).index.isin(
            [(f["Left Breakpoint"], f["Right Breakpoint"]) for f in known]
        )
    ]
    assert sorted(extra.b3) == ["chr17:39766493:-", "chr17:39788374:-"]
    assert set(extra.gene5 + "::" + extra.gene3) == {"VAPB::IKZF3"}
