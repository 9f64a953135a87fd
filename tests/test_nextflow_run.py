"""The real Nextflow engine runs the pipeline on the tiny dataset, with the local executor and
this checkout's own environment (bin/tkiseq on the venv's Python; no container engine here).

One full run, then `-resume` (every task cached), then `-resume` after one FASTQ was touched (only
the tasks downstream of it run again), a `-stub-run`, and two bad parameters that must stop the
run before any task. The published results are compared file by file with `tkiseq run`'s on the
same inputs (the session's `tiny_run`).
"""

from __future__ import annotations

import csv
import gzip
import importlib.metadata
import json
import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import pysam
import pytest
import yaml

from nextflow_engine import (
    PROCESSES,
    Run,
    compare_launch_results,
    nextflow_run,
    process_name,
    report_table,
    tiny_launch_dir,
)
from nextflow_support import parse_command
from tkiseq.stages import BY_NAME, BY_PROCESS, STAGES, command_line

pytestmark = pytest.mark.slow

# Tasks that read no FASTQ: cached even when one changes
UPSTREAM_OF_READS = {"TKISEQ_VALIDATE", "TKISEQ_PREPARE", "TKISEQ_STAR_INDEX", "TKISEQ_RESPONSE"}
PER_SAMPLE = {stage.process for stage in STAGES if stage.scope == "sample"}


