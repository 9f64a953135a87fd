"""Run provenance: software versions, parameters, the per-task trace (like Nextflow's), and
the warnings every stage raised, so they reach the console and the report."""

from __future__ import annotations

import fcntl
import importlib.metadata
import logging
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tkiseq import __version__
from tkiseq.atomic import write_text

TRACE_COLUMNS = (
    "stage", "sample", "start", "wall_s", "cpu_s", "peak_rss_mb", "exit_code", "status"
)  # fmt: skip
PYTHON_PACKAGES = ("pysam", "numpy", "pandas", "scipy", "anndata", "pydeseq2", "gseapy")

WARNING_PREFIX = "tkiseq: warning: "
WARNING_COLUMNS = ("stage", "sample", "message")
# The runner names ``pipeline_info/warnings.tsv`` and the task ("<stage>\t<sample>") in the
# environment of each stage it starts; a stage run by hand or by Nextflow only prints.
WARNINGS_ENV = "TKISEQ_WARNINGS"
TASK_ENV = "TKISEQ_TASK"


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
    status: str  # COMPLETED, FAILED or CACHED

    def cells(self) -> list[str]:
        return [
            self.stage, self.sample, self.start, f"{self.wall_s:.2f}", f"{self.cpu_s:.2f}",
            f"{self.peak_rss_mb:.1f}", str(self.exit_code), self.status,
        ]  # fmt: skip


def write_trace(path: Path, rows: list[TraceRow]) -> None:
    lines = ["\t".join(TRACE_COLUMNS)] + ["\t".join(r.cells()) for r in rows]
    write_text(path, "\n".join(lines) + "\n")


def software_versions() -> dict[str, str]:
    """Versions of everything that shapes results: tkiseq, Python packages, STAR, and the
    samtools, bcftools and htslib that pysam bundles (variants are called with them)."""
    from pysam import version as bundled

    versions = {"tkiseq": __version__, "python": platform.python_version()}
    for name in PYTHON_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["samtools"] = bundled.__samtools_version__
    versions["bcftools"] = bundled.__bcftools_version__
    versions["htslib"] = bundled.__htslib_version__
    star = shutil.which("STAR")
    versions["star"] = (
        subprocess.run([star, "--version"], capture_output=True, text=True).stdout.strip()
        if star
        else "not installed"
    )
    return versions


def write_versions(path: Path) -> None:
    """``software_versions.yml`` in the nf-core layout (tool: version under the pipeline)."""
    body = "".join(f"  {k}: '{v}'\n" for k, v in software_versions().items())
    write_text(path, f"TKISEQ:\n{body}")


def append_warning(path: Path, stage: str, sample: str, message: str) -> None:
    """Append one row to ``warnings.tsv`` (header first if new).

    An append-only log rather than an atomic rewrite: parallel stages add rows, and rows
    written before a kill must survive it. One locked write per row keeps rows whole.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    row = "\t".join(c.replace("\t", " ") for c in (stage, sample, message)) + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0, os.SEEK_END)
        fh.write(row if fh.tell() else "\t".join(WARNING_COLUMNS) + "\n" + row)


def read_warnings(path: Path) -> list[tuple[str, str, str]]:
    """Rows of ``warnings.tsv`` as (stage, sample, message); none if the file is absent."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(line.split("\t", 2)) for line in lines if line]  # type: ignore[misc]


class WarningsHandler(logging.Handler):
    """Every WARNING-level record of any tkiseq module, as one recognisable stderr line
    (``tkiseq: warning: ...``) and, under the runner, a row of ``warnings.tsv``."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split())
        print(f"{WARNING_PREFIX}{message}", file=sys.stderr, flush=True)
        dest = os.environ.get(WARNINGS_ENV)
        if dest:
            stage, _, sample = os.environ.get(TASK_ENV, "").partition("\t")
            append_warning(Path(dest), stage, sample, message)


def configure_logging() -> None:
    """Information as ``tkiseq: INFO: ...``; warnings through :class:`WarningsHandler`."""
    info = logging.StreamHandler(sys.stderr)
    info.setFormatter(logging.Formatter("tkiseq: %(levelname)s: %(message)s"))
    info.addFilter(lambda record: record.levelno < logging.WARNING)
    root = logging.getLogger()
    root.handlers = [info, WarningsHandler()]
    root.setLevel(logging.INFO)
