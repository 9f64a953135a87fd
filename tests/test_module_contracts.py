"""Module contracts: each Nextflow process's script block, run as Nextflow would run it.

Every module is held to its entry in the stage registry (`tkiseq.stages`): declared outputs,
publish folder, resource label, and the command line its script block runs, which must be the one
the registry gives the local runner for the same task. Every `modules/local/*/main.nf` script
block is rendered (def lines, ext.args from
conf/modules.config, task.cpus, staged input names) and executed with `bash -euo pipefail` in a
work dir where the inputs are symlinks, as Nextflow stages them. The processes are chained as in
main.nf on the tiny dataset, so each runs once: VALIDATE -> STAR_INDEX, PREPARE -> STAR_ALIGN (three
samples) -> VARIANTS_CALL -> VARIANTS_FILTER -> VARIANTS_ANNOTATE -> VARIANTS_COHORT;
STAR_ALIGN -> FUSIONS_CALL -> FUSIONS_COHORT; STAR_ALIGN -> SPLICE_LESIONS;
STAR_ALIGN -> COUNTS -> DE -> GSEA; VALIDATE -> RESPONSE; the cohort tables -> LESIONS ->
ASSOCIATIONS; all of them -> REPORT. Every declared output must appear, versions.yml must
name the stage's tools and versions, and each output's first contract (its header or
records) must hold.
"""

from __future__ import annotations

import csv
import functools
import importlib.metadata
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pysam
import pytest
import yaml

from nextflow_support import (
    REPO,
    Module,
    Obj,
    TaskRun,
    config_params,
    evaluate,
    ext_args,
    interpolate,
    modules,
    parse_versions,
    publish_path,
    run_task,
)
from tkiseq.stages import BY_NAME, BY_PROCESS, STAGES, Stage, command_line

MODULES = {m.name: m for m in modules()}
PARAMS = config_params(profile_configs=("conf/test.config",))
SAMPLES = 3  # aligned samples: DE needs at least 3 with the phenotype; each takes about a minute
PHENOTYPE = "auc_imatinib"  # the AUC the simulator's immune gene set follows
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def tkiseq(*args: str) -> str:
    proc = subprocess.run(
        [str(REPO / "bin" / "tkiseq"), *args], capture_output=True, text=True, check=True
    )
    return proc.stdout


@functools.cache
def usage(command: str = "") -> str:
    """`tkiseq <command> --help` (`command` may be nested: `variants call`)."""
    return tkiseq(*command.split(), "--help")


def expected_versions(tools: tuple[str, ...]) -> dict[str, str]:
    """What a stage's versions.yml must say, found here independently of tkiseq."""
    expected = {"tkiseq": tkiseq("--version").split()[-1]}
    for tool in tools:
        if tool == "star":
            star = subprocess.run(["STAR", "--version"], capture_output=True, text=True)
            expected["star"] = star.stdout.strip()
            continue
        expected[tool] = importlib.metadata.version(tool)
        if tool == "pysam":  # the C libraries and tools pysam bundles, as its version says
            expected |= {f: getattr(pysam.version, f"__{f}_version__") for f in PYSAM_BUNDLED}
    return expected


PYSAM_BUNDLED = ("htslib", "samtools", "bcftools")


def check_task(run: TaskRun) -> None:
    """Declared outputs exist; versions.yml names this process, tkiseq and the tools its stage
    uses (registry), with the versions installed here."""
    assert not run.missing, f"{run.module.name}: declared outputs not written: {run.missing}"
    versions = parse_versions(run.workdir / "versions.yml")
    assert list(versions) == [run.scope["task"].process]
    tools = versions[run.scope["task"].process]
    assert tools == expected_versions(BY_PROCESS[run.module.name].tools), run.module.name


def parse_command(tokens: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """`--flag value` pairs (every tkiseq stage option takes a value) and positional arguments."""
    options: dict[str, list[str]] = {}
    positional: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i].startswith("--"):
            options.setdefault(tokens[i], []).append(tokens[i + 1])
            i += 2
        else:
            positional.append(tokens[i])
            i += 1
    return options, positional


def module_command(run: TaskRun) -> list[str]:
    """The stage's `tkiseq` call as the executed .command.sh has it (after `tkiseq`)."""
    text = (run.workdir / ".command.sh").read_text().split("tkiseq versions")[0]
    tokens = shlex.split(text.replace("\\\n", " "), comments=True)
    return tokens[tokens.index("tkiseq") + 1 :]


# file names of the tiny dataset's run inputs, as Nextflow stages them
TINY_NAMES = {
    "input": "samplesheet.csv", "phenotypes": "phenotypes.csv", "cnv": "cnv.csv",
    "fasta": "genome.fa", "gtf": "genes.gtf", "dbsnp": "dbsnp.vcf.gz", "star_index": "star_index",
    "annotation": "annotation",
}  # fmt: skip


