"""Run provenance: software versions, parameters and the per-task trace (like Nextflow's)."""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tkiseq import __version__
from tkiseq.atomic import write_text

TRACE_COLUMNS = (
    "stage", "sample", "start", "wall_s", "cpu_s", "peak_rss_mb", "exit_code", "status"
)  # fmt: skip
PYTHON_PACKAGES = ("pysam", "numpy", "pandas", "scipy", "anndata", "pydeseq2", "gseapy")


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

        versions["htslib"] = version.__htslib_version__
        versions["samtools"] = version.__samtools_version__
        versions["bcftools"] = version.__bcftools_version__
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
