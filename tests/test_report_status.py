"""The report shows the run's final state: COMPLETED, or FAILED naming the failed tasks.

``tkiseq run`` builds the report as its last task (run.json still RUNNING); the runner's final
step (``finish_reports``) or ``tkiseq report-status`` rewrites the status afterwards.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from report_fixture import FakeRun, make_results
from tkiseq.cli import main
from tkiseq.report.build import run
from tkiseq.report.params import ReportParams
from tkiseq.report.status import finish_reports, read_state

TRACE = ["stage", "sample", "start", "wall_s", "cpu_s", "peak_rss_mb", "exit_code", "status"]


def _during_the_run(root: Path, failed: bool = False) -> FakeRun:
    """Results as the report task sees them: run.json RUNNING, the trace without the report."""
    fake = make_results(root / "results", 4)
    info = fake.results / "pipeline_info"
    (info / "run.json").write_text(json.dumps({"status": "RUNNING", "command": "tkiseq run"}))
    rows = [("align", s, "", "1", "1", "10", "0", "COMPLETED") for s in fake.samples]
    if failed:
        rows.append(("de", "auc_imatinib", "", "1", "1", "10", "1", "FAILED"))
    pd.DataFrame(rows, columns=TRACE).to_csv(info / "trace.tsv", sep="\t", index=False)
    run(fake.results, fake.results / "report", ReportParams(multiqc=False))
    return fake


def _end_run(fake: FakeRun, status: str, extra_rows: list[tuple] = ()) -> None:
    """What the runner does when the last task is done: run.json final, trace complete."""
    info = fake.results / "pipeline_info"
    meta = json.loads((info / "run.json").read_text()) | {"status": status, "duration_s": 12.5}
    (info / "run.json").write_text(json.dumps(meta))
    with (info / "trace.tsv").open("a") as fh:
        for row in extra_rows:
            fh.write("\t".join(row) + "\n")


def _banner(page: str) -> str:
    return re.search(r'<p class="run-status[^"]*" id="run-status">(.*?)</p>', page).group(1)


def test_a_finished_run_says_completed_never_running(tmp_path: Path) -> None:
    fake = _during_the_run(tmp_path)
    report = fake.results / "report" / "report.html"
    assert _banner(report.read_text()).startswith("Run RUNNING")
    _end_run(fake, "COMPLETED", [("report", "", "", "1", "1", "10", "0", "COMPLETED")])
    assert finish_reports([report, tmp_path / "absent.html"], fake.results) == [report]
    page = report.read_text()
    assert _banner(page).startswith("Run COMPLETED")
    assert "RUNNING" not in page
    assert "<dt>status</dt><dd>COMPLETED</dd>" in page
    assert "<dd>5 run, 0 failed</dd>" in page  # the report's own row is counted now
    assert "Failed tasks" not in page
    # the rest of the page is untouched: same tables, same cards
    data = re.findall(r'<script type="application/json" id="data-cards">(.*?)</script>', page)
    assert len(json.loads(data[0])) == 4


def test_a_run_with_a_failed_task_says_failed_and_names_it(tmp_path: Path) -> None:
    fake = _during_the_run(tmp_path, failed=True)
    _end_run(fake, "FAILED")
    report = fake.results / "report" / "report.html"
    finish_reports([report], fake.results)
    page = report.read_text()
    assert _banner(page) == "Run FAILED: failed task(s) de.auc_imatinib (exit 1)"
    assert "<td>de.auc_imatinib</td><td>1</td>" in page and "RUNNING" not in page


def test_a_failed_task_outweighs_a_completed_status(tmp_path: Path) -> None:
    fake = _during_the_run(tmp_path, failed=True)
    _end_run(fake, "COMPLETED")
    assert read_state(fake.results).status == "FAILED"


def test_report_status_command_for_a_workflow_manager(tmp_path: Path) -> None:
    """A Nextflow completion handler knows the outcome: --status, --failed TASK."""
    fake = _during_the_run(tmp_path)
    args = [
        "report-status",
        "--results",
        str(fake.results),
        "--status",
        "FAILED",
        "--failed",
        "align.S002",
    ]
    assert main(args) == 0
    page = (fake.results / "report" / "report.html").read_text()
    assert _banner(page).startswith("Run FAILED: failed task(s) align.S002")
    assert main(["report-status", "--results", str(fake.results), "--status", "COMPLETED"]) == 0
    page = (fake.results / "report" / "report.html").read_text()
    assert _banner(page).startswith("Run COMPLETED") and "RUNNING" not in page


@pytest.mark.parametrize(
    ("failed", "named"),
    [
        ("TKISEQ_PIPELINE:TKISEQ:ALIGN:TKISEQ_ALIGN (S002)", "align.S002"),
        ("TKISEQ_PIPELINE:TKISEQ:FUSIONS:TKISEQ_FUSIONS_CALL (S001)", "fusions.S001"),
        ("TKISEQ_PIPELINE:TKISEQ:EXPRESSION:TKISEQ_DE (auc_imatinib)", "de.auc_imatinib"),
        ("TKISEQ_PIPELINE:TKISEQ:EXPRESSION:TKISEQ_COUNTS (cohort)", "counts"),
        ("TKISEQ_PIPELINE:TKISEQ:TKISEQ_UNKNOWN (x)", "TKISEQ_PIPELINE:TKISEQ:TKISEQ_UNKNOWN (x)"),
    ],
    ids=["sample", "process-not-stage-name", "phenotype", "cohort", "not-a-stage"],
)
def test_report_status_names_a_nextflow_task_as_the_local_runner_does(
    tmp_path: Path, failed: str, named: str
) -> None:
    """The Nextflow completion handler passes the failed task as the engine names it."""
    fake = _during_the_run(tmp_path)
    args = ["report-status", "--results", str(fake.results), "--status", "FAILED"]
    assert main([*args, "--failed", failed]) == 0
    page = (fake.results / "report" / "report.html").read_text()
    assert _banner(page) == f"Run FAILED: failed task(s) {named}"


def test_report_status_without_a_report_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report-status", "--results", str(tmp_path)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "report.html: file not found" in err[0]


def test_without_run_metadata_the_banner_says_where_the_status_comes_from(tmp_path: Path) -> None:
    """Under Nextflow the report task sees no run.json: it says so rather than guess."""
    fake = make_results(tmp_path / "results", 4)
    (fake.results / "pipeline_info" / "run.json").unlink()
    (fake.results / "pipeline_info" / "trace.tsv").unlink()
    page = run(fake.results, fake.results / "report", ReportParams(multiqc=False)).read_text()
    assert _banner(page).startswith("Run status not recorded here")
    assert main(["report-status", "--results", str(fake.results), "--status", "COMPLETED"]) == 0
    page = (fake.results / "report" / "report.html").read_text()
    assert _banner(page) == "Run COMPLETED"
