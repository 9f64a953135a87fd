"""The stage registry and the local runner's tasks built from it."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
from pathlib import Path

import pytest

from tkiseq import runner
from tkiseq.cli import main
from tkiseq.inputs.phenotypes import phenotypes_for_de
from tkiseq.prepared import Prepared
from tkiseq.runner import Plan, RunConfig
from tkiseq.stages import (
    BY_GIVEN,
    BY_NAME,
    COHORT,
    PER_SAMPLE,
    SETUP,
    STAGES,
    TESTED,
    TESTED_PHENOTYPES,
    VALID_SAMPLESHEET,
    read_tested_phenotypes,
)


def test_every_upstream_file_is_an_output_of_an_earlier_stage() -> None:
    order = [s.name for s in STAGES]
    for stage in STAGES:
        for option in stage.options:
            producer, sep, name = option.value.partition(":")
            if sep:
                made = BY_NAME[producer].outputs + BY_NAME[producer].optional
                assert name in made, f"{stage.name}: {option.value}"
                assert order.index(producer) < order.index(stage.name), stage.name


def test_every_stage_module_has_params_inputs_and_run() -> None:
    """The one stage shape: the registry names a module exporting a frozen ``Params``, an
    ``Inputs`` dataclass and ``run(inputs, params, outdir)``, from which the CLI is built."""
    for stage in STAGES:
        code = stage.code()
        assert {"Params", "Inputs", "run"} <= set(code.__all__), stage.name
        params, inputs = code.Params, code.Inputs
        assert dataclasses.is_dataclass(params) and params.__dataclass_params__.frozen, stage.name
        assert dataclasses.is_dataclass(inputs), stage.name
        assert list(inspect.signature(code.run).parameters) == ["inputs", "params", "outdir"]
        assert stage.params_class() is params


def test_the_runner_fields_name_what_exists() -> None:
    """What replaces the runner's special cases: a given output is a RunConfig field of a
    stage with a reuse check, a switch is a RunConfig field, ``loads`` names a given output,
    and the validated tables are outputs of a setup stage."""
    config = {f.name: f for f in dataclasses.fields(RunConfig)}
    for stage in STAGES:
        if stage.given:
            assert stage.given in config and isinstance(stage.prepared(), Prepared), stage.name
            assert stage in SETUP and stage.outputs[0] in (stage.outdir, stage.given), stage.name
        assert not stage.reuse or stage.given, f"{stage.name}: reused, but cannot be given"
        for switch in stage.switches:
            assert config[switch.name].default is False, switch.name
            assert switch.flag == "--" + switch.name.replace("_", "-")
        assert not stage.loads or stage.loads in BY_GIVEN, stage.name
    assert SETUP + PER_SAMPLE + COHORT == STAGES
    assert {s.scope for s in PER_SAMPLE} == {"sample"}
    assert "sample" not in {s.scope for s in SETUP + COHORT}
    for reference in (VALID_SAMPLESHEET, TESTED):
        producer, _, name = reference.partition(":")
        assert BY_NAME[producer] in SETUP and name in BY_NAME[producer].outputs


def test_the_runner_names_no_stage() -> None:
    """The local runner handles every stage through its registry fields, none by name."""
    source = Path(runner.__file__).read_text()
    by_name = re.findall(r"BY_NAME\[\s*[\"'](\w+)|\.(?:stage|name)\s*[!=]=\s*[\"'](\w+)", source)
    assert not by_name, f"runner.py special-cases {by_name}: make it a registry field"


def test_a_switch_reaches_its_stage_only_when_set() -> None:
    cfg = RunConfig(
        input=Path("/d/s.csv"),
        phenotypes=Path("/d/p.csv"),
        fasta=Path("/r/g.fa"),
        gtf=Path("/r/g.gtf"),
        dbsnp=Path("/r/dbsnp.vcf.gz"),
        outdir=Path("/o"),
    )
    for stage in [s for s in STAGES if s.switches]:
        for switch in stage.switches:
            unset = Plan(cfg, Path("/o"), ROWS).task(stage)
            on = Plan(dataclasses.replace(cfg, **{switch.name: True}), Path("/o"), ROWS)
            assert switch.flag not in unset.args and switch.flag in on.task(stage).args
            others = [
                t for s in STAGES if s is not stage and s.scope == "cohort" for t in [on.task(s)]
            ]
            assert not any(switch.flag in t.args for t in others), switch.flag


def test_a_given_output_replaces_the_one_its_stage_makes() -> None:
    """Unset, a given value names its stage's output (what later stages read); given, the
    user's path."""
    cfg = RunConfig(
        input=Path("/d/s.csv"),
        phenotypes=Path("/d/p.csv"),
        fasta=Path("/r/g.fa"),
        gtf=Path("/r/g.gtf"),
        dbsnp=Path("/r/dbsnp.vcf.gz"),
        outdir=Path("/o"),
    )
    for name, stage in BY_GIVEN.items():
        built = Plan(cfg, Path("/o"), ROWS)
        assert built.run_values[name] == built.task(stage).outputs[0]
        given = Plan(dataclasses.replace(cfg, **{name: Path("/mine")}), Path("/o"), ROWS)
        assert given.run_values[name] == Path("/mine")


