"""The Nextflow engine for the tests: the one scripts/install_nextflow.sh puts in .venv/bin, run
offline on the pipeline checkout, and the comparison of its results with `tkiseq run`'s.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tkiseq.stages import STAGES

REPO = Path(__file__).resolve().parents[1]
PROCESSES = {stage.process for stage in STAGES}

# The trace columns the tests read (native_id: the SLURM job id under the slurm executor), and
# two 2-CPU tasks at once on 2 cores, as `tkiseq run` runs them (the tiny tasks are mostly I/O)
TRACE_CONFIG = """\
executor {
    cpus = 4
}
trace {
    enabled   = true
    overwrite = true
    fields    = 'task_id,hash,native_id,process,tag,name,status,exit,workdir'
}
"""


def nextflow_executable() -> str:
    """The engine on PATH (conftest puts the venv's bin first); a machine without Java or Maven
    cannot have it and skips, one with both must have run scripts/install.sh."""
    found = shutil.which("nextflow")
    if found:
        return found
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"Nextflow needs {' and '.join(missing)} (scripts/install_nextflow.sh)")
    pytest.fail("nextflow is not installed: run scripts/install.sh (scripts/install_nextflow.sh)")


@dataclass
class Run:
    proc: subprocess.CompletedProcess
    trace: list[dict[str, str]]  # one row per task
    seconds: float

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr

    def summary(self) -> str:
        """Nextflow's own closing lines (the pipeline's completion summary among them)."""
        return "\n".join(line for line in self.output.splitlines() if "tkiseq 0" in line)


def nextflow_run(
    launch: Path, *args: str, trace: str, env: dict[str, str] | None = None, timeout: int = 3600
) -> Run:
    """`nextflow run <checkout> ...args` in `launch`, with the trace written to `trace`."""
    import time

    config = launch / "trace.config"
    config.write_text(TRACE_CONFIG)
    home = launch / ".nxf_home"
    run_env = {**(env or os.environ), "NXF_HOME": str(home), "NXF_OFFLINE": "true"}
    run_env["NXF_ANSI_LOG"] = "false"
    command = [nextflow_executable(), "run", str(REPO), "-ansi-log", "false", "-c", str(config)]
    command += ["-with-trace", trace, *args]
    start = time.monotonic()
    proc = subprocess.run(
        command, cwd=launch, env=run_env, capture_output=True, text=True, timeout=timeout
    )
    seconds = time.monotonic() - start
    rows = []
    if (launch / trace).exists():
        with open(launch / trace, newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    return Run(proc, rows, seconds)


def tiny_launch_dir(data: Path, launch: Path, own_copy: str) -> Path:
    """A launch folder whose `tiny/` (the test profile's paths) links to the simulated dataset,
    except the samplesheet and the FASTQ `own_copy` (fastq/<name>), which are copies: validate
    resolves the samplesheet's relative paths from where the file really is, so a linked
    samplesheet would name the session's FASTQ, and touching the copy would change nothing."""
    tiny = launch / "tiny"
    tiny.mkdir(parents=True)
    for item in data.iterdir():
        if item.name == "samplesheet.csv":  # a copy: its relative paths name this folder's FASTQs
            shutil.copy2(item, tiny / item.name)
        elif item.name != "fastq":
            (tiny / item.name).symlink_to(item)
    (tiny / "fastq").mkdir()
    for fastq in (data / "fastq").iterdir():
        if fastq.name == own_copy:
            shutil.copy2(fastq, tiny / "fastq" / fastq.name)
        else:
            (tiny / "fastq" / fastq.name).symlink_to(fastq)
    return launch


def process_name(row: dict[str, str]) -> str:
    """TKISEQ_ALIGN from TKISEQ_PIPELINE:TKISEQ:ALIGN:TKISEQ_ALIGN."""
    return row["process"].split(":")[-1]


# -- results compared file by file ---------------------------------------------------------------
# Each runner's own record of the run (trace, logs, versions, cache), not compared; the checked
# inputs (pipeline_info/inputs/) are.
RECORDS = (".tkiseq/", "pipeline_info/")
CHECKED_INPUTS = "pipeline_info/inputs/"
# Lines that say when, where (temporary paths) or how fast a tool ran, not what it found
VOLATILE_LINE = re.compile(
    r"^##\w*[Cc]ommand=|^##fileDate|^### |^# \d+\.\d+\.\w+ |^COMMAND: |\"created\": |<dc:date>"
    r"|&middot; created \d{4}-\d\d-\d\d \d\d:\d\d UTC"
    r"|^\s*(Started job on|Started mapping on|Finished on|Mapping speed, Million of reads per hour) \|"  # noqa: E501
)
# STAR writes chimeric junctions in the order its threads finish: compared as a set of lines
ORDER_FREE = (".Chimeric.out.junction",)
# The tools' own records of how they ran (STAR's command line and logs, MultiQC's log, sources
# and data dump), and indexes and images of data compared as such: existence only
UNCOMPARED = (
    "Log.out",
    "Log.progress.out",
    "genomeParameters.txt",
    "multiqc.log",
    "multiqc.parquet",
    "multiqc_data.json",
    "multiqc_sources.txt",
    "multiqc_report.html",
    ".bai",
    ".tbi",
    ".png",
)


def files_below(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _text(path: Path, roots: list[Path]) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        text = handle.read()
    for root in roots:
        text = text.replace(str(root), "<root>")
    if path.suffix == ".svg":  # matplotlib names clip paths and markers at random
        text = re.sub(r"\b([mp])[0-9a-f]{10}\b", r"\1<id>", text)
    return [line for line in text.splitlines() if not VOLATILE_LINE.search(line)]


# The report's parameter and version tables: each runner's own record of the run
# (pipeline_info/params.json, software_versions.yml), so present in both but not the same
RUN_RECORD_TABLES = ("data-params", "data-versions")


def _report_tables(path: Path) -> dict[str, str]:
    """The report's data tables: its `<script type="application/json" id="data-...">` blocks."""
    pattern = r'<script type="application/json" id="(data-[^"]+)">(.*?)</script>'
    return dict(re.findall(pattern, path.read_text(), re.S))


def report_table(path: Path, table: str) -> list[dict[str, object]]:
    """One of the report's data tables (``data-params``) as rows keyed by column; [] if absent."""
    payload = _report_tables(path).get(table)
    if payload is None:
        return []
    data = json.loads(payload)
    return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


def _bam_records(path: Path) -> tuple[list[str], list[str]]:
    import pysam

    with pysam.AlignmentFile(str(path)) as bam:
        return list(bam.header.references), sorted(r.to_string() for r in bam.fetch(until_eof=True))


def same_content(engine: Path, local: Path, roots: list[Path]) -> str | None:
    """None when the two files hold the same data, else why not. Text and tables (gzipped too)
    compare line by line with the run folders replaced and volatile lines left out; BAMs by
    their records (the order of reads at one position depends on STAR's thread count); the
    AnnData by its matrix, obs and var; everything else byte for byte."""
    name = engine.name
    if name == "report.html":  # its tables; each runner's records of the run only non-empty
        empty = [
            f"{table} empty in {path}"
            for path in (engine, local)
            for table in RUN_RECORD_TABLES
            if not report_table(path, table)
        ]
        if empty:
            return "; ".join(empty)
        a, b = _report_tables(engine), _report_tables(local)
        a, b = ({k: v for k, v in t.items() if k not in RUN_RECORD_TABLES} for t in (a, b))
        return None if a == b and a else f"report tables differ: {sorted(set(a) ^ set(b))}"
    if name.endswith(UNCOMPARED):
        return None if engine.stat().st_size and local.stat().st_size else "empty file"
    if name.endswith(".bam"):
        return None if _bam_records(engine) == _bam_records(local) else "BAM records differ"
    if name.endswith(".h5ad"):
        import anndata

        a, b = anndata.read_h5ad(engine), anndata.read_h5ad(local)
        same = a.obs.equals(b.obs) and a.var.equals(b.var) and (a.X != b.X).sum() == 0
        return None if same else "AnnData differs"
    try:
        a, b = _text(engine, roots), _text(local, roots)
    except UnicodeDecodeError:
        return None if engine.read_bytes() == local.read_bytes() else "bytes differ"
    if name.endswith(ORDER_FREE):
        a, b = sorted(a), sorted(b)
    if a == b:
        return None
    diff = next(i for i, (x, y) in enumerate(zip([*a, ""], [*b, ""], strict=False)) if x != y)
    return f"line {diff + 1}: {a[diff : diff + 1]} != {b[diff : diff + 1]}"


def compare_results(engine: Path, local: Path, roots: list[Path]) -> list[str]:
    """Every difference between the two result folders, one line each (empty: the same)."""

    def compared(f: str) -> bool:
        return f.startswith(CHECKED_INPUTS) or not f.startswith(RECORDS)

    ours = {f for f in files_below(engine) if compared(f)}
    theirs = {f for f in files_below(local) if compared(f)}
    problems = [f"only in the Nextflow results: {f}" for f in sorted(ours - theirs)]
    problems += [f"only in tkiseq run's results: {f}" for f in sorted(theirs - ours)]
    for name in sorted(ours & theirs):
        why = same_content(engine / name, local / name, roots)
        if why:
            problems.append(f"{name}: {why}")
    return problems


def compare_launch_results(launch: Path, data: Path, local: Path) -> list[str]:
    """``compare_results`` of a launch folder's results against ``tkiseq run``'s ``local``,
    with every run folder (the launch folder's tiny/ as the dataset ``data`` itself) as one."""
    roots = [launch / "tiny", launch / "work", launch, data.resolve(), local.parent, local]
    return compare_results(launch / "results", local, roots)
