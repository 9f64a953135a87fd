"""Issue 14: an output folder holding another run's results is refused unless the run is
continued (--resume) or replaced (--overwrite); stale temporaries are swept; cohort tables
naming samples outside the samplesheet are caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tkiseq.errors import InputError
from tkiseq.pipeline_info import (
    TRACE_COLUMNS,
    TraceRow,
    append_trace,
    claim_outdir,
    start_trace,
    stray_samples,
    sweep_temporaries,
)


def results(outdir: Path, sheet: Path, status: str = "COMPLETED") -> Path:
    """A results folder of a finished run of ``sheet`` with one old sample."""
    (outdir / "pipeline_info").mkdir(parents=True)
    run = {"input": str(sheet.resolve()), "started": "2026-11-30T10:00:00+00:00", "status": status}
    (outdir / "pipeline_info" / "run.json").write_text(json.dumps(run))
    (outdir / "align" / "OLD").mkdir(parents=True)
    (outdir / "align" / "OLD" / "OLD.bam").write_bytes(b"bam")
    return outdir


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    path = tmp_path / "samplesheet.csv"
    path.write_text("sample,fastq_1,fastq_2,strandedness\n")
    return path


def test_new_or_empty_folder_is_fine(tmp_path: Path, sheet: Path) -> None:
    claim_outdir(tmp_path / "new", sheet, resume=False, overwrite=False)
    (tmp_path / "empty").mkdir()
    claim_outdir(tmp_path / "empty", sheet, resume=False, overwrite=False)


def test_another_runs_results_are_refused(tmp_path: Path, sheet: Path) -> None:
    out = results(tmp_path / "out", sheet)
    with pytest.raises(InputError) as caught:
        claim_outdir(out, sheet, resume=False, overwrite=False)
    assert str(caught.value) == (
        f"{out}: holds the results of another run (samplesheet {sheet.resolve()}, started"
        " 2026-11-30T10:00:00+00:00, completed) (--resume continues it, --overwrite replaces"
        " it, or choose another --outdir)"
    )
    assert (out / "align" / "OLD" / "OLD.bam").exists()


def test_resume_continues_only_the_same_samplesheet(tmp_path: Path, sheet: Path) -> None:
    out = results(tmp_path / "out", sheet, status="ABORTED")
    claim_outdir(out, sheet, resume=True, overwrite=False)
    other = tmp_path / "other.csv"
    other.write_text(sheet.read_text())
    with pytest.raises(InputError, match=r"a run of another samplesheet .* --resume continues"):
        claim_outdir(out, other, resume=True, overwrite=False)


def test_overwrite_empties_tkiseq_results(tmp_path: Path, sheet: Path) -> None:
    out = results(tmp_path / "out", sheet)
    claim_outdir(out, sheet, resume=False, overwrite=True)
    assert list(out.iterdir()) == []


def test_folder_that_is_not_results_is_never_emptied(tmp_path: Path, sheet: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    for resume, overwrite in ((False, False), (True, False), (False, True)):
        with pytest.raises(InputError) as caught:
            claim_outdir(out, sheet, resume=resume, overwrite=overwrite)
        assert str(caught.value) == (
            f"{out}: not empty (holds 'thesis.docx') and not tkiseq results (no"
            " pipeline_info/run.json) (choose a new or empty --outdir)"
        )
    assert (out / "thesis.docx").read_bytes() == b"precious"


def test_sweep_removes_hidden_temporaries_and_keeps_the_cache(tmp_path: Path) -> None:
    out = tmp_path / "out"
    leftovers = [
        out / "align" / "S1" / ".S1.tmpab12cd",  # align's work folder
        out / "reference" / ".star_index.tmpxyz",  # star-index's work folder
        out / "variants" / ".S1.call.k3j",  # variant caller's work folder
    ]
    for folder in leftovers:
        (folder / "deep").mkdir(parents=True)
        (folder / "deep" / "Aligned.out.bam").write_bytes(b"x" * 100)
    half_written = out / "fusions" / ".S1.tmpq1.fusions.tsv"
    half_written.parent.mkdir(parents=True)
    half_written.write_text("partial")
    kept = [out / "align" / "S1" / "S1.bam", out / ".tkiseq" / "cache" / "align.S1.json"]
    for path in kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("done")
    swept = sweep_temporaries(out)
    assert sorted(swept) == sorted([*leftovers, half_written])
    assert all(not p.exists() for p in swept) and all(p.exists() for p in kept)


def test_trace_rows_are_on_disk_as_each_task_finishes(tmp_path: Path) -> None:
    trace = tmp_path / "trace.tsv"
    start_trace(trace)
    append_trace(trace, TraceRow("align", "S1", "t0", 1.5, 1.2, 100.0, 0, "COMPLETED"))
    assert trace.read_text().splitlines() == [
        "\t".join(TRACE_COLUMNS),
        "align\tS1\tt0\t1.50\t1.20\t100.0\t0\tCOMPLETED",
    ]


def test_stray_samples_in_long_and_wide_cohort_tables(tmp_path: Path) -> None:
    long = tmp_path / "cohort_fusions.tsv"
    long.write_text("sample\tgene5\nS1\tBCR\nOLD\tETV6\n\n")
    wide = tmp_path / "counts.tsv"
    wide.write_text("gene_id\tgene_name\tS1\tS2\tOLD\nG1\tA\t1\t2\t3\n")
    de = tmp_path / "de_auc_imatinib.tsv"  # gene columns are not samples
    de.write_text("gene_id\tgene_name\tbase_mean\tlog2fc\nG1\tA\t1\t2\n")
    assert stray_samples(long, ["S1", "S2"]) == ["OLD"]
    assert stray_samples(wide, ["S1", "S2"]) == ["OLD"]
    assert stray_samples(wide, ["S1", "S2", "OLD"]) == []
    assert stray_samples(de, ["S1"]) == []