ROWS = [
    {
        "sample": "P1",
        "fastq_1": "/d/P1_1.fq.gz",
        "fastq_2": "/d/P1_2.fq.gz",
        "bam": "",
        "vcf": "",
        "strandedness": "reverse",
    },
    {
        "sample": "P2",
        "fastq_1": "",
        "fastq_2": "",
        "bam": "/d/P2.bam",
        "vcf": "/d/P2.vcf.gz",
        "strandedness": "auto",
    },
]


def plan(gene_sets: tuple[Path, ...]) -> Plan:
    cfg = RunConfig(
        input=Path("/d/s.csv"),
        phenotypes=Path("/d/p.csv"),
        fasta=Path("/r/g.fa"),
        gtf=Path("/r/g.gtf"),
        dbsnp=Path("/r/dbsnp.vcf.gz"),
        outdir=Path("/o"),
        gene_sets=gene_sets,
        threads=4,
    )
    return Plan(cfg, Path("/o"), ROWS)


def test_sample_tasks_follow_each_row() -> None:
    fastq, bam_only = (plan(()).sample_chain(r["sample"], threads=2) for r in ROWS)
    assert fastq[0].args == [
        "align",
        "--sample",
        "P1",
        "--fastq-1",
        "/d/P1_1.fq.gz",
        "--fastq-2",
        "/d/P1_2.fq.gz",
        "--strandedness",
        "reverse",
        "--star-index",
        "/o/reference/star_index",
        "--threads",
        "2",
        "--outdir",
        "/o/align/P1",
    ]
    assert fastq[0].outputs[0] == Path("/o/align/P1/P1.bam")
    assert bam_only[0].args[3:5] == ["--bam", "/d/P2.bam"] and "--fastq-1" not in bam_only[0].args
    # a user VCF replaces calling from the BAM over the annotation's exons
    called, given = fastq[1], bam_only[1]
    assert called.args[8:12] == ["--annotation", "/o/reference/annotation", "--threads", "2"]
    assert "--annotation" not in given.args and "--threads" not in given.args
    assert given.args[given.args.index("--vcf") + 1] == "/d/P2.vcf.gz"
    assert Path("/d/P2.vcf.gz") in given.inputs
    assert [t.stage for t in fastq] == [s.name for s in STAGES if s.scope == "sample"]


