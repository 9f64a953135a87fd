"""The report in a real browser: headless Chromium from file://, offline, every part drawn.

Skips (with the reason) where the Debian package ``chromium`` is not installed. The screenshot
is saved next to the report (``report/report.png`` in the test's temporary folder).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from report_browser import Browser, check_page, chromium
from report_fixture import FakeRun, make_results
from tkiseq.report.build import run
from tkiseq.report.params import ReportParams

pytestmark = pytest.mark.skipif(
    chromium() is None, reason="Chromium is not installed (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> tuple[FakeRun, Path]:
    fake = make_results(tmp_path_factory.mktemp("browser") / "results", 60)
    return fake, run(fake.results, fake.results / "report", ReportParams(multiqc=False))


def test_report_renders_offline_without_errors(fake: tuple[FakeRun, Path]) -> None:
    run_, report = fake
    page = check_page(report, len(run_.samples), report.with_suffix(".png"))
    assert len(page["images"]) == 5


def test_paging_sorting_filtering_and_download(fake: tuple[FakeRun, Path], tmp_path: Path) -> None:
    run_, report = fake
    with Browser(chromium()) as browser:
        browser.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(tmp_path))
        browser.open(report.as_uri())
        qc = '[data-table="qc"]'
        first = f"document.querySelector('{qc} tbody td').textContent"
        assert browser.evaluate(first) == run_.samples[0]
        browser.evaluate(f"document.querySelector('{qc} .pager button:last-child').click()")
        assert browser.evaluate(first) == run_.samples[25]
        assert "page 2 of 3" in browser.evaluate(
            f"document.querySelector('{qc} .pager').textContent"
        )
        # sort by uniquely mapped %: the planted low sample comes first
        browser.evaluate(f"document.querySelectorAll('{qc} th')[2].click()")
        assert browser.evaluate(first) == run_.low_unique
        # filter to one sample, then download what is shown
        browser.evaluate(
            f"const f = document.querySelector('{qc} input'); f.value = '{run_.samples[7]}';"
            "f.dispatchEvent(new Event('input'))"
        )
        assert browser.evaluate(f"document.querySelectorAll('{qc} tbody tr').length") == 1
        browser.evaluate(f"document.querySelector('{qc} .controls button').click()")
        target = tmp_path / "qc.tsv"
        deadline = time.monotonic() + 20
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        lines = target.read_text().splitlines()
        assert lines[0].split("\t")[:2] == ["sample", "input_reads"]
        assert len(lines) == 2 and lines[1].startswith(run_.samples[7] + "\t")
        assert browser.visit.errors == []