def check_command(
    run: TaskRun, samples: list[str] = (), phenotypes: list[str] = (), **context: object
) -> None:
    """The script block ran the command line the registry gives this task (the local runner's),
    with staged file names for paths; `context` adds row values (fastq_1, vcf, gene_sets); a
    cohort stage reads the per-sample files of `samples` and per-phenotype ones of `phenotypes`."""
    stage = BY_PROCESS[run.module.name]
    meta = run.scope["meta"]
    names = {"sample": meta.id, "phenotype": meta.id}
    values = {**TINY_NAMES, **names, "threads": run.scope["task"].cpus}
    values |= {"strandedness": meta.strandedness, **context}

    def upstream(producer: str, name: str) -> list[str]:
        scope = BY_NAME[producer].scope if stage.scope == "cohort" else ""
        if scope == "phenotype":
            return [name.format(**{**names, "phenotype": p}) for p in phenotypes]
        cohort = scope == "sample"
        return [name.format(**{**names, "sample": s}) for s in (samples if cohort else [meta.id])]

    expected = command_line(stage, values, upstream, stage.outdir).args
    got = module_command(run)
    assert got[: len(stage.command)] == list(stage.command), got
    got_options, got_positional = parse_command(got[len(stage.command) :])
    want_options, want_positional = parse_command(expected[len(stage.command) :])
    extra = ext_args(run.module.name, PARAMS) or ""
    for flag in FLAG.findall(extra.split("'")[0]):  # tuning from conf/modules.config, not files
        got_options.pop(flag)
    assert got_options == want_options, f"{run.module.name}: Nextflow {got} != registry {expected}"
    assert sorted(got_positional) == sorted(want_positional), run.module.name


def header(path: Path) -> list[str]:
    with open(path) as handle:
        return handle.readline().rstrip("\n").split("\t")


def column(path: Path, name: str) -> list[str]:
    with open(path, newline="") as handle:
        return [row[name] for row in csv.DictReader(handle, delimiter="\t")]


# -- static checks (fast): every module against its registry entry ------------------------------
def test_every_stage_has_a_module() -> None:
    assert set(MODULES) == set(BY_PROCESS), "a registry stage without module, or the reverse"
    for stage in STAGES:
        assert MODULES[stage.process].path.parent.name == stage.module


@pytest.mark.parametrize("name", sorted(MODULES))
def test_outputs_are_published_where_the_registry_says(name: str) -> None:
    path = publish_path(name)
    if path is None:  # the default publishDir: <outdir>/<process name in lower case>
        folder = name.lower()
    else:
        scope = {"params": Obj(outdir="results"), "meta": Obj(id="S1")}
        folder = evaluate(path, scope).removeprefix("results/")
    assert folder == BY_PROCESS[name].publish.format(sample="S1")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_declares_the_registry_inputs_and_outputs(name: str) -> None:
    module, stage = MODULES[name], BY_PROCESS[name]
    assert module.subcommands == [" ".join(stage.command)]
    assert module.flags == {o.flag for o in stage.options if o.flag} | {"--outdir"}
    assert f"--outdir {stage.outdir} " in module.command.replace("\\", "") + " "
    scope = {"prefix": "X", "meta": Obj(id="X"), "phenotype": "X"}
    declared = {interpolate(p, scope) for o in module.outputs[:-1] for p in o.patterns}
    registry = {f.format(sample="X", phenotype="X") for f in stage.outputs + stage.optional}
    assert declared == registry
    optional = {interpolate(p, scope) for o in module.outputs if o.optional for p in o.patterns}
    assert optional == set(stage.optional)
    text = module.path.read_text()
    assert re.search(rf"^\s*label '{stage.label}'", text, re.M), "resource label"
    line = f'tkiseq versions --process "${{task.process}}" --stage {stage.name} > versions.yml'
    assert module.script.count(line) == module.stub.count(line) == 1, "versions.yml line"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_follows_the_house_contract(name: str) -> None:
    module = MODULES[name]
    text = module.path.read_text()
    assert re.search(r"^\s*tag ", text, re.M), "tag"
    assert all(o.emit for o in module.outputs), "every output has an emit name"
    assert module.outputs[-1].patterns == ["versions.yml"]
    assert module.inputs[0][0] == ("val", "meta"), "first input is tuple val(meta), path(...)"
    assert "def args = task.ext.args ?: ''" in module.script_preamble
    assert re.search(r"^    when:\n    task\.ext\.when == null \|\| task\.ext\.when\n", text, re.M)
    assert "python" not in module.script + module.stub, "versions come from tkiseq itself"
    (conda,) = re.findall(r'^\s*conda "\$\{moduleDir\}/(.+)"$', text, re.M)
    env = (module.path.parent / conda).resolve()
    assert env == REPO / "modules" / "local" / "environment.yml", "the one shared environment"


def _meta_yml_files(entries: list[dict]) -> list[str]:
    """The names in a meta.yml channel list: [{"meta": {...}}, {"file": {...}}] -> names."""
    return [name for entry in entries for name in entry]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_meta_yml_describes_the_module(name: str) -> None:
    """meta.yml (nf-core layout) names every input and output, with a pattern per file."""
    module = MODULES[name]
    meta = yaml.safe_load((module.path.parent / "meta.yml").read_text())
    assert meta["name"] == name.lower() and meta["description"]
    assert [_meta_yml_files(channel) for channel in meta["input"]] == [
        [var for _, var in channel] for channel in module.inputs
    ]
    outputs = {emit: entries for item in meta["output"] for emit, entries in item.items()}
    assert list(outputs) == [o.emit for o in module.outputs]
    for output in module.outputs:
        files = _meta_yml_files(outputs[output.emit])
        assert [f for f in files if f != "meta"] == output.patterns, output.emit
    for channel in [*meta["input"], *outputs.values()]:
        for entry in channel:
            for var, spec in entry.items():
                assert spec["type"] in ("map", "file", "string") and spec["description"], var
                assert spec["type"] != "file" or spec["pattern"], f"{var}: pattern"


