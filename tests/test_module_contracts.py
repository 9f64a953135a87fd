"""Module contracts: each Nextflow process's script block, run as Nextflow would run it.

Every `modules/local/*/main.nf` script block is rendered (def lines, ext.args from
conf/modules.config, task.cpus, staged input names) and executed with `bash -euo pipefail` in a
work dir where the inputs are symlinks, as Nextflow stages them. The processes are chained as in
main.nf on the tiny dataset, so each runs once: VALIDATE -> STAR_INDEX -> STAR_ALIGN (three
samples) -> VARIANTS_CALL -> VARIANTS_FILTER -> VARIANTS_ANNOTATE -> VARIANTS_COHORT;
STAR_ALIGN -> FUSIONS -> FUSIONS_COHORT; STAR_ALIGN -> SPLICE_LESIONS; STAR_ALIGN -> COUNTS -> DE
-> GSEA. Every declared output must appear, versions.yml must name the tools and their versions,
and each output's first contract (its header or records) must hold.
"""

from __future__ import annotations

import ast
import csv
import functools
import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pysam
import pytest

from nextflow_support import (
    REPO,
    Module,
    Obj,
    TaskRun,
    config_params,
    evaluate,
    ext_args,
    modules,
    parse_versions,
    publish_path,
    run_task,
)

MODULES = {m.name: m for m in modules()}
PARAMS = config_params(profile_configs=("conf/test.config",))
PIPELINE = {
    "VALIDATE", "STAR_INDEX", "STAR_ALIGN", "COUNTS", "VARIANTS_CALL", "VARIANTS_FILTER",
    "VARIANTS_ANNOTATE", "VARIANTS_COHORT", "FUSIONS", "FUSIONS_COHORT", "SPLICE_LESIONS", "DE",
    "GSEA",
}  # fmt: skip
# Where each process publishes below --outdir: the folders the local runner writes (runner.py).
PUBLISHED = {
    "VALIDATE": "pipeline_info", "STAR_INDEX": "reference", "STAR_ALIGN": "align/S1",
    "COUNTS": "expression", "VARIANTS_CALL": "variants", "VARIANTS_FILTER": "variants",
    "VARIANTS_ANNOTATE": "variants", "VARIANTS_COHORT": "variants", "FUSIONS": "fusions",
    "FUSIONS_COHORT": "fusions", "SPLICE_LESIONS": "splicing", "DE": "de", "GSEA": "gsea",
}  # fmt: skip
SAMPLES = 3  # aligned samples: DE needs at least 3 with the phenotype; each takes about a minute
PHENOTYPE = "auc_imatinib"  # the AUC the simulator's immune gene set follows


def tkiseq(*args: str) -> str:
    proc = subprocess.run(
        [str(REPO / "bin" / "tkiseq"), *args], capture_output=True, text=True, check=True
    )
    return proc.stdout


@functools.cache
def usage(command: str = "") -> str:
    """`tkiseq <command> --help` (`command` may be nested: `variants call`)."""
    return tkiseq(*command.split(), "--help")


def check_task(run: TaskRun) -> None:
    """Declared outputs exist; versions.yml names this process, tkiseq, STAR (if used) and the
    Python packages the stage relies on, with the versions installed here."""
    assert not run.missing, f"{run.module.name}: declared outputs not written: {run.missing}"
    versions = parse_versions(run.workdir / "versions.yml")
    assert list(versions) == [run.scope["task"].process]
    tools = versions[run.scope["task"].process]
    assert tools.pop("tkiseq") == tkiseq("--version").split()[-1]
    if "star" in run.module.name.lower():
        star = subprocess.run(["STAR", "--version"], capture_output=True, text=True).stdout
        assert tools.pop("star") == star.strip()
    for package, version in tools.items():  # Python packages, e.g. pysam, pydeseq2, gseapy
        assert version == importlib.metadata.version(package), f"{run.module.name}: {package}"


def header(path: Path) -> list[str]:
    with open(path) as handle:
        return handle.readline().rstrip("\n").split("\t")


