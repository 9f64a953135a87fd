"""Module contracts: each Nextflow process's script block, run as Nextflow would run it.

Every `modules/local/*/main.nf` script block is rendered (def lines, ext.args from
conf/modules.config, task.cpus, staged input names) and executed with `bash -euo pipefail` in a
work dir where the inputs are symlinks, as Nextflow stages them. The processes are chained as in
main.nf on the tiny dataset, so each runs once: VALIDATE -> STAR_INDEX -> STAR_ALIGN -> COUNTS.
Every declared output must appear and versions.yml must name the tools and their versions.
"""

from __future__ import annotations

import ast
import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nextflow_support import (
    REPO,
    Module,
    Obj,
    TaskRun,
    config_params,
    ext_args,
    modules,
    parse_versions,
    run_task,
)

MODULES = {m.name: m for m in modules()}
PARAMS = config_params(profile_configs=("conf/test.config",))
PIPELINE = {"VALIDATE", "STAR_INDEX", "STAR_ALIGN", "COUNTS"}


def tkiseq(*args: str) -> str:
    proc = subprocess.run(
        [str(REPO / "bin" / "tkiseq"), *args], capture_output=True, text=True, check=True
    )
    return proc.stdout


def check_task(run: TaskRun) -> None:
    """Declared outputs exist; versions.yml names this process, tkiseq and (if used) STAR."""
    assert not run.missing, f"{run.module.name}: declared outputs not written: {run.missing}"
    versions = parse_versions(run.workdir / "versions.yml")
    assert list(versions) == [run.scope["task"].process]
    tools = versions[run.scope["task"].process]
    assert tools["tkiseq"] == tkiseq("--version").split()[-1]
    if "star" in run.module.name.lower():
        star = subprocess.run(["STAR", "--version"], capture_output=True, text=True).stdout
        assert tools["star"] == star.strip()


# -- static checks (fast) ------------------------------------------------------------------------
def test_every_stage_has_a_module() -> None:
    assert set(MODULES) >= PIPELINE


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_follows_the_house_contract(name: str) -> None:
    module = MODULES[name]
    text = module.path.read_text()
    assert re.search(r"^\s*tag ", text, re.M), "tag"
    assert re.search(r"^\s*label 'process_(low|medium|high)'", text, re.M), "resource label"
    assert re.search(r"^\s*conda ", text, re.M), "conda"
    assert all(o.emit for o in module.outputs), "every output has an emit name"
    assert module.outputs[-1].patterns == ["versions.yml"]
    assert module.inputs[0][0] == ("val", "meta"), "first input is tuple val(meta), path(...)"
    assert "def args = task.ext.args ?: ''" in module.script_preamble
    assert len(module.subcommands) == 1, "one tkiseq call per script block"
    env = module.path.parent / "environment.yml"
    assert env.exists(), f"{env} (named by the conda directive)"


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


# -- same code path as the local runner ----------------------------------------------------------
def _cli_subcommands() -> set[str]:
    usage = tkiseq("--help")
    listed = set(re.findall(r"^\s{4}([a-z][a-z-]+)", usage, re.M))
    assert {"validate", "align"} <= listed, usage
    return listed


def _cli_flags(subcommand: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", tkiseq(subcommand, "--help"))) - {
        "--help"
    }


def _list_flags(node: ast.List, lists_by_name: dict[str, list[ast.List]]) -> set[str]:
    """`--options` in an argument list, following `*name` splices of lists built alongside."""
    found = set()
    for element in node.elts:
        if isinstance(element, ast.Constant) and str(element.value).startswith("--"):
            found.add(element.value)
        elif isinstance(element, ast.Starred) and isinstance(element.value, ast.Name):
            for spliced in lists_by_name.get(element.value.id, []):
                found |= _list_flags(spliced, lists_by_name)
    return found


def _runner_calls() -> dict[str, set[str]]:
    """Subcommand -> options the local runner passes, read from the argument lists in runner.py
    (`["align", "--sample", sample, *reads, ...]`, following lists spliced in with `*` and lists
    extended with `+=` in the same function)."""
    tree = ast.parse((REPO / "python" / "tkiseq" / "runner.py").read_text())
    subcommands = _cli_subcommands()
    calls: dict[str, set[str]] = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        lists_by_name: dict[str, list[ast.List]] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign | ast.AugAssign) and isinstance(node.value, ast.List):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        lists_by_name.setdefault(target.id, []).append(node.value)
        for node in ast.walk(function):
            if not isinstance(node, ast.List) or not node.elts:
                continue
            first = node.elts[0]
            if isinstance(first, ast.Constant) and first.value in subcommands:
                # the call's list, and any list added to the same variable with +=
                parts = [node]
                for lists in lists_by_name.values():
                    if node in lists:
                        parts += lists
                found = calls.setdefault(first.value, set())
                for part in parts:
                    found |= _list_flags(part, lists_by_name)
    return calls