def test_cohort_tasks_take_every_sample_and_each_phenotype() -> None:
    tasks = plan((Path("/g/a.gmt"), Path("/g/b.gmt"))).cohort_tasks(["auc_x", "auc_y"])
    names = [t.name for t in tasks]
    assert names == [
        "counts",
        "variants_cohort",
        "fusions_cohort",
        "subtypes",
        "de.auc_x",
        "de.auc_y",
        "gsea.auc_x",
        "gsea.auc_y",
        "response",
        "lesions",
        "associations",
        "report",
    ]
    counts = tasks[0]
    tables = ["/o/align/P1/P1.ReadsPerGene.out.tab", "/o/align/P2/P2.ReadsPerGene.out.tab"]
    gate = counts.args.index("--log-final")  # then each sample's Log.final.out (the QC gate)
    assert counts.args[gate - len(tables) : gate] == tables
    assert counts.args[gate + 1 : -2] == [
        t.replace("ReadsPerGene.out.tab", "Log.final.out") for t in tables
    ]
    assert counts.args[-2:] == ["--outdir", "/o/expression"]
    lesions = next(t for t in tasks if t.stage == "lesions")
    assert "--cnv" not in lesions.args  # the run has no cnv.csv
    i = lesions.args.index("--splice")
    assert lesions.args[i + 1 : i + 3] == [
        "/o/splicing/P1.splice_lesions.tsv",
        "/o/splicing/P2.splice_lesions.tsv",
    ]
    assert tasks[-2].outputs[-1] == Path("/o/stats/associations.tsv")
    gsea = next(t for t in tasks if t.name == "gsea.auc_y")
    assert gsea.args[:5] == [
        "gsea",
        "--de",
        "/o/de/de_auc_y.tsv",
        "--gene-sets",
        "/g/a.gmt,/g/b.gmt",
    ]
    assert gsea.inputs == [Path("/o/de/de_auc_y.tsv"), Path("/g/a.gmt"), Path("/g/b.gmt")]
    assert "gsea" not in {t.stage for t in plan(()).cohort_tasks(["auc_x"])}
    report = tasks[-1]  # last: every sample's logs, every phenotype's tables
    logs = {
        f"/o/align/{s}/{s}{x}" for s in ("P1", "P2") for x in (".Log.final.out", ".markdup.txt")
    }
    tables = {f"/o/{d}/{d}_{p}.tsv" for d in ("de", "gsea") for p in ("auc_x", "auc_y")}
    assert logs | tables <= set(map(str, report.inputs)) == set(report.args[1:-2])
    assert report.args[-2:] == ["--outdir", "/o/report"]
    without_sets = plan(()).cohort_tasks(["auc_x"])[-1]
    assert not any("gsea" in str(p) for p in without_sets.inputs)


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


def test_subtypes_task_takes_every_sample_and_the_references_when_given() -> None:
    (task,) = [t for t in plan(()).cohort_tasks(["auc_x"]) if t.stage == "subtypes"]
    assert task.args[task.args.index("--vcfs") + 1 : task.args.index("--vcfs") + 3] == [
        "/o/variants/P1.all.vcf.gz",
        "/o/variants/P2.all.vcf.gz",
    ]
    assert "--subtype-reference" not in task.args and "--cnv" not in task.args
    assert "--subtype-centroids" not in task.args
    cfg = RunConfig(
        input=Path("/d/s.csv"),
        phenotypes=Path("/d/p.csv"),
        fasta=Path("/r/g.fa"),
        gtf=Path("/r/g.gtf"),
        dbsnp=Path("/r/dbsnp.vcf.gz"),
        outdir=Path("/o"),
        subtype_reference=Path("/r/ref.h5ad"),
        cnv=Path("/d/cnv.csv"),
        subtype_centroids=Path("/r/centroids.tsv"),
    )
    with_ref = Plan(cfg, Path("/o"), ROWS)
    (task,) = [t for t in with_ref.cohort_tasks([]) if t.stage == "subtypes"]
    assert task.args[task.args.index("--subtype-reference") + 1] == "/r/ref.h5ad"
    assert task.args[task.args.index("--cnv") + 1] == "/o/pipeline_info/inputs/cnv.valid.csv"
    assert Path("/r/ref.h5ad") in task.inputs
    assert task.args[task.args.index("--subtype-centroids") + 1] == "/r/centroids.tsv"
    assert Path("/r/centroids.tsv") in task.inputs


