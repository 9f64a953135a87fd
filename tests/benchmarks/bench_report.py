"""Report size, build time and browser render time at 51, 500 and 2,000 samples.

Builds a fake results folder per size (``tests/report_fixture.py``: every cohort table,
20,000 genes in counts.tsv), times ``tkiseq report`` (HTML, then MultiQC), and opens the page
in headless Chromium from file:// to time the load (inline scripts included: the load event
fires after they drew the first page of every table).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from tests.report_browser import Browser, chromium
from tests.report_fixture import make_results

from tkiseq.report.build import build_report
from tkiseq.report.multiqc import run_multiqc
from tkiseq.report.params import ReportParams

LOAD = "performance.getEntriesByType('navigation')[0].loadEventEnd"


def render_ms(report: Path, repeats: int) -> list[float]:
    """Navigation start to load-event end (ms) of each of ``repeats`` fresh loads."""
    times = []
    with Browser(chromium()) as browser:
        for _ in range(repeats):
            browser.open(report.as_uri())
            times.append(float(browser.evaluate(LOAD)))
            browser.open("about:blank")
        if browser.visit.errors:
            raise SystemExit(f"console errors: {browser.visit.errors}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="51,500,2000")
    parser.add_argument("--no-multiqc", action="store_true", help="time the HTML report only")
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench-report"))
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        results = make_results(args.workdir / f"n{n}", n, n_genes=args.genes).results
        t0 = time.perf_counter()
        html = build_report(results, ReportParams())
        build_s = time.perf_counter() - t0
        report = results / "report" / "report.html"
        report.parent.mkdir()
        report.write_text(html, encoding="utf-8")
        t0 = time.perf_counter()
        if not args.no_multiqc:
            run_multiqc(results, results / "report" / "multiqc")
        multiqc_s = None if args.no_multiqc else round(time.perf_counter() - t0, 1)
        render = render_ms(report, args.repeats) if chromium() else []
        rows.append(
            {
                "samples": n,
                "html_mb": round(report.stat().st_size / 1e6, 2),
                "build_s": round(build_s, 1),
                "multiqc_s": multiqc_s,
                "render_ms": [round(t) for t in render],
            }
        )
        print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