def test_modules_and_runner_call_the_same_subcommands() -> None:
    cli = _cli_subcommands()
    runner = _runner_calls()
    for module in MODULES.values():
        (subcommand,) = module.subcommands
        assert subcommand in cli, f"{module.name}: `tkiseq {subcommand}` is not a CLI subcommand"
        assert subcommand in runner, f"{module.name}: the local runner never calls {subcommand}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_runner_pass_the_same_options(name: str) -> None:
    module = MODULES[name]
    (subcommand,) = module.subcommands
    cli = _cli_flags(subcommand)
    runner = _runner_calls()[subcommand] & cli  # options the CLI does not know are its own bug
    assert module.flags <= cli, f"{name}: options unknown to tkiseq {subcommand}"
    assert module.flags == runner, (
        f"tkiseq {subcommand}: Nextflow only {sorted(module.flags - runner)}, "
        f"runner only {sorted(runner - module.flags)}"
    )
    extra = ext_args(name, PARAMS) or ""
    tuning = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", extra.split("'")[0]))
    assert tuning <= cli, f"{name}: ext.args {extra!r} has options unknown to tkiseq {subcommand}"


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
def aligned(validated: TaskRun, star_index: TaskRun, work: Path) -> list[TaskRun]:
    """The first two FASTQ samples of the valid samplesheet (COUNTS gets a cohort of files; each
    alignment takes about a minute), with meta built as main.nf builds it."""
    (sheet,) = validated.outputs["samplesheet"]
    (index,) = star_index.outputs["index"]
    runs = []
    with open(sheet, newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["fastq_1"] or len(runs) == 2:
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
def counted(aligned: list[TaskRun], validated: TaskRun, tiny: Path, work: Path) -> TaskRun:
    values = {
        "meta": Obj(id="cohort"),
        "reads_per_gene": [p for run in aligned for p in run.outputs["reads_per_gene"]],
        "strandedness": [p for run in aligned for p in run.outputs["strandedness"]],
        "meta2": Obj(id="genes"),
        "gtf": tiny / "genes.gtf",
        "meta3": Obj(id="inputs"),
        "phenotypes": validated.outputs["phenotypes"][0],
    }
    return run_task(MODULES["COUNTS"], work / "counts", values, PARAMS)


@pytest.mark.slow
def test_validate_contract(validated: TaskRun) -> None:
    check_task(validated)
    assert validated.outputs["cnv"], "cnv.valid.csv is written when --cnv is given"
    (sheet,) = validated.outputs["samplesheet"]
    with open(sheet, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for column in ("fastq_1", "fastq_2", "bam", "vcf", "junctions"):
            if row.get(column):
                path = Path(row[column])
                assert path.is_absolute() and path.exists(), f"{sheet}: {column} {path}"


@pytest.mark.slow
def test_star_index_contract(star_index: TaskRun) -> None:
    check_task(star_index)
    (index,) = star_index.outputs["index"]
    assert (index / "SA").exists() and (index / "Genome").exists()


@pytest.mark.slow
def test_star_align_contract(aligned: list[TaskRun]) -> None:
    for run in aligned:
        check_task(run)
        (bam, bai) = run.outputs["bam"]
        assert bam.name == f"{run.scope['meta'].id}.bam" and bai.name == f"{bam.name}.bai"


@pytest.mark.slow
def test_counts_contract(counted: TaskRun, aligned: list[TaskRun]) -> None:
    check_task(counted)
    (counts,) = counted.outputs["counts"]
    header = counts.read_text().splitlines()[0].split("\t")
    assert header[:2] == ["gene_id", "gene_name"]
    assert sorted(header[2:]) == sorted(run.scope["meta"].id for run in aligned)


def test_modules_are_parsed() -> None:
    """Guard against a parser that silently finds nothing."""
    for module in MODULES.values():
        assert isinstance(module, Module)
        assert module.path_inputs and module.outputs and module.script.strip()
