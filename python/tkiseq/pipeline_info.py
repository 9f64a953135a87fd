"""Run provenance: software versions, parameters, the per-task trace (like Nextflow's), and
the warnings every stage raised, so they reach the console and the report."""

from __future__ import annotations

import fcntl
import importlib.metadata
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from tkiseq import __version__
from tkiseq.atomic import write_text
from tkiseq.errors import InputError

TRACE_COLUMNS = (
    "stage",
    "sample",
    "start",
    "wall_s",
    "cpu_s",
    "peak_rss_mb",
    "exit_code",
    "status",
)
PYTHON_PACKAGES = (
    "pysam",
    "numpy",
    "pandas",
    "scipy",
    "anndata",
    "pydeseq2",
    "gseapy",
    "scikit-posthocs",
    "marsilea",
    "multiqc",
    "jinja2",
)

WARNING_PREFIX = "tkiseq: warning: "
WARNING_COLUMNS = ("stage", "sample", "message")


@dataclass(frozen=True)
class TraceRow:
    """One stage run for one sample (empty sample for cohort-level stages)."""

    stage: str
    sample: str
    start: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    exit_code: int
    status: str  # COMPLETED, FAILED, CACHED or ABORTED (stopped by an interrupt)

    def cells(self) -> list[str]:
        return [
            self.stage,
            self.sample,
            self.start,
            f"{self.wall_s:.2f}",
            f"{self.cpu_s:.2f}",
            f"{self.peak_rss_mb:.1f}",
            str(self.exit_code),
            self.status,
        ]


def start_trace(path: Path) -> None:
    """A new ``trace.tsv`` holding the header only; rows are appended as tasks finish."""
    write_text(path, "\t".join(TRACE_COLUMNS) + "\n")