def _first_fastq_sample(data: Path) -> tuple[str, str]:
    """The first sample with FASTQs and the file name of its first FASTQ."""
    with open(data / "samplesheet.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("fastq_1"):
                return row["sample"], Path(row["fastq_1"]).name
    raise AssertionError("the tiny dataset has no FASTQ sample")


@pytest.fixture(scope="module")
def changed(tiny_data: Path) -> tuple[str, str]:
    return _first_fastq_sample(tiny_data)


@pytest.fixture(scope="module")
def launch(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory, changed) -> Path:
    return tiny_launch_dir(tiny_data, tmp_path_factory.mktemp("nextflow") / "launch", changed[1])


def _check(run: Run) -> Run:
    assert run.proc.returncode == 0, f"nextflow exited {run.proc.returncode}:\n{run.output[-4000:]}"
    return run


@pytest.fixture(scope="module")
def first(launch: Path) -> Run:
    return _check(nextflow_run(launch, "-profile", "test", trace="trace_first.tsv"))


@pytest.fixture(scope="module")
def resumed(launch: Path, first: Run) -> Run:
    return _check(nextflow_run(launch, "-profile", "test", "-resume", trace="trace_resumed.tsv"))


@pytest.fixture(scope="module")
def after_change(launch: Path, resumed: Run, changed) -> Run:
    fastq = launch / "tiny" / "fastq" / changed[1]
    later = time.time() + 60
    os.utime(fastq, (later, later))  # touched: a new modification time, same reads
    return _check(nextflow_run(launch, "-profile", "test", "-resume", trace="trace_changed.tsv"))


def test_run_completes_with_every_process(first: Run) -> None:
    ran = {process_name(row) for row in first.trace}
    assert ran == PROCESSES, (
        f"never ran: {sorted(PROCESSES - ran)}; unknown: {sorted(ran - PROCESSES)}"
    )
    assert {row["status"] for row in first.trace} == {"COMPLETED"}
    print(f"\nfirst run ({first.seconds:.0f} s): {first.summary()}")


def test_results_equal_the_local_runner(
    first: Run, launch: Path, tiny_run: Path, tiny_data: Path
) -> None:
    problems = compare_launch_results(launch, tiny_data, tiny_run)
    assert not problems, "\n".join(problems)
    assert (launch / "results" / "pipeline_info" / "software_versions.yml").stat().st_size


def test_report_shows_the_runs_parameters_and_versions(first: Run, launch: Path) -> None:
    """The Nextflow report's summary has this run's params and the versions.yml of every task
    before the report, as `tkiseq run`'s has its own records."""
    report = launch / "results" / "report" / "report.html"
    params = {row["parameter"]: row["value"] for row in report_table(report, "data-params")}
    assert params["outdir"] == "results" and params["input"] == "tiny/samplesheet.csv", params
    published = json.loads((launch / "results" / "pipeline_info" / "params.json").read_text())
    assert params == {k: str(v) for k, v in published.items()}
    versions = report_table(report, "data-versions")
    shown = {str(row["process"]).split(":")[-1] for row in versions}
    assert shown == {process_name(row) for row in first.trace} - {"TKISEQ_REPORT"}
    tkiseq = {row["version"] for row in versions if row["software"] == "tkiseq"}
    assert tkiseq == {importlib.metadata.version("tkiseq")}


def test_resume_caches_every_task(resumed: Run, first: Run, launch: Path, tiny_run: Path) -> None:
    assert {row["status"] for row in resumed.trace} == {"CACHED"}, resumed.output[-2000:]
    assert len(resumed.trace) == len(first.trace)
    assert {r["hash"] for r in resumed.trace} == {r["hash"] for r in first.trace}
    print(f"\nresumed ({resumed.seconds:.0f} s): {resumed.summary()}")


def test_a_touched_fastq_reruns_only_its_downstream_tasks(after_change: Run, changed) -> None:
    sample = changed[0]
    rerun, cached = set(), set()
    for row in after_change.trace:
        key = (process_name(row), row["tag"])
        (cached if row["status"] == "CACHED" else rerun).add(key)
    expected = {k for k in rerun | cached if k[0] not in UPSTREAM_OF_READS | PER_SAMPLE}
    expected |= {k for k in rerun | cached if k[0] in PER_SAMPLE and k[1] == sample}
    assert ("TKISEQ_ALIGN", sample) in rerun
    assert rerun == expected, (
        f"rerun but not downstream: {sorted(rerun - expected)}; "
        f"downstream but cached: {sorted(expected - rerun)}"
    )
    print(f"\nafter touching {changed[1]} ({after_change.seconds:.0f} s): {after_change.summary()}")


def test_results_after_resumes_equal_the_local_runner(
    after_change: Run, launch: Path, tiny_run: Path, tiny_data: Path
) -> None:
    problems = compare_launch_results(launch, tiny_data, tiny_run)
    assert not problems, "\n".join(problems)


def test_a_failed_run_names_its_failed_task_in_the_report(
    launch: Path, after_change: Run, changed
) -> None:
    """A FASTQ made bad (a quality string shorter than its read) and `-resume`: that sample's
    alignment fails, the run stops, and the completion handler writes FAILED and the task into
    the report the earlier run published (`tkiseq report-status --failed TASK`). Before the stub
    and bad-parameter runs: `-resume` resumes the last run, the one with the touched FASTQ."""
    sample, name = changed
    fastq = launch / "tiny" / "fastq" / name
    good = fastq.read_bytes()
    with gzip.open(fastq, "wt") as handle:
        handle.write("@read1\nACGTACGTACGTACGTACGT\n+\nIIII\n")
    try:
        run = nextflow_run(launch, "-profile", "test", "-resume", trace="trace_failed.tsv")
    finally:  # the later runs in this launch folder (stub, bad parameters) read it
        fastq.write_bytes(good)
    assert run.proc.returncode != 0, run.output[-2000:]
    failed = {(process_name(r), r["tag"]) for r in run.trace if r["status"] == "FAILED"}
    assert failed == {("TKISEQ_ALIGN", sample)}, run.output[-2000:]
    page = (launch / "results" / "report" / "report.html").read_text()
    banner = re.search(r'<p class="run-status[^"]*" id="run-status">(.*?)</p>', page)
    assert banner and banner.group(1) == f"Run FAILED: failed task(s) align.{sample}", (
        banner and banner.group(1),
        run.output[-2000:],
    )
    assert "RUNNING" not in page


def test_stub_run_gives_every_declared_output(launch: Path, first: Run) -> None:
    """Each process's stub writes its declared outputs: Nextflow fails a task whose declared
    output is missing, so a completed stub run with every process proves it."""
    run = _check(
        nextflow_run(
            launch,
            "-profile",
            "test",
            "-stub-run",
            "--outdir",
            "stub_results",
            "-w",
            "stub_work",
            trace="trace_stub.tsv",
        )
    )
    assert {process_name(row) for row in run.trace} == PROCESSES
    assert {row["status"] for row in run.trace} == {"COMPLETED"}
    assert (launch / "stub_results" / "report" / "report.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phenotypes", "tiny/phenotypes.csv", "--fasta", "tiny/genome.fa", "--gtf",
          "tiny/genes.gtf", "--dbsnp", "tiny/dbsnp.vcf.gz"],
         "tkiseq: error: --input is required"),
        (["-profile", "test", "--fasta", "tiny/nowhere.fa"],
         "tkiseq: error: --fasta tiny/nowhere.fa: does not exist"),
    ],
    ids=["missing-input", "missing-fasta"],
)  # fmt: skip
def test_a_bad_parameter_stops_before_any_task(launch: Path, args: list[str], message: str):
    run = nextflow_run(launch, *args, "-w", "bad_work", trace="trace_bad.tsv", timeout=600)
    assert run.proc.returncode != 0
    errors = [line for line in run.output.splitlines() if "tkiseq: error:" in line]
    assert errors == [message], run.output[-2000:]
    assert "Submitted process" not in run.output
    assert not (launch / "bad_work").exists() or not any((launch / "bad_work").iterdir())


