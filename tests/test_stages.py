"""The stage registry and the local runner's tasks built from it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tkiseq.cli import main
from tkiseq.expression.de import phenotypes_for_de
from tkiseq.runner import Plan, RunConfig
from tkiseq.stages import BY_NAME, STAGES, TESTED_PHENOTYPES, read_tested_phenotypes


def test_every_upstream_file_is_an_output_of_an_earlier_stage() -> None:
    order = [s.name for s in STAGES]
    for stage in STAGES:
        for option in stage.options:
            producer, sep, name = option.value.partition(":")
            if sep:
                made = BY_NAME[producer].outputs + BY_NAME[producer].optional
                assert name in made, f"{stage.name}: {option.value}"
                assert order.index(producer) < order.index(stage.name), stage.name


def test_parameter_classes_are_frozen_dataclasses() -> None:
    for stage in STAGES:
        cls = stage.params_class()
        if cls is not None:
            assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, stage.name


ROWS = [
    {"sample": "P1", "fastq_1": "/d/P1_1.fq.gz", "fastq_2": "/d/P1_2.fq.gz", "bam": "", "vcf": "",
     "strandedness": "reverse"},
    {"sample": "P2", "fastq_1": "", "fastq_2": "", "bam": "/d/P2.bam", "vcf": "/d/P2.vcf.gz",
     "strandedness": "auto"},
]  # fmt: skip


def plan(gene_sets: list[Path]) -> Plan:
    cfg = RunConfig(
        input=Path("/d/s.csv"), phenotypes=Path("/d/p.csv"), fasta=Path("/r/g.fa"),
        gtf=Path("/r/g.gtf"), dbsnp=Path("/r/dbsnp.vcf.gz"), outdir=Path("/o"),
        gene_sets=gene_sets, threads=4,
    )  # fmt: skip
    return Plan(cfg, Path("/o"), Path("/o/reference/star_index"), ROWS)


def test_sample_tasks_follow_each_row() -> None:
    fastq, bam_only = (plan([]).sample_chain(r["sample"], threads=2) for r in ROWS)
    assert fastq[0].args == [
        "align", "--sample", "P1", "--fastq-1", "/d/P1_1.fq.gz", "--fastq-2", "/d/P1_2.fq.gz",
        "--strandedness", "reverse", "--star-index", "/o/reference/star_index",
        "--threads", "2", "--outdir", "/o/align/P1",
    ]  # fmt: skip
    assert fastq[0].outputs[0] == Path("/o/align/P1/P1.bam")
    assert bam_only[0].args[3:5] == ["--bam", "/d/P2.bam"] and "--fastq-1" not in bam_only[0].args
    # a user VCF replaces calling from the BAM over the GTF's exons
    called, given = fastq[1], bam_only[1]
    assert called.args[8:12] == ["--gtf", "/r/g.gtf", "--threads", "2"]
    assert "--gtf" not in given.args and "--threads" not in given.args
    assert given.args[given.args.index("--vcf") + 1] == "/d/P2.vcf.gz"
    assert Path("/d/P2.vcf.gz") in given.inputs
    assert [t.stage for t in fastq] == [s.name for s in STAGES if s.scope == "sample"]


def test_cohort_tasks_take_every_sample_and_each_phenotype() -> None:
    tasks = plan([Path("/g/a.gmt"), Path("/g/b.gmt")]).cohort_tasks(["auc_x", "auc_y"])
    names = [t.name for t in tasks]
    assert names == [
        "counts", "variants_cohort", "fusions_cohort", "de.auc_x", "de.auc_y", "gsea.auc_x",
        "gsea.auc_y",
    ]  # fmt: skip
    counts = tasks[0]
    tables = ["/o/align/P1/P1.ReadsPerGene.out.tab", "/o/align/P2/P2.ReadsPerGene.out.tab"]
    assert counts.args[-len(tables) - 2 : -2] == tables
    assert counts.args[-2:] == ["--outdir", "/o/expression"]
    gsea = tasks[-1]
    assert gsea.args[:5] == [
        "gsea",
        "--de",
        "/o/de/de_auc_y.tsv",
        "--gene-sets",
        "/g/a.gmt,/g/b.gmt",
    ]
    assert gsea.inputs == [Path("/o/de/de_auc_y.tsv"), Path("/g/a.gmt"), Path("/g/b.gmt")]
    assert "gsea" not in {t.stage for t in plan([]).cohort_tasks(["auc_x"])}


def test_tested_phenotypes_need_three_values(tmp_path: Path) -> None:
    table = tmp_path / "phenotypes.valid.csv"
    table.write_text(
        "sample,auc_a,auc_b,auc_c,age\nS1,1,,NA,3\nS2,2,5,NA,4\nS3,3,6,NA,5\nS4,NA,,,6\n"
    )
    assert phenotypes_for_de(table) == ["auc_a"]


@pytest.mark.slow
def test_validate_writes_the_tested_phenotypes(tiny_data: Path, tmp_path: Path) -> None:
    args = ["validate", "--input", str(tiny_data / "samplesheet.csv")]
    args += ["--phenotypes", str(tiny_data / "phenotypes.csv"), "--outdir", str(tmp_path)]
    assert main(args) == 0
    written = read_tested_phenotypes(str(tmp_path / TESTED_PHENOTYPES))
    assert written == phenotypes_for_de(tmp_path / "phenotypes.valid.csv")
    assert "auc_imatinib" in written