def _table(heading: str) -> list[list[str]]:
    """The rows (cells without backticks) of the first table after ``heading`` in docs/usage.md."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "usage.md").read_text()
    block = text.split(heading, 1)[1].split("\n\n|", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("|").split("|") for line in ("|" + block).splitlines()[2:]]
    return [[cell.strip().replace("`", "") for cell in row] for row in rows]


def test_usage_stage_table_follows_the_registry() -> None:
    documented = {(row[0], row[1], row[2]) for row in _table("### Stages")}
    registry = {
        (" ".join(s.command), s.scope, s.publish.replace("{sample}", "<sample>")) for s in STAGES
    }
    assert documented == registry


def test_usage_threshold_table_follows_the_registry() -> None:
    documented = {tuple(row) for row in _table("### Study thresholds")}
    registry = {
        (f"--{t.name.replace('_', '-')}", t.name, f"tkiseq {' '.join(s.command)} {t.flag}")
        for s in STAGES
        for t in s.tuning
    }
    assert documented == registry


def _parsers(parser: argparse.ArgumentParser, name: str = "tkiseq"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def test_every_option_has_help_and_shows_its_default() -> None:
    from tkiseq.cli import build_parser
    from tkiseq.subtypes.stage import SubtypesParams
    from tkiseq.variants.filter import FilterParams

    seen = 0
    for name, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help, f"{name} {action.option_strings or action.dest}: no help text"
            seen += 1
    assert seen > 80
    helps = {n: " ".join(p.format_help().split()) for n, p in _parsers(build_parser())}
    assert f"(default: {FilterParams().min_vaf})" in helps["tkiseq variants filter"]
    neighbours = SubtypesParams().reference_neighbours
    assert (
        f"--neighbours NEIGHBOURS subtype reference: neighbours per sample (default: {neighbours})"
        in helps["tkiseq subtypes"]
    )
    assert (
        "--min-vaf MIN_VAF" in helps["tkiseq run"] and "(default: None)" not in helps["tkiseq run"]
    )


def test_a_run_command_line_becomes_its_run_config() -> None:
    """`tkiseq run`'s options are RunConfig's fields; a registry switch and a tuning set on the
    command line reach the config, and comma lists become paths."""
    from tkiseq.cli import build_parser

    argv = [
        "run",
        "--input",
        "s.csv",
        "--phenotypes",
        "p.csv",
        "--fasta",
        "g.fa",
        "--gtf",
        "g.gtf",
        "--dbsnp",
        "d.vcf.gz",
        "--outdir",
        "o",
        "--gene-sets",
        "a.gmt,b.gmt",
        "--threads",
        "3",
        "--allow-same-reads",
        "--min-vaf",
        "0.2",
    ]
    cfg = runner.config_from_args(build_parser(only="run").parse_args(argv))
    assert cfg == RunConfig(
        input=Path("s.csv"),
        phenotypes=Path("p.csv"),
        fasta=Path("g.fa"),
        gtf=Path("g.gtf"),
        dbsnp=Path("d.vcf.gz"),
        outdir=Path("o"),
        gene_sets=(Path("a.gmt"), Path("b.gmt")),
        threads=3,
        allow_same_reads=True,
        tuning={"min_vaf": "0.2"},
    )
    plain = runner.config_from_args(build_parser(only="run").parse_args(argv[:13]))
    assert not plain.allow_same_reads and plain.tuning == {} and plain.threads == 2


@pytest.mark.parametrize(
    ("extra", "refused"),
    [(["--counts", "m.tsv"], "--counts"), ([], "--dbsnp")],
)
def test_reads_and_a_count_matrix_exclude_each_other(extra: list[str], refused: str) -> None:
    from tkiseq.cli import build_parser
    from tkiseq.errors import InputError

    argv = [
        "run",
        "--input",
        "s.csv",
        "--phenotypes",
        "p.csv",
        "--fasta",
        "g.fa",
        "--gtf",
        "g.gtf",
        "--outdir",
        "o",
        *extra,
    ]
    with pytest.raises(InputError, match=refused):
        runner.config_from_args(build_parser(only="run").parse_args(argv))
