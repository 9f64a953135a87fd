"""The report in a real browser: headless Chromium from file://, offline, every part drawn.

Skips (with the reason) where the Debian package ``chromium`` is not installed. The screenshot
is saved next to the report (``report/report.png`` in the test's temporary folder).
"""

from __future__ import annotations

import json
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
    assert len(page["images"]) == 8  # 5 of the report's own, 3 of the associations stage


@pytest.fixture(scope="module")
def cohort24(tmp_path_factory: pytest.TempPathFactory) -> tuple[FakeRun, Path]:
    fake = make_results(tmp_path_factory.mktemp("browser24") / "results", 24)
    return fake, run(fake.results, fake.results / "report", ReportParams(multiqc=False))


FIRST_SCREEN = """JSON.stringify({
  glance: document.querySelector("#findings .glance").getBoundingClientRect().bottom,
  findings: document.querySelector("#findings").getBoundingClientRect().top,
  summary: document.querySelector("#summary").getBoundingClientRect().top,
  params: document.querySelector("#block-params").getBoundingClientRect().top,
  status: document.querySelector("#run-status").textContent,
})"""


def test_first_screen_is_the_cohort_summary_not_provenance(cohort24: tuple[FakeRun, Path]) -> None:
    _, report = cohort24
    with Browser(chromium()) as browser:
        browser.viewport(1400, 900)
        browser.open(report.as_uri())
        screen = json.loads(browser.evaluate(FIRST_SCREEN))
        assert browser.evaluate("window.innerHeight") == 900
    assert screen["findings"] < 200 and screen["glance"] <= 900  # the at-a-glance boxes
    assert screen["summary"] > 900 and screen["params"] > 900  # provenance off-screen, last
    assert screen["status"].startswith("Run ")


CARD_PAGE = """JSON.stringify([...document.querySelectorAll("#cards article.card")].map(c => [
  c.id, c.querySelectorAll("svg.karyo").length,
  c.querySelector('svg.karyo g[data-arm="10p"]').dataset.call,
  c.querySelectorAll('svg.karyo g[data-arm="10p"] circle').length,
  c.querySelectorAll('svg.karyo g[data-arm="10p"] rect.na').length,
]))"""


def test_every_sample_has_a_card_with_a_karyotype_plot(cohort24: tuple[FakeRun, Path]) -> None:
    run_, report = cohort24
    seen = []
    with Browser(chromium()) as browser:
        browser.open(report.as_uri())
        for _ in range(len(run_.samples)):
            seen += json.loads(browser.evaluate(CARD_PAGE))
            more = browser.evaluate(
                "(() => { const b = document.querySelector('#cards .pager button:last-child');"
                " if (!b || b.disabled) return false; b.click(); return true; })()"
            )
            if not more:
                break
        # a card is linkable: report.html#sample-<ID> opens the page of cards holding it
        browser.open("about:blank")
        browser.open(report.as_uri() + "#sample-" + run_.samples[20])
        shown = browser.evaluate(
            f"document.getElementById('sample-{run_.samples[20]}').getBoundingClientRect().top"
        )
        browser.call("Emulation.setEmulatedMedia", session=True, media="print")
        breaks = browser.evaluate(
            "getComputedStyle(document.querySelector('#cards article.card')).breakBefore"
        )
        assert browser.visit.errors == []
    assert [c[0] for c in seen] == [f"sample-{s}" for s in run_.samples]
    assert all(c[1] == 1 for c in seen)  # one karyotype plot per card
    # 10p could not be assessed: greyed, no points, never a lesion
    assert all(c[2] == "not assessable" and c[3] == 0 and c[4] == 1 for c in seen)
    assert 0 <= shown < 900
    assert breaks == "page"  # printed: one sample card per page


def test_no_not_assessable_row_in_the_oncoprint_or_lesions(cohort24: tuple[FakeRun, Path]) -> None:
    run_, report = cohort24
    with Browser(chromium()) as browser:
        browser.open(report.as_uri())
        text = "document.getElementById('data-{}').textContent"
        rows = json.loads(browser.evaluate(text.format("oncoprint")))
        lesions = json.loads(browser.evaluate(text.format("lesions")))
    names = [r[0] for r in rows["rows"]]
    assert names and "chr21q_gain" in names  # a real arm call stays
    assert not [n for n in names if "assessable" in n]
    assert not [r for r in lesions["rows"] if "assessable" in " ".join(map(str, r))]
    assert rows["samples"] == len(run_.samples)


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
