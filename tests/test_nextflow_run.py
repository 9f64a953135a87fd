"""The real Nextflow engine runs the pipeline on the tiny dataset, with the local executor and
this checkout's own environment (bin/tkiseq on the venv's Python; no container engine here).

One full run, then `-resume` (every task cached), then `-resume` after one FASTQ was touched (only
the tasks downstream of it run again), a `-stub-run`, and two bad parameters that must stop the
run before any task. The published results are compared file by file with `tkiseq run`'s on the
same inputs (the session's `tiny_run`).
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest

from nextflow_engine import (
    PROCESSES,
    Run,
    compare_results,
    nextflow_run,
    process_name,
    tiny_launch_dir,
)
from tkiseq.stages import STAGES

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
    roots = [launch / "work", launch, tiny_data.resolve(), tiny_run.parent, tiny_run]
    problems = compare_results(launch / "results", tiny_run, roots)
    assert not problems, "\n".join(problems)
    assert (launch / "results" / "pipeline_info" / "software_versions.yml").stat().st_size


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
    roots = [launch / "work", launch, tiny_data.resolve(), tiny_run.parent, tiny_run]
    problems = compare_results(launch / "results", tiny_run, roots)
    assert not problems, "\n".join(problems)


def test_stub_run_gives_every_declared_output(launch: Path, first: Run) -> None:
    """Each process's stub writes its declared outputs: Nextflow fails a task whose declared
    output is missing, so a completed stub run with every process proves it."""
    run = _check(
        nextflow_run(
            launch, "-profile", "test", "-stub-run", "--outdir", "stub_results",
            "-w", "stub_work", trace="trace_stub.tsv",
        )
    )  # fmt: skip
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