# -- every task's command line and versions.yml, as the engine rendered and ran them ------------
# file names of the tiny dataset's run inputs, as Nextflow stages them
TINY_NAMES = {
    "input": "samplesheet.csv",
    "phenotypes": "phenotypes.csv",
    "cnv": "cnv.csv",
    "fasta": "genome.fa",
    "gtf": "genes.gtf",
    "dbsnp": "dbsnp.vcf.gz",
    "star_index": "star_index",
    "annotation": "annotation",
    "gene_sets": "gene_sets.gmt",
}
PYSAM_BUNDLED = ("htslib", "samtools", "bcftools")
# What the workflow itself writes and stages into TKISEQ_REPORT besides the registry's inputs
RUN_RECORDS = ["params.json", "software_versions.yml"]


def _task_command(workdir: Path) -> list[str]:
    """The stage's `tkiseq` call in the task's .command.sh (after `tkiseq`)."""
    text = (workdir / ".command.sh").read_text().split("tkiseq versions")[0]
    tokens = shlex.split(text.replace("\\\n", " "), comments=True)
    return tokens[tokens.index("tkiseq") + 1 :]


def _expected_versions(tools: tuple[str, ...]) -> dict[str, str]:
    """What a stage's versions.yml must say, found here independently of tkiseq."""
    expected = {"tkiseq": importlib.metadata.version("tkiseq")}
    for tool in tools:
        if tool == "star":
            star = subprocess.run(["STAR", "--version"], capture_output=True, text=True)
            expected["star"] = star.stdout.strip()
            continue
        expected[tool] = importlib.metadata.version(tool)
        if tool == "pysam":  # the C libraries and tools pysam bundles, as its version says
            expected |= {f: getattr(pysam.version, f"__{f}_version__") for f in PYSAM_BUNDLED}
    return expected


def test_every_task_ran_the_registry_command_line(first: Run, tiny_data: Path) -> None:
    """Each task's script, as the engine rendered it (staged names, ext.args, task.cpus), is the
    command line the stage registry gives the local runner for the same task, and its
    versions.yml names the task's process, tkiseq and the stage's tools at their versions."""
    with open(tiny_data / "samplesheet.csv", newline="") as handle:
        rows = {row["sample"]: row for row in csv.DictReader(handle)}
    phenotypes = sorted(r["tag"] for r in first.trace if process_name(r) == "TKISEQ_DE")
    samples = sorted(rows)
    for task in first.trace:
        stage = BY_PROCESS[process_name(task)]
        workdir = Path(task["workdir"])
        got = _task_command(workdir)
        assert got[: len(stage.command)] == list(stage.command), got
        got_options, got_positional = parse_command(got[len(stage.command) :])
        row = rows.get(task["tag"], {})
        values = {**TINY_NAMES, "sample": task["tag"], "phenotype": task["tag"]}
        values |= {k: Path(v).name if v else "" for k, v in row.items() if k != "sample"}
        values["strandedness"] = row.get("strandedness") or "auto"
        values["threads"] = (got_options.get("--threads") or ["?"])[0]

        def upstream(producer: str, name: str, task=task, stage=stage) -> list[str]:
            scope = BY_NAME[producer].scope if stage.scope == "cohort" else ""
            # the engine stages every file by its name (figures/fig1d.png as fig1d.png)
            name = Path(name).name
            if scope == "phenotype":
                return [name.format(phenotype=p) for p in phenotypes]
            ids = samples if scope == "sample" else [task["tag"]]
            return [name.format(sample=s, phenotype=task["tag"]) for s in ids]

        expected = command_line(stage, values, upstream, stage.outdir).args
        want_options, want_positional = parse_command(expected[len(stage.command) :])
        assert got_options == want_options, f"{task['name']}: {got} != registry {expected}"
        if stage.name == "report":  # its run's records, which `tkiseq run`'s report reads
            want_positional += RUN_RECORDS  # from the results folder it writes them into
        assert sorted(got_positional) == sorted(want_positional), task["name"]

        versions = yaml.safe_load((workdir / "versions.yml").read_text())
        assert versions == {task["process"]: _expected_versions(stage.tools)}, task["name"]
