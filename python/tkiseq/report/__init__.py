"""The cohort report: one self-contained HTML page, and MultiQC over the QC logs."""

from tkiseq.report.build import ReportParams, run, run_files

__all__ = ["ReportParams", "run", "run_files"]