def column(path: Path, name: str) -> list[str]:
    with open(path, newline="") as handle:
        return [row[name] for row in csv.DictReader(handle, delimiter="\t")]


# -- static checks (fast) ------------------------------------------------------------------------
def test_every_stage_has_a_module() -> None:
    assert set(MODULES) == PIPELINE, "a new process needs its contract test here"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_outputs_are_published_where_the_runner_writes_them(name: str) -> None:
    path = publish_path(name)
    if path is None:  # the default publishDir: <outdir>/<process name in lower case>
        folder = name.lower()
    else:
        scope = {"params": Obj(outdir="results"), "meta": Obj(id="S1")}
        folder = evaluate(path, scope).removeprefix("results/")
    assert folder == PUBLISHED[name]


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
@functools.cache
def _steps(command: str = "") -> tuple[str, ...]:
    """The subcommands `tkiseq <command> --help` offers (`variants` -> call, filter, ...); none
    for a command that does the work itself."""
    text = usage(command)
    if not re.search(r"^usage: .*<\w+> \.\.\.", text, re.M):
        return ()
    listed = text.split("positional arguments:")[1].split("options:")[0]
    return tuple(re.findall(r"^\s{4}([a-z][a-z-]+)", listed, re.M))


def _is_command(command: str) -> bool:
    """`counts` and `variants call` are; `variants` (a group of steps) and `count` are not."""
    words = command.split()
    for depth, word in enumerate(words):
        if word not in _steps(" ".join(words[:depth])):
            return False
    return not _steps(command)