@pytest.mark.parametrize("stage", [s for s in STAGES if s.tuning], ids=lambda s: s.name)
def test_study_thresholds_reach_the_stage_only_when_set(stage: Stage) -> None:
    """Each registry tuning is a Nextflow param (null: the stage's default), documented in the
    schema, and ext.args hands it to the stage as its option only when set."""
    schema = json.loads((REPO / "nextflow_schema.json").read_text())
    documented = {n for group in schema["$defs"].values() for n in group["properties"]}
    unset = Obj({**PARAMS, **{t.name: None for t in stage.tuning}})
    assert not FLAG.findall(ext_args(stage.process, unset) or ""), "nothing when unset"
    for tuning in stage.tuning:
        assert tuning.name in PARAMS and PARAMS[tuning.name] is None, tuning.name
        assert tuning.name in documented, f"{tuning.name}: nextflow_schema.json"
        value = "IKZF1,PAX5" if tuning.field == "genes" else "7"
        args = ext_args(stage.process, Obj({**unset, tuning.name: value}))
        options, positional = parse_command(shlex.split(args))
        assert options == {tuning.flag: [value]} and not positional, args


@pytest.mark.parametrize(("allow", "expected"), [(False, []), (True, ["--allow-same-reads"])])
def test_allow_same_reads_reaches_validate_only_when_set(allow: bool, expected: list[str]):
    """params.allow_same_reads (false by default) becomes validate's --allow-same-reads, an
    option `tkiseq validate` has."""
    assert PARAMS["allow_same_reads"] is False
    assert shlex.split(ext_args("VALIDATE", Obj({**PARAMS, "allow_same_reads": allow}))) == expected
    assert "--allow-same-reads" in usage("validate")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_stub_writes_declared_outputs(name: str, tmp_path: Path) -> None:
    """`nextflow run -stub` must produce every declared output too."""
    module = MODULES[name]
    values: dict = {}
    for channel in module.inputs:
        for kind, var in channel:
            if kind == "val" and var.startswith("meta"):
                values[var] = Obj(id="S1", strandedness="auto", single_end=False)
            elif kind == "val":
                values[var] = var
            else:
                dummy = tmp_path / "inputs" / var
                dummy.parent.mkdir(exist_ok=True)
                dummy.touch()
                values[var] = dummy
    run = run_task(module, tmp_path / "work", values, PARAMS, stub=True)
    check_task(run)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_registry_commands_are_cli_commands(name: str) -> None:
    """The registry's subcommand and options exist in `tkiseq <command> --help`, and so do
    the tuning options conf/modules.config appends."""
    stage = BY_PROCESS[name]
    command = " ".join(stage.command)
    cli = set(FLAG.findall(usage(command))) - {"--help"}
    assert {o.flag for o in stage.options if o.flag} | {"--outdir"} <= cli, command
    extra = ext_args(name, PARAMS) or ""
    tuning = set(FLAG.findall(extra.split("'")[0]))
    assert tuning <= cli, f"{name}: ext.args {extra!r} has options unknown to tkiseq {command}"


# -- the processes, chained on the tiny dataset --------------------------------------------------
def _simulator_ready() -> bool:
    check = "from tkiseq.simulate import simulate"
    proc = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        env={"PYTHONPATH": str(REPO / "python")},
    )
    return proc.returncode == 0


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert _simulator_ready(), "tkiseq.simulate is not importable"
    out = tmp_path_factory.mktemp("tiny")
    tkiseq("simulate", "--preset", "tiny", "--outdir", str(out))
    return out


@pytest.fixture(scope="session")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("work")


@pytest.fixture(scope="session")
def validated(tiny: Path, work: Path) -> TaskRun:
    values = {
        "meta": Obj(id="inputs"),
        "samplesheet": tiny / "samplesheet.csv",
        "phenotypes": tiny / "phenotypes.csv",
        "cnv": tiny / "cnv.csv",
    }
    return run_task(MODULES["VALIDATE"], work / "validate", values, PARAMS)


@pytest.fixture(scope="session")
def star_index(tiny: Path, work: Path) -> TaskRun:
    values = {"meta": Obj(id="star_index"), "fasta": tiny / "genome.fa", "gtf": tiny / "genes.gtf"}
    return run_task(MODULES["STAR_INDEX"], work / "star_index", values, PARAMS)


@pytest.fixture(scope="session")
def prepared(tiny: Path, work: Path) -> TaskRun:
    values = {"meta": Obj(id="annotation"), "gtf": tiny / "genes.gtf", "fasta": tiny / "genome.fa"}
    return run_task(MODULES["PREPARE"], work / "prepare", values, PARAMS)


