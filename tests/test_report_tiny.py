"""The report of the real tiny run (its last task), checked against the simulator's truth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from report_browser import check_page, chromium

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_report(tiny_run: Path) -> Path:
    """The report ``tkiseq run`` wrote as its last task."""
    return tiny_run / "report" / "report.html"


def test_qc_matches_the_simulated_libraries(tiny_report: Path, tiny_data: Path) -> None:
    truth = pd.read_csv(tiny_data / "truth" / "samples.tsv", sep="\t").set_index("sample")
    html = tiny_report.read_text()
    payload = re.search(r'id="data-qc">(.*?)</script>', html, re.S).group(1)
    data = json.loads(payload)
    qc = pd.DataFrame(data["rows"], columns=data["columns"]).set_index("sample")
    assert list(qc.index) == list(truth.index)
    assert (qc["input_reads"] == truth["read_pairs"]).all()
    # planted PCR duplicates, plus chance collisions of fragments with the same ends
    dup = qc["duplicates_pct"] - 100 * truth["duplicate_fraction"]
    assert dup.between(-1.0, 2.0).all(), dup
    assert (qc["strandedness_inferred"] == truth["library_strandedness"]).all()
    assert (qc["genes_detected"] > 0).all()


def test_multiqc_has_every_sample_with_star_and_tkiseq(tiny_report: Path, tiny_data: Path) -> None:
    truth = pd.read_csv(tiny_data / "truth" / "subtypes.tsv", sep="\t", keep_default_na=False)
    data = tiny_report.parent / "multiqc" / "multiqc_data"
    stats = pd.read_csv(data / "multiqc_general_stats.txt", sep="\t").set_index("Sample")
    assert sorted(stats.index) == sorted(truth["sample"])
    assert stats["star-uniquely_mapped_percent"].notna().all()
    assert stats["samtools_markdup-duplicate_fraction"].notna().all()
    isoform = stats["custom_content_tkiseq_general_stats-bcr_abl1_isoform"].fillna("")
    assert isoform.to_dict() == truth.set_index("sample")["bcr_abl1_isoform"].to_dict()
    assert (stats["custom_content_tkiseq_general_stats-fusions"] >= 1).all()


def test_the_finished_run_s_report_says_completed(tiny_report: Path) -> None:
    """The report is the run's last task; the runner writes the final status into it."""
    html = tiny_report.read_text()
    banner = re.search(r'id="run-status">(.*?)</p>', html).group(1)
    assert banner.startswith("Run COMPLETED") and "RUNNING" not in html


@pytest.mark.skipif(
    chromium() is None, reason="Chromium is not installed (apt-get install chromium)"
)
def test_tiny_report_in_the_browser(tiny_report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "tiny_report.png"
    check_page(tiny_report, 6, shot)
    print(f"screenshot: {shot}")