def _cli_flags(command: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", usage(command))) - {"--help"}


def _lists(node: ast.expr) -> list[ast.List]:
    """The argument lists an expression may be: `[...]`, or each branch of `[...] if c else
    [...]`."""
    if isinstance(node, ast.List):
        return [node]
    if isinstance(node, ast.IfExp):
        return _lists(node.body) + _lists(node.orelse)
    return []


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


def _command_words(node: ast.List) -> str | None:
    """The `tkiseq` command an argument list starts with: `["variants", "call", "--sample", ...]`
    -> `variants call`; None for a list that is not a command line."""
    words: list[str] = []
    for element in node.elts:
        if not isinstance(element, ast.Constant) or element.value not in _steps(" ".join(words)):
            break
        words.append(element.value)
    command = " ".join(words)
    return command if words and _is_command(command) else None


def _runner_calls() -> dict[str, set[str]]:
    """Command -> options the local runner passes, read from the argument lists in runner.py
    (`["align", "--sample", sample, *reads, ...]`, `["variants", "call", ...]`), following lists
    spliced in with `*` (both branches of a conditional list) and lists extended with `+=` in
    the same function."""
    tree = ast.parse((REPO / "python" / "tkiseq" / "runner.py").read_text())
    calls: dict[str, set[str]] = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        lists_by_name: dict[str, list[ast.List]] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        lists_by_name.setdefault(target.id, []).extend(_lists(node.value))
        for node in ast.walk(function):
            if not isinstance(node, ast.List) or not node.elts:
                continue
            command = _command_words(node)
            if command is None:
                continue
            # the call's list, and any list added to the same variable with +=
            parts = [node]
            for lists in lists_by_name.values():
                if node in lists:
                    parts += lists
            found = calls.setdefault(command, set())
            for part in parts:
                found |= _list_flags(part, lists_by_name)
    return calls


def test_modules_and_runner_call_the_same_subcommands() -> None:
    runner = _runner_calls()
    assert {"validate", "align", "variants call"} <= set(runner), sorted(runner)
    for module in MODULES.values():
        (command,) = module.subcommands
        assert _is_command(command), f"{module.name}: `tkiseq {command}` is not a CLI command"
        assert command in runner, f"{module.name}: the local runner never calls {command}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_runner_pass_the_same_options(name: str) -> None:
    module = MODULES[name]
    (command,) = module.subcommands
    cli = _cli_flags(command)
    runner = _runner_calls()[command] & cli  # options the CLI does not know are its own bug
    assert module.flags <= cli, f"{name}: options unknown to tkiseq {command}"
    assert module.flags == runner, (
        f"tkiseq {command}: Nextflow only {sorted(module.flags - runner)}, "
        f"runner only {sorted(runner - module.flags)}"
    )
    extra = ext_args(name, PARAMS) or ""
    tuning = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", extra.split("'")[0]))
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


def _fasta(tiny: Path, meta: str) -> dict:
    """A `tuple val(meta), path(fasta), path(fai)` input named `meta` (main.nf's ch_fasta)."""
    return {meta: Obj(id="genome"), "fasta": tiny / "genome.fa", "fai": tiny / "genome.fa.fai"}


def _gtf(tiny: Path, meta: str) -> dict:
    """A `tuple val(meta), path(gtf)` input named `meta` (main.nf's ch_gtf)."""
    return {meta: Obj(id="genes"), "gtf": tiny / "genes.gtf"}


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
def variants_called(aligned: list[TaskRun], tiny: Path, work: Path) -> list[TaskRun]:
    """Calls from each aligned BAM; no user VCF, so both optional inputs are [] as in main.nf."""

    def inputs(align: TaskRun) -> dict:
        bam, bai = align.outputs["bam"]
        values = {"bam": bam, "bai": bai, "vcf": [], "vcf_index": []}
        return values | _fasta(tiny, "meta2") | _gtf(tiny, "meta3")

    return _per_sample("VARIANTS_CALL", aligned, work, inputs)


@pytest.fixture(scope="session")
def variants_filtered(variants_called: list[TaskRun], tiny: Path, work: Path) -> list[TaskRun]:
    dbsnp = {"dbsnp": tiny / "dbsnp.vcf.gz", "dbsnp_tbi": tiny / "dbsnp.vcf.gz.tbi"}

    def inputs(call: TaskRun) -> dict:
        vcf, tbi = call.outputs["vcf"]
        return {"vcf": vcf, "tbi": tbi, "meta2": Obj(id="dbsnp")} | dbsnp | _fasta(tiny, "meta3")

    return _per_sample("VARIANTS_FILTER", variants_called, work, inputs)


@pytest.fixture(scope="session")
def variants_annotated(variants_filtered: list[TaskRun], tiny: Path, work: Path) -> list[TaskRun]:
    def inputs(filtered: TaskRun) -> dict:
        vcf, tbi = filtered.outputs["all"]
        return {"vcf": vcf, "tbi": tbi} | _fasta(tiny, "meta2") | _gtf(tiny, "meta3")

    return _per_sample("VARIANTS_ANNOTATE", variants_filtered, work, inputs)


@pytest.fixture(scope="session")
def variants_cohort(variants_annotated: list[TaskRun], work: Path) -> TaskRun:
    tables = sorted(p for run in variants_annotated for p in run.outputs["tsv"])
    values = {"meta": Obj(id="cohort"), "tables": tables}
    return run_task(MODULES["VARIANTS_COHORT"], work / "variants_cohort", values, PARAMS)


@pytest.fixture(scope="session")
def fusions(aligned: list[TaskRun], tiny: Path, work: Path) -> list[TaskRun]:
    def inputs(align: TaskRun) -> dict:
        values = {
            "chimeric": align.outputs["chimeric"][0],
            "sj": align.outputs["junctions"][0],
            "log_final": align.outputs["log_final"][0],
            "bam": align.outputs["bam"][0],
            "bai": align.outputs["bam"][1],
        }
        return values | _fasta(tiny, "meta2") | _gtf(tiny, "meta3")

    return _per_sample("FUSIONS", aligned, work, inputs)


@pytest.fixture(scope="session")
def fusions_cohort(fusions: list[TaskRun], work: Path) -> TaskRun:
    tables = sorted(p for run in fusions for p in run.outputs["fusions"])
    values = {"meta": Obj(id="cohort"), "tables": tables}
    return run_task(MODULES["FUSIONS_COHORT"], work / "fusions_cohort", values, PARAMS)


@pytest.fixture(scope="session")
def splice_lesions(aligned: list[TaskRun], tiny: Path, work: Path) -> list[TaskRun]:
    def inputs(align: TaskRun) -> dict:
        return {"sj": align.outputs["junctions"][0]} | _gtf(tiny, "meta2")

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


VARIANT_COLUMNS = ["sample", "chrom", "pos", "ref", "alt", "gene"]


@pytest.mark.slow
def test_variants_call_contract(variants_called: list[TaskRun]) -> None:
    for run in variants_called:
        check_task(run)
        vcf, tbi = run.outputs["vcf"]
        assert tbi.name == f"{vcf.name}.tbi"
        with pysam.VariantFile(str(vcf)) as calls:
            assert list(calls.header.samples) == [run.scope["meta"].id]
            assert next(iter(calls), None) is not None, f"{vcf}: no calls"


@pytest.mark.slow
def test_variants_call_from_a_user_vcf_contract(
    variants_called: list[TaskRun], aligned: list[TaskRun], tiny: Path, work: Path
) -> None:
    """The entry point for a user VCF (samplesheet column `vcf`): staged with its index, it
    replaces --gtf/--threads by --vcf, as the runner does."""
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
    values |= _fasta(tiny, "meta2") | _gtf(tiny, "meta3")
    run = run_task(MODULES["VARIANTS_CALL"], work / f"variants_call_user_{meta.id}", values, PARAMS)
    check_task(run)
    command = (run.workdir / ".command.sh").read_text()
    assert f"--vcf {user_vcf.name}" in command and "--gtf" not in command
    with (
        pysam.VariantFile(str(run.outputs["vcf"][0])) as calls,
        pysam.VariantFile(str(vcf)) as expected,
    ):
        assert sum(1 for _ in calls) == sum(1 for _ in expected)


@pytest.mark.slow
def test_variants_filter_contract(variants_filtered: list[TaskRun]) -> None:
    for run in variants_filtered:
        check_task(run)
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
        (table,) = run.outputs["tsv"]
        assert header(table)[:6] == VARIANT_COLUMNS
        assert set(column(table, "sample")) <= {run.scope["meta"].id}


@pytest.mark.slow
def test_variants_cohort_contract(
    variants_cohort: TaskRun, variants_annotated: list[TaskRun]
) -> None:
    check_task(variants_cohort)
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
        (table,) = run.outputs["fusions"]
        assert header(table)[:3] == FUSION_COLUMNS
        assert set(column(table, "sample")) == {run.scope["meta"].id}


@pytest.mark.slow
def test_fusions_cohort_contract(fusions_cohort: TaskRun, fusions: list[TaskRun]) -> None:
    check_task(fusions_cohort)
    (table,) = fusions_cohort.outputs["fusions"]
    assert header(table)[:3] == FUSION_COLUMNS
    assert set(column(table, "sample")) == {run.scope["meta"].id for run in fusions}


@pytest.mark.slow
def test_splice_lesions_contract(splice_lesions: list[TaskRun]) -> None:
    for run in splice_lesions:
        check_task(run)
        (table,) = run.outputs["lesions"]
        assert header(table)[:3] == ["sample", "gene", "lesion"]
        assert set(column(table, "sample")) <= {run.scope["meta"].id}


@pytest.mark.slow
def test_de_contract(de: TaskRun, counted: TaskRun) -> None:
    check_task(de)
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
    (table,) = gsea.outputs["table"]
    assert table.name == f"gsea_{PHENOTYPE}.tsv"
    assert header(table)[:3] == ["term", "es", "nes"]
    assert set(column(table, "gene_set_file")) == {gmt.name for gmt in gene_sets}


def test_modules_are_parsed() -> None:
    """Guard against a parser that silently finds nothing."""
    for module in MODULES.values():
        assert isinstance(module, Module)
        assert module.path_inputs and module.outputs and module.script.strip()