@pytest.fixture(scope="session")
def aligned(validated: TaskRun, star_index: TaskRun, work: Path) -> list[TaskRun]:
    """The first SAMPLES FASTQ samples of the valid samplesheet (COUNTS and the cohort tables get
    a cohort of files, DE enough samples), with meta built as main.nf builds it."""
    (sheet,) = validated.outputs["samplesheet"]
    (index,) = star_index.outputs["index"]
    runs = []
    with open(sheet, newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["fastq_1"] or len(runs) == SAMPLES:
                continue
            meta = Obj(
                id=row["sample"],
                strandedness=row["strandedness"] or "auto",
                single_end=not row["fastq_2"],
                from_bam=False,
            )
            reads = [Path(row["fastq_1"])] + ([Path(row["fastq_2"])] if row["fastq_2"] else [])
            values = {"meta": meta, "reads": reads, "meta2": Obj(id="star_index"), "index": index}
            runs.append(run_task(MODULES["STAR_ALIGN"], work / f"align_{meta.id}", values, PARAMS))
    assert runs, f"{sheet}: no FASTQ samples"
    return runs


@pytest.fixture(scope="session")
def counted(aligned: list[TaskRun], validated: TaskRun, prepared: TaskRun, work: Path) -> TaskRun:
    values = {
        "meta": Obj(id="cohort"),
        "reads_per_gene": [p for run in aligned for p in run.outputs["reads_per_gene"]],
        "strandedness": [p for run in aligned for p in run.outputs["strandedness"]],
        **_annotation(prepared, "meta2"),
        "meta3": Obj(id="inputs"),
        "phenotypes": validated.outputs["phenotypes"][0],
    }
    return run_task(MODULES["COUNTS"], work / "counts", values, PARAMS)


def _fasta(tiny: Path, meta: str) -> dict:
    """A `tuple val(meta), path(fasta), path(fai)` input named `meta` (main.nf's ch_fasta)."""
    return {meta: Obj(id="genome"), "fasta": tiny / "genome.fa", "fai": tiny / "genome.fa.fai"}


def _annotation(prepared: TaskRun, meta: str) -> dict:
    """A `tuple val(meta), path(annotation)` input named `meta` (main.nf's ch_annotation)."""
    return {meta: Obj(id="annotation"), "annotation": prepared.outputs["annotation"][0]}


def _per_sample(name: str, upstream: list[TaskRun], work: Path, inputs) -> list[TaskRun]:
    """Run process `name` for each sample of `upstream` (same meta), with `inputs(run)` as the
    other input values."""
    runs = []
    for run in upstream:
        meta = run.scope["meta"]
        values = {"meta": meta} | inputs(run)
        runs.append(run_task(MODULES[name], work / f"{name.lower()}_{meta.id}", values, PARAMS))
    return runs


@pytest.fixture(scope="session")
def variants_called(
    aligned: list[TaskRun], prepared: TaskRun, tiny: Path, work: Path
) -> list[TaskRun]:
    """Calls from each aligned BAM; no user VCF, so both optional inputs are [] as in main.nf."""

    def inputs(align: TaskRun) -> dict:
        bam, bai = align.outputs["bam"]
        values = {"bam": bam, "bai": bai, "vcf": [], "vcf_index": []}
        return values | _fasta(tiny, "meta2") | _annotation(prepared, "meta3")

    return _per_sample("VARIANTS_CALL", aligned, work, inputs)


@pytest.fixture(scope="session")
def variants_filtered(
    variants_called: list[TaskRun], fusions: list[TaskRun], tiny: Path, work: Path
) -> list[TaskRun]:
    """The study filter with each sample's fusions.tsv, joined by meta as in main.nf."""
    dbsnp = {"dbsnp": tiny / "dbsnp.vcf.gz", "dbsnp_tbi": tiny / "dbsnp.vcf.gz.tbi"}
    tables = {run.scope["meta"].id: run.outputs["fusions"][0] for run in fusions}

    def inputs(call: TaskRun) -> dict:
        vcf, tbi = call.outputs["vcf"]
        values = {"vcf": vcf, "tbi": tbi, "fusions": tables[call.scope["meta"].id]}
        return values | {"meta2": Obj(id="dbsnp")} | dbsnp | _fasta(tiny, "meta3")

    return _per_sample("VARIANTS_FILTER", variants_called, work, inputs)


@pytest.fixture(scope="session")
def variants_annotated(
    variants_filtered: list[TaskRun], prepared: TaskRun, tiny: Path, work: Path
) -> list[TaskRun]:
    def inputs(filtered: TaskRun) -> dict:
        vcf, tbi = filtered.outputs["all"]
        return {"vcf": vcf, "tbi": tbi} | _fasta(tiny, "meta2") | _annotation(prepared, "meta3")

    return _per_sample("VARIANTS_ANNOTATE", variants_filtered, work, inputs)


@pytest.fixture(scope="session")
def variants_cohort(variants_annotated: list[TaskRun], work: Path) -> TaskRun:
    tables = sorted(p for run in variants_annotated for p in run.outputs["tsv"])
    values = {"meta": Obj(id="cohort"), "tables": tables}
    return run_task(MODULES["VARIANTS_COHORT"], work / "variants_cohort", values, PARAMS)


@pytest.fixture(scope="session")
def fusions(aligned: list[TaskRun], prepared: TaskRun, tiny: Path, work: Path) -> list[TaskRun]:
    def inputs(align: TaskRun) -> dict:
        values = {
            "chimeric": align.outputs["chimeric"][0],
            "sj": align.outputs["junctions"][0],
            "log_final": align.outputs["log_final"][0],
            "bam": align.outputs["bam"][0],
            "bai": align.outputs["bam"][1],
        }
        return values | _fasta(tiny, "meta2") | _annotation(prepared, "meta3")

    return _per_sample("FUSIONS_CALL", aligned, work, inputs)


@pytest.fixture(scope="session")
def fusions_cohort(fusions: list[TaskRun], work: Path) -> TaskRun:
    tables = sorted(p for run in fusions for p in run.outputs["fusions"])
    values = {"meta": Obj(id="cohort"), "tables": tables}
    return run_task(MODULES["FUSIONS_COHORT"], work / "fusions_cohort", values, PARAMS)


@pytest.fixture(scope="session")
def splice_lesions(aligned: list[TaskRun], prepared: TaskRun, work: Path) -> list[TaskRun]:
    def inputs(align: TaskRun) -> dict:
        return {"sj": align.outputs["junctions"][0]} | _annotation(prepared, "meta2")

    return _per_sample("SPLICE_LESIONS", aligned, work, inputs)


@pytest.fixture(scope="session")
def de(counted: TaskRun, validated: TaskRun, work: Path) -> TaskRun:
    """One phenotype's DE; main.nf names the task's meta after the phenotype."""
    values = {
        "meta": Obj(id=PHENOTYPE),
        "counts": counted.outputs["h5ad"][0],
        "phenotype": PHENOTYPE,
        "meta2": Obj(id="inputs"),
        "phenotypes": validated.outputs["phenotypes"][0],
    }
    return run_task(MODULES["DE"], work / f"de_{PHENOTYPE}", values, PARAMS)


@pytest.fixture(scope="session")
def gene_sets(tiny: Path, work: Path) -> list[Path]:
    """The tiny GMT split in two, so the process joins a list of files (--gene-sets a,b)."""
    lines = (tiny / "gene_sets.gmt").read_text().splitlines(keepends=True)
    folder = work / "gene_sets"
    folder.mkdir()
    files = [folder / "planted.gmt", folder / "background.gmt"]
    files[0].write_text("".join(lines[:2]))
    files[1].write_text("".join(lines[2:]))
    return files


@pytest.fixture(scope="session")
def gsea(de: TaskRun, gene_sets: list[Path], work: Path) -> TaskRun:
    values = {
        "meta": de.scope["meta"],
        "de_table": de.outputs["table"][0],
        "meta2": Obj(id="gene_sets"),
        "gene_sets": gene_sets,
    }
    return run_task(MODULES["GSEA"], work / f"gsea_{PHENOTYPE}", values, PARAMS)


@pytest.fixture(scope="session")
def subtyped(
    counted: TaskRun,
    fusions: list[TaskRun],
    variants_filtered: list[TaskRun],
    variants_cohort: TaskRun,
    validated: TaskRun,
    prepared: TaskRun,
    work: Path,
) -> TaskRun:
    values = {
        "meta": Obj(id="cohort"),
        "h5ad": counted.outputs["h5ad"][0],
        **_annotation(prepared, "meta2"),
        "meta3": Obj(id="fusions"),
        "fusions": sorted(p for run in fusions for p in run.outputs["fusions"]),
        "meta4": Obj(id="vcfs"),
        "vcfs": [run.outputs["all"][0] for run in variants_filtered],
        "tbis": [run.outputs["all"][1] for run in variants_filtered],
        "meta5": Obj(id="cohort"),
        "variants": variants_cohort.outputs["variants"][0],
        "meta6": Obj(id="inputs"),
        "cnv": validated.outputs["cnv"][0],
        "meta7": Obj(id="subtype_reference"),
        "subtype_reference": [],
        "meta8": Obj(id="karyotype_reference"),
        "karyotype_reference": [],
    }
    return run_task(MODULES["SUBTYPES"], work / "subtypes", values, PARAMS)


@pytest.fixture(scope="session")
def response(validated: TaskRun, work: Path) -> TaskRun:
    values = {"meta": Obj(id="inputs"), "phenotypes": validated.outputs["phenotypes"][0]}
    return run_task(MODULES["RESPONSE"], work / "response", values, PARAMS)


@pytest.fixture(scope="session")
def lesions(
    validated: TaskRun,
    splice_lesions: list[TaskRun],
    fusions_cohort: TaskRun,
    variants_cohort: TaskRun,
    counted: TaskRun,
    subtyped: TaskRun,
    work: Path,
) -> TaskRun:
    """As main.nf feeds it: valid samplesheet and cnv, every sample's splice lesions, the cohort
    fusion and variant tables, the AnnData and the RNA karyotype."""
    values = {
        "meta": Obj(id="inputs"),
        "samplesheet": validated.outputs["samplesheet"][0],
        "cnv": validated.outputs["cnv"][0],
        "meta2": Obj(id="cohort"),
        "splice_lesions": sorted(p for run in splice_lesions for p in run.outputs["lesions"]),
        "meta3": Obj(id="cohort"),
        "fusions": fusions_cohort.outputs["fusions"][0],
        "meta4": Obj(id="cohort"),
        "variants": variants_cohort.outputs["variants"][0],
        "meta5": Obj(id="cohort"),
        "h5ad": counted.outputs["h5ad"][0],
        "meta6": Obj(id="cohort"),
        "karyotype": subtyped.outputs["karyotype"][0],
    }
    return run_task(MODULES["LESIONS"], work / "lesions", values, PARAMS)


@pytest.fixture(scope="session")
def associations(
    response: TaskRun,
    validated: TaskRun,
    lesions: TaskRun,
    fusions_cohort: TaskRun,
    counted: TaskRun,
    work: Path,
) -> TaskRun:
    values = {
        "meta": Obj(id="inputs"),
        "response": response.outputs["response"][0],
        "meta2": Obj(id="inputs"),
        "phenotypes": validated.outputs["phenotypes"][0],
        "meta3": Obj(id="inputs"),
        "profile": lesions.outputs["profile"][0],
        "meta4": Obj(id="cohort"),
        "fusions": fusions_cohort.outputs["fusions"][0],
        "meta5": Obj(id="cohort"),
        "h5ad": counted.outputs["h5ad"][0],
    }
    return run_task(MODULES["ASSOCIATIONS"], work / "associations", values, PARAMS)


@pytest.mark.slow
def test_validate_contract(validated: TaskRun) -> None:
    check_task(validated)
    check_command(validated)
    assert validated.outputs["cnv"], "cnv.valid.csv is written when --cnv is given"
    (sheet,) = validated.outputs["samplesheet"]
    with open(sheet, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for column in ("fastq_1", "fastq_2", "bam", "vcf"):
            if row.get(column):
                path = Path(row[column])
                assert path.is_absolute() and path.exists(), f"{sheet}: {column} {path}"


@pytest.mark.slow
def test_star_index_contract(star_index: TaskRun) -> None:
    check_task(star_index)
    check_command(star_index)
    (index,) = star_index.outputs["index"]
    assert (index / "SA").exists() and (index / "Genome").exists()


@pytest.mark.slow
def test_prepare_contract(prepared: TaskRun, tiny: Path) -> None:
    """The bundle holds every gene and exon row of the GTF (counted here from the text)."""
    check_task(prepared)
    check_command(prepared)
    (bundle,) = prepared.outputs["annotation"]
    rows = [line.split("\t") for line in (tiny / "genes.gtf").read_text().splitlines()]
    features = [f[2] for f in rows if len(f) == 9]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["rows"]["genes"] == features.count("gene")
    assert manifest["rows"]["exons"] == features.count("exon")
    assert manifest["rows"]["cds"] == features.count("CDS") + features.count("stop_codon")


@pytest.mark.slow
def test_star_align_contract(aligned: list[TaskRun]) -> None:
    for run in aligned:
        check_task(run)
        fastqs = [f.name for f in run.scope["reads"]]
        check_command(run, fastq_1=fastqs[0], fastq_2=fastqs[1] if len(fastqs) > 1 else "")
        (bam, bai) = run.outputs["bam"]
        assert bam.name == f"{run.scope['meta'].id}.bam" and bai.name == f"{bam.name}.bai"


@pytest.mark.slow
def test_counts_contract(counted: TaskRun, aligned: list[TaskRun]) -> None:
    check_task(counted)
    check_command(counted, [run.scope["meta"].id for run in aligned])
    (counts,) = counted.outputs["counts"]
    header = counts.read_text().splitlines()[0].split("\t")
    assert header[:2] == ["gene_id", "gene_name"]
    assert sorted(header[2:]) == sorted(run.scope["meta"].id for run in aligned)


VARIANT_COLUMNS = ["sample", "chrom", "pos", "ref", "alt", "gene"]


@pytest.mark.slow
def test_variants_call_contract(variants_called: list[TaskRun]) -> None:
    for run in variants_called:
        check_task(run)
        check_command(run)
        vcf, tbi = run.outputs["vcf"]
        assert tbi.name == f"{vcf.name}.tbi"
        with pysam.VariantFile(str(vcf)) as calls:
            assert list(calls.header.samples) == [run.scope["meta"].id]
            assert next(iter(calls), None) is not None, f"{vcf}: no calls"


@pytest.mark.slow
def test_variants_call_from_a_user_vcf_contract(
    variants_called: list[TaskRun],
    aligned: list[TaskRun],
    prepared: TaskRun,
    tiny: Path,
    work: Path,
) -> None:
    """The entry point for a user VCF (samplesheet column `vcf`): staged with its index, it
    replaces --annotation/--threads by --vcf, as the runner does."""
    own = variants_called[0]
    meta = own.scope["meta"]
    vcf, tbi = own.outputs["vcf"]
    given = work / "user_vcf_input"
    given.mkdir()
    user_vcf, user_tbi = given / f"{meta.id}.gatk.vcf.gz", given / f"{meta.id}.gatk.vcf.gz.tbi"
    shutil.copy(vcf, user_vcf)
    shutil.copy(tbi, user_tbi)
    bam, bai = aligned[0].outputs["bam"]
    values = {"meta": meta, "bam": bam, "bai": bai, "vcf": user_vcf, "vcf_index": user_tbi}
    values |= _fasta(tiny, "meta2") | _annotation(prepared, "meta3")
    run = run_task(MODULES["VARIANTS_CALL"], work / f"variants_call_user_{meta.id}", values, PARAMS)
    check_task(run)
    check_command(run, vcf=user_vcf.name)
    command = (run.workdir / ".command.sh").read_text()
    assert f"--vcf {user_vcf.name}" in command and "--annotation" not in command
    with (
        pysam.VariantFile(str(run.outputs["vcf"][0])) as calls,
        pysam.VariantFile(str(vcf)) as expected,
    ):
        assert sum(1 for _ in calls) == sum(1 for _ in expected)


@pytest.mark.slow
def test_variants_filter_contract(variants_filtered: list[TaskRun]) -> None:
    for run in variants_filtered:
        check_task(run)
        check_command(run)
        all_vcf, pass_vcf = run.outputs["all"][0], run.outputs["pass"][0]
        with pysam.VariantFile(str(all_vcf)) as everything:
            every = [(r.pos, r.alts, list(r.filter)) for r in everything]
        with pysam.VariantFile(str(pass_vcf)) as passing:
            passed = [(r.pos, r.alts, list(r.filter)) for r in passing]
        assert all(filters for _, _, filters in every), f"{all_vcf}: records without FILTER"
        assert passed == [record for record in every if record[2] == ["PASS"]]


@pytest.mark.slow
def test_variants_annotate_contract(variants_annotated: list[TaskRun]) -> None:
    for run in variants_annotated:
        check_task(run)
        check_command(run)
        (table,) = run.outputs["tsv"]
        assert header(table)[:6] == VARIANT_COLUMNS
        assert set(column(table, "sample")) <= {run.scope["meta"].id}


@pytest.mark.slow
def test_variants_cohort_contract(
    variants_cohort: TaskRun, variants_annotated: list[TaskRun]
) -> None:
    check_task(variants_cohort)
    check_command(variants_cohort, [run.scope["meta"].id for run in variants_annotated])
    (table,) = variants_cohort.outputs["variants"]
    assert header(table)[:6] == VARIANT_COLUMNS
    samples = {run.scope["meta"].id for run in variants_annotated}
    assert set(column(table, "sample")) <= samples
    assert set(column(table, "filter")) <= {"PASS"}
    (alterations,) = variants_cohort.outputs["alterations"]
    assert header(alterations)[0] == "sample"


FUSION_COLUMNS = ["sample", "gene5", "gene3"]


@pytest.mark.slow
def test_fusions_contract(fusions: list[TaskRun]) -> None:
    for run in fusions:
        check_task(run)
        check_command(run)
        (table,) = run.outputs["fusions"]
        assert header(table)[:3] == FUSION_COLUMNS
        assert set(column(table, "sample")) == {run.scope["meta"].id}


@pytest.mark.slow
def test_fusions_cohort_contract(fusions_cohort: TaskRun, fusions: list[TaskRun]) -> None:
    check_task(fusions_cohort)
    check_command(fusions_cohort, [run.scope["meta"].id for run in fusions])
    (table,) = fusions_cohort.outputs["fusions"]
    assert header(table)[:3] == FUSION_COLUMNS
    assert set(column(table, "sample")) == {run.scope["meta"].id for run in fusions}


@pytest.mark.slow
def test_splice_lesions_contract(splice_lesions: list[TaskRun]) -> None:
    for run in splice_lesions:
        check_task(run)
        check_command(run)
        (table,) = run.outputs["lesions"]
        assert header(table)[:3] == ["sample", "gene", "lesion"]
        assert set(column(table, "sample")) <= {run.scope["meta"].id}


@pytest.mark.slow
def test_de_contract(de: TaskRun, counted: TaskRun) -> None:
    check_task(de)
    check_command(de)
    (table,) = de.outputs["table"]
    assert table.name == f"de_{PHENOTYPE}.tsv"
    columns = ["gene_id", "gene_name", "base_mean", "log2fc", "stat", "pvalue", "padj"]
    assert header(table)[:7] == columns
    (counts,) = counted.outputs["counts"]
    assert set(column(table, "gene_id")) <= set(column(counts, "gene_id"))
    assert [p.name for p in de.outputs["plots"]] == [
        f"volcano_{PHENOTYPE}.png",
        f"top_genes_{PHENOTYPE}.png",
    ]


@pytest.mark.slow
def test_gsea_contract(gsea: TaskRun, gene_sets: list[Path]) -> None:
    check_task(gsea)
    check_command(gsea, gene_sets=[gmt.name for gmt in gene_sets])
    (table,) = gsea.outputs["table"]
    assert table.name == f"gsea_{PHENOTYPE}.tsv"
    assert header(table)[:3] == ["term", "es", "nes"]
    assert set(column(table, "gene_set_file")) == {gmt.name for gmt in gene_sets}


@pytest.mark.slow
def test_subtypes_contract(subtyped: TaskRun, fusions: list[TaskRun]) -> None:
    check_task(subtyped)
    check_command(subtyped, [run.scope["meta"].id for run in fusions])
    (table,) = subtyped.outputs["subtypes"]
    assert header(table)[:11] == [
        "sample", "subtype", "confidence", "risk_group", "evidence", "chromosome_number",
        "ploidy_class", "karyotype", "ph_like_score", "cd19_expression", "cd22_expression",
    ]  # fmt: skip
    assert set(column(table, "sample")) == {run.scope["meta"].id for run in fusions}
    # the first tiny samples are BCR::ABL1 (simulator truth): the fusion defines them
    assert set(column(table, "subtype")) == {"BCR::ABL1"}
    (karyotype,) = subtyped.outputs["karyotype"]
    assert header(karyotype)[:4] == ["sample", "chrom", "arm", "n_genes"]


@pytest.mark.slow
def test_response_contract(response: TaskRun) -> None:
    check_task(response)
    check_command(response)
    (table,) = response.outputs["response"]
    assert header(table)[:6] == ["sample", "drug", "auc", "auc_capped", "z", "class"]
    assert set(column(table, "drug")) == {"imatinib", "dasatinib", "bosutinib"}


@pytest.mark.slow
def test_lesions_contract(lesions: TaskRun, splice_lesions: list[TaskRun]) -> None:
    check_task(lesions)
    check_command(lesions, [run.scope["meta"].id for run in splice_lesions])
    table, profile = lesions.outputs["lesions"][0], lesions.outputs["profile"][0]
    assert header(table) == ["sample", "lesion", "source", "status", "evidence"]
    assert header(profile)[:4] == ["sample", "ikzf1plus_core", "ikzf1plus_stanulla",
                                   "deletion_group"]  # fmt: skip
    assert {"cnv", "junction", "fusion", "variant"} <= set(column(table, "source"))


@pytest.mark.slow
def test_associations_contract(associations: TaskRun) -> None:
    check_task(associations)
    check_command(associations)
    (table,) = associations.outputs["associations"]
    assert header(table)[:12] == [
        "analysis", "variable", "group", "reference_group", "n", "n_reference", "statistic",
        "effect", "pvalue", "padj", "method", "eligibility",
    ]  # fmt: skip
    assert "auc_z_by_deletion_group" in set(column(table, "analysis"))


@pytest.fixture(scope="session")
def report(
    validated: TaskRun,
    aligned: list[TaskRun],
    counted: TaskRun,
    variants_cohort: TaskRun,
    fusions_cohort: TaskRun,
    subtyped: TaskRun,
    response: TaskRun,
    lesions: TaskRun,
    associations: TaskRun,
    de: TaskRun,
    gsea: TaskRun,
    work: Path,
) -> TaskRun:
    """The report of the chain, its inputs staged flat as main.nf's toSortedList gives them."""
    files = [*validated.outputs["samplesheet"], *counted.outputs["counts"]]
    files += [*counted.outputs["strandedness"], *variants_cohort.outputs["variants"]]
    files += [*fusions_cohort.outputs["fusions"], *de.outputs["table"], *gsea.outputs["table"]]
    files += subtyped.outputs["subtypes"]
    files += [*response.outputs["response"], *lesions.outputs["lesions"]]
    files += [*lesions.outputs["profile"], *associations.outputs["associations"]]
    for name in ("log_final", "markdup", "reads_per_gene"):
        files += [p for run in aligned for p in run.outputs[name]]
    values = {"meta": Obj(id="cohort"), "files": sorted(files, key=lambda p: p.name)}
    return run_task(MODULES["REPORT"], work / "report", values, PARAMS)


@pytest.mark.slow
def test_report_contract(report: TaskRun, aligned: list[TaskRun], gene_sets: list[Path]) -> None:
    samples = [run.scope["meta"].id for run in aligned]
    check_task(report)
    check_command(report, samples, [PHENOTYPE], gene_sets=[gmt.name for gmt in gene_sets])
    (html,) = report.outputs["html"]
    page = html.read_text()
    cards = re.search(r'id="data-cards">(.*?)</script>', page, re.S).group(1)
    with open(report.workdir / "samplesheet.valid.csv", newline="") as handle:  # staged input
        listed = [row["sample"] for row in csv.DictReader(handle)]
    assert [c["sample"] for c in json.loads(cards)] == listed  # the chain aligns a subset
    for sample in set(listed) - set(samples):
        assert f"<code>align/{sample}/{sample}.Log.final.out</code> was not found" in page
    assert f'alt="Volcano: {PHENOTYPE}"' in page and f'id="data-gsea-{PHENOTYPE}"' in page
    (multiqc,) = report.outputs["multiqc"]
    stats = multiqc / "multiqc_data" / "multiqc_general_stats.txt"
    star = column(stats, "star-uniquely_mapped_percent")
    assert sorted(s for s, v in zip(column(stats, "Sample"), star, strict=True) if v) == sorted(
        samples
    )
    assert not list(report.workdir.glob(".report-inputs.*")), "staging folder left behind"


def test_modules_are_parsed() -> None:
    """Guard against a parser that silently finds nothing."""
    for module in MODULES.values():
        assert isinstance(module, Module)
        assert module.path_inputs and module.outputs and module.script.strip()