def append_trace(path: Path, row: TraceRow) -> None:
    """Append one finished task to ``trace.tsv``.

    Appended rather than rewritten atomically at the end, so the rows of finished tasks
    survive a kill of the runner. One locked write per row keeps parallel rows whole.
    """
    with path.open("a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write("\t".join(row.cells()) + "\n")


def tool_versions(tool: str) -> dict[str, str]:
    """Version(s) of one tool a stage runs with: ``star`` (the binary on PATH), ``pysam``
    (with the htslib, samtools and bcftools it bundles) or another Python package."""
    if tool == "star":
        star = shutil.which("STAR")
        if star is None:
            return {"star": "not installed"}
        run = subprocess.run([star, "--version"], capture_output=True, text=True)
        return {"star": run.stdout.strip()}
    try:
        versions = {tool: importlib.metadata.version(tool)}
    except importlib.metadata.PackageNotFoundError:
        return {tool: "not installed"}
    if tool == "pysam":
        from pysam import version

        versions["htslib"] = version.__htslib_version__  # type: ignore[attr-defined]
        versions["samtools"] = version.__samtools_version__  # type: ignore[attr-defined]
        versions["bcftools"] = version.__bcftools_version__  # type: ignore[attr-defined]
    return versions


def software_versions() -> dict[str, str]:
    """Versions of everything that shapes results: tkiseq, Python packages, STAR, htslib."""
    versions = {"tkiseq": __version__, "python": platform.python_version()}
    for name in (*PYTHON_PACKAGES, "star"):
        versions |= tool_versions(name)
    return versions


def versions_yml(process: str, tools: tuple[str, ...]) -> str:
    """A Nextflow module's ``versions.yml``: tkiseq and the tools its stage uses."""
    versions = {"tkiseq": __version__}
    for tool in tools:
        versions |= tool_versions(tool)
    body = "".join(f"    {k}: '{v}'\n" for k, v in versions.items())
    return f'"{process}":\n{body}'


def write_versions(path: Path) -> None:
    """``software_versions.yml`` in the nf-core layout (tool: version under the pipeline)."""
    body = "".join(f"  {k}: '{v}'\n" for k, v in software_versions().items())
    write_text(path, f"TKISEQ:\n{body}")


def warnings_in(log_text: str) -> list[str]:
    """The warnings a stage printed (its ``tkiseq: warning: ...`` lines), in order."""
    return [
        line.removeprefix(WARNING_PREFIX)
        for line in log_text.splitlines()
        if line.startswith(WARNING_PREFIX)
    ]


def write_warnings(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """``warnings.tsv``: stage, sample, message (one row per warning, header even if none)."""
    lines = ["\t".join(WARNING_COLUMNS)] + ["\t".join(r) for r in rows]
    write_text(path, "\n".join(lines) + "\n")


def read_warnings(path: Path) -> list[tuple[str, str, str]]:
    """Rows of ``warnings.tsv`` as (stage, sample, message); none if the file is absent."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(line.split("\t", 2)) for line in lines if line]  # type: ignore[misc]


class WarningsHandler(logging.Handler):
    """Every WARNING-level record of any tkiseq module as one recognisable stderr line,
    ``tkiseq: warning: <message>``: the runner collects these lines from each task's log
    (console and ``warnings.tsv``); under Nextflow they are in the task's ``.command.err``."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split())
        print(f"{WARNING_PREFIX}{message}", file=sys.stderr, flush=True)


def configure_logging() -> None:
    """Information as ``tkiseq: INFO: ...``; warnings through :class:`WarningsHandler`."""
    info = logging.StreamHandler(sys.stderr)
    info.setFormatter(logging.Formatter("tkiseq: %(levelname)s: %(message)s"))
    info.addFilter(lambda record: record.levelno < logging.WARNING)
    root = logging.getLogger()
    root.handlers = [info, WarningsHandler()]
    root.setLevel(logging.INFO)


RUN_FILE = "run.json"  # in pipeline_info/: marks a folder as tkiseq results, names their run
CACHE_DIR = ".tkiseq"  # the runner's resume markers: the only hidden entry results keep


def read_run(outdir: Path) -> dict[str, object] | None:
    """``pipeline_info/run.json`` of the results in ``outdir``; None if there is none."""
    path = outdir / "pipeline_info" / RUN_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}


def claim_outdir(outdir: Path, samplesheet: Path, *, resume: bool, overwrite: bool) -> None:
    """Make sure ``outdir`` holds nothing but this run's results before anything is written.

    Old samples' files beside new ones end up in cohort tables, so a non-empty folder is
    refused unless it holds tkiseq results of the same samplesheet and ``resume`` continues
    them, or ``overwrite`` replaces them. A folder that is not tkiseq results is never
    emptied: the user may have pointed at the wrong folder.
    """
    if not outdir.exists() or not any(outdir.iterdir()):
        return
    run = read_run(outdir)
    if run is None:
        example = sorted(p.name for p in outdir.iterdir())[0]
        raise InputError(
            outdir,
            f"not empty (holds '{example}') and not tkiseq results (no pipeline_info/{RUN_FILE})",
            hint="choose a new or empty --outdir",
        )
    previous = run.get("input")
    same = previous == str(samplesheet.resolve())
    if overwrite:
        for entry in outdir.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        return
    if resume and same:
        return
    started = run.get("started", "at an unknown time")
    if resume:
        raise InputError(
            outdir,
            f"holds the results of a run of another samplesheet ({previous}, started {started});"
            " --resume continues only the same run",
            hint="--overwrite replaces them, or choose another --outdir",
        )
    raise InputError(
        outdir,
        f"holds the results of another run (samplesheet {previous}, started {started},"
        f" {str(run.get('status', 'unknown')).lower()})",
        hint="--resume continues it, --overwrite replaces it, or choose another --outdir",
    )


def sweep_temporaries(outdir: Path) -> list[Path]:
    """Remove the hidden temporaries a killed run left behind (``.<name>.tmp*`` and the
    like); results never hold hidden entries except the resume cache. Returns what went."""
    swept = []
    for dirpath, dirnames, filenames in os.walk(outdir):
        here = Path(dirpath)
        for name in [d for d in dirnames if d.startswith(".")]:
            dirnames.remove(name)
            if here == outdir and name == CACHE_DIR:
                continue
            shutil.rmtree(here / name, ignore_errors=True)
            swept.append(here / name)
        for name in filenames:
            if name.startswith("."):
                (here / name).unlink(missing_ok=True)
                swept.append(here / name)
    return swept


WIDE_TABLES = {"counts.tsv": 2}  # cohort tables with one column per sample: after N columns


def stray_samples(table: Path, samples: Collection[str]) -> list[str]:
    """Samples a cohort table names that are not in ``samples`` (the samplesheet's): from
    its ``sample`` column, or the sample columns of a wide table (``counts.tsv``)."""
    with table.open(encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        if "sample" in header:
            i = header.index("sample")
            named = {line.rstrip("\n").split("\t")[i] for line in fh if line.strip()}
        elif table.name in WIDE_TABLES:
            named = set(header[WIDE_TABLES[table.name] :])
        else:
            return []
    return sorted(named - set(samples))
