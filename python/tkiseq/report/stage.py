"""``tkiseq report``: the cohort report (one HTML file) and MultiQC, from a results folder or
from the run's output files (as a Nextflow process stages them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tkiseq.errors import InputError
from tkiseq.report import build
from tkiseq.report.params import ReportParams as Params
from tkiseq.stage_options import option

__all__ = ["OUTDIR_HELP", "Inputs", "Params", "run"]
OUTDIR_HELP = "folder for report.html, multiqc/"


@dataclass(frozen=True, kw_only=True)
class Inputs:
    """The run's outputs: its files, or its results folder."""

    files: tuple[Path, ...] = option(
        (),
        positional=True,
        nargs="*",
        help="the run's output files the report reads (by name)",
    )
    results: Path | None = option(None, help="instead of files: a tkiseq run --outdir folder")


def run(inputs: Inputs, params: Params, outdir: Path) -> None:
    """Write ``report.html`` (and ``multiqc/``) into ``outdir``."""
    if inputs.results is not None:
        if inputs.files:
            raise InputError("--results", "give a results folder or files, not both")
        build.run(inputs.results, outdir, params)
    elif inputs.files:
        build.run_files(list(inputs.files), outdir, params)
    else:
        raise InputError("tkiseq report", "nothing to report", hint="give --results or files")
