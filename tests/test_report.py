"""``tkiseq report`` on fake results folders: sections, numbers, outliers, self-containment."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from report_fixture import FakeRun, make_results
from tkiseq.errors import InputError
from tkiseq.report.build import build_report, run, run_files
from tkiseq.report.inputs import parse_markdup, parse_star_log, qc_outliers, qc_table, robust_z
from tkiseq.report.params import ReportParams

NO_MULTIQC = ReportParams(multiqc=False)
SECTIONS = (
    "findings",
    "qc",
    "subtypes",
    "lesions",
    "response",
    "de",
    "gsea",
    "fusions",
    "variants",
    "samples",
    "summary",
)
PAGE_DATA = {"cards", "karyotype", "oncoprint"}  # inline JSON that is not a table widget


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> FakeRun:
    return make_results(tmp_path_factory.mktemp("fake") / "results", 30)


@pytest.fixture(scope="module")
def html(fake: FakeRun) -> str:
    return run(fake.results, fake.results / "report", NO_MULTIQC).read_text()


def tables(page: str) -> dict[str, dict]:
    """The inline JSON of every table, by table id."""
    found = re.findall(
        r'<script type="application/json" id="data-([^"]+)">(.*?)</script>', page, re.S
    )
    return {name: json.loads(text) for name, text in found}


def test_every_section_is_present_with_its_content(html: str, fake: FakeRun) -> None:
    positions = [html.index(f'<section id="{section}"') for section in SECTIONS]
    assert positions == sorted(positions)  # findings first, provenance last
    assert "Not available" not in html
    # QC, subtypes, oncoprint, AUC, volcano, and the three core-study figures
    assert html.count('<img src="data:image/png;base64,') == 8
    cards = tables(html)["cards"]
    assert [c["sample"] for c in cards] == fake.samples
    planted = sorted([fake.low_unique, fake.high_duplicates, fake.strand_mismatch])
    assert f"<dd>3 of 30: {', '.join(planted)}</dd>" in html


def test_a_missing_input_is_named_not_fatal(tmp_path: Path) -> None:
    fake = make_results(tmp_path / "results", 6)
    shutil.rmtree(fake.results / "subtypes")
    (fake.results / "align" / fake.samples[0] / f"{fake.samples[0]}.markdup.txt").unlink()
    (fake.results / "pipeline_info" / "trace.tsv").unlink()
    page = build_report(fake.results, NO_MULTIQC)
    assert "<code>subtypes/subtypes.tsv</code> was not found" in page
    assert "<code>pipeline_info/trace.tsv</code> was not found" in page
    assert f"<code>align/{fake.samples[0]}/{fake.samples[0]}.markdup.txt</code>" in page
    qc = tables(page)["qc"]
    dup = qc["columns"].index("duplicates_pct")
    assert qc["rows"][0][dup] is None and qc["rows"][1][dup] is not None


def test_no_external_reference(html: str) -> None:
    assert not re.search(r"https?://|//cdn|<link|@import", html, re.I)
    assert not re.search(r"\burl\(", html)  # CSS url(...): nothing fetched by the stylesheet
    sources = re.findall(r'\bsrc\s*=\s*["\']?([^"\' >]*)', html)
    assert sources and all(s.startswith("data:image/") for s in sources)


def test_every_table_travels_with_the_page(html: str, fake: FakeRun) -> None:
    """Each table widget has its full data inline (what Download TSV writes)."""
    data = tables(html)
    widgets = re.findall(r'class="datatable" data-table="([^"]+)"', html)
    assert set(widgets) == set(data) - PAGE_DATA
    fusions = pd.read_csv(fake.results / "fusions" / "cohort_fusions.tsv", sep="\t")
    assert len(data["fusions"]["rows"]) == len(fusions)
    assert data["fusions"]["columns"] == list(fusions.columns)
    variants = pd.read_csv(fake.results / "variants" / "cohort_variants.tsv", sep="\t")
    assert len(data["variants"]["rows"]) == int((variants["filter"] == "PASS").sum())
    assert len(data["qc"]["rows"]) == len(fake.samples)
    assert "Download TSV" in html and "text/tab-separated-values" in html


def test_tki_resistance_hits_are_highlighted(html: str, fake: FakeRun) -> None:
    variants = tables(html)["variants"]
    hits = [int(i) for i, cols in variants["marks"].items() if cols == []]
    assert [variants["rows"][i][0] for i in hits] == [fake.tki_hit]


def test_sample_cards_flag_tki_resistance_and_qc(html: str, fake: FakeRun) -> None:
    cards = {c["sample"]: c for c in tables(html)["cards"]}
    hits = {s for s, c in cards.items() if any(v[4] for v in c.get("var", []))}
    assert hits == {fake.tki_hit}
    (hit,) = [v for v in cards[fake.tki_hit]["var"] if v[4]]
    drugs = "imatinib, dasatinib, nilotinib, bosutinib"
    assert hit == ["ABL1", "p.Thr315Ile", "0.3", "12/40", drugs]
    qc = {c: {i[0]: i[2] for i in card["qc"]} for c, card in cards.items()}
    assert qc[fake.low_unique]["uniquely mapped %"] and cards[fake.low_unique]["qcflag"]
    assert not qc[fake.samples[5]]["uniquely mapped %"]


def test_qc_numbers_match_the_logs(fake: FakeRun) -> None:
    qc, missing = qc_table(fake.results, fake.samples, 1)
    assert missing == []
    for rec in qc.itertuples():
        log = (fake.results / "align" / rec.sample / f"{rec.sample}.Log.final.out").read_text()
        reads = int(re.search(r"Number of input reads \|\t(\d+)", log).group(1))
        assert rec.input_reads == reads
        dup = (fake.results / "align" / rec.sample / f"{rec.sample}.markdup.txt").read_text()
        n = {k: int(v) for k, v in re.findall(r"^([A-Z ]+): (\d+)$", dup, re.M)}
        assert rec.duplicates_pct == pytest.approx(
            100 * n["DUPLICATE PRIMARY TOTAL"] / n["EXAMINED"]
        )
        assert rec.genes_detected == fake.detected[rec.sample]


def test_planted_qc_problems_and_nothing_else_are_flagged(fake: FakeRun) -> None:
    qc, _ = qc_table(fake.results, fake.samples, 1)
    flags = qc_outliers(qc, 3.5, 0.2, 5.0).set_index(qc["sample"])
    flagged = {(s, m) for m in flags.columns for s in flags.index[flags[m]]}
    assert flagged == {
        (fake.low_unique, "uniquely_mapped_pct"),
        (fake.high_duplicates, "duplicates_pct"),
        (fake.strand_mismatch, "strandedness_mismatch"),
    }


def test_small_differences_in_a_tight_cohort_are_not_outliers(fake: FakeRun) -> None:
    qc, _ = qc_table(fake.results, fake.samples, 1)
    genes = qc["genes_detected"].astype(float)
    qc.loc[0, "genes_detected"] = genes.median() - 0.1 * genes.median()  # z far beyond 3.5
    assert robust_z(qc["genes_detected"]).iloc[0] < -3.5
    assert not qc_outliers(qc, 3.5, 0.2, 5.0)["genes_detected"].iloc[0]
    qc.loc[0, "genes_detected"] = genes.median() * 0.7
    assert qc_outliers(qc, 3.5, 0.2, 5.0)["genes_detected"].iloc[0]
    multi = qc["multimapped_pct"].astype(float)
    qc.loc[1, "multimapped_pct"] = multi.median() + 4.0  # far beyond 3.5 z, but 4 points
    assert robust_z(qc["multimapped_pct"]).iloc[1] > 3.5
    assert not qc_outliers(qc, 3.5, 0.2, 5.0)["multimapped_pct"].iloc[1]
    qc.loc[1, "multimapped_pct"] = multi.median() + 6.0
    assert qc_outliers(qc, 3.5, 0.2, 5.0)["multimapped_pct"].iloc[1]


def test_robust_z_is_the_modified_z_score() -> None:
    rng = np.random.default_rng(3)
    x = pd.Series(rng.normal(50, 5, 40))
    expected = 0.6745 * (x - np.median(x)) / stats.median_abs_deviation(x)
    np.testing.assert_allclose(robust_z(x), expected)
    tied = pd.Series([10.0] * 6 + [10.0, 30.0])  # MAD 0: mean absolute deviation instead
    z = robust_z(tied)
    assert z.iloc[-1] == pytest.approx(20 / (1.253314 * 2.5)) and z.iloc[0] == 0
    assert (robust_z(pd.Series([4.0] * 5)) == 0).all()


def test_parse_star_log_reads_the_figures() -> None:
    text = Path(__file__).with_name("report_fixture.py").read_text()
    template = re.search(r'STAR_LOG = """\\\n(.*?)"""', text, re.S).group(1)
    log = template.replace("\\t", "\t").format(
        reads=1000, unique=91.5, unique_n=915, multi=3.25, multi_n=32, short=5.25, short_n=53
    )
    got = parse_star_log(log, Path("x.Log.final.out"))
    assert got == {
        "input_reads": 1000,
        "uniquely_mapped_pct": 91.5,
        "multimapped_pct": 3.25,
        "too_many_loci_pct": 0.0,
    }


def test_parse_markdup_share_of_examined_reads() -> None:
    text = "COMMAND: samtools markdup\nREAD: 120\nEXAMINED: 100\nDUPLICATE PRIMARY TOTAL: 7\n"
    assert parse_markdup(text, Path("s.markdup.txt")) == pytest.approx(7.0)


def test_500_samples_stay_paged(tmp_path: Path) -> None:
    fake = make_results(tmp_path / "results", 500, n_genes=200)
    dest = run(fake.results, fake.results / "report", NO_MULTIQC)
    page = dest.read_text()
    data = tables(page)
    assert len(data["qc"]["rows"]) == 500 and len(data["cards"]) == 500
    assert "const PAGE_SIZE = 25;" in page and "const CARDS_PER_PAGE = 6;" in page
    assert all("k" in c for c in data["cards"])  # every card has its karyotype plot data
    size_mb = dest.stat().st_size / 1e6
    print(f"report.html at 500 samples: {size_mb:.2f} MB")
    assert size_mb < 5


# Bad input: one line naming the file, and no report.html left behind.


def _fails(fake: FakeRun, match: str) -> None:
    with pytest.raises(InputError, match=match):
        run(fake.results, fake.results / "report", NO_MULTIQC)
    assert not (fake.results / "report" / "report.html").exists()


def test_missing_samplesheet(tmp_path: Path) -> None:
    fake = make_results(tmp_path / "results", 4)
    (fake.results / "pipeline_info" / "inputs" / "samplesheet.valid.csv").unlink()
    _fails(fake, r"samplesheet\.valid\.csv: file not found")


def test_table_without_a_documented_column(tmp_path: Path) -> None:
    fake = make_results(tmp_path / "results", 4)
    path = fake.results / "subtypes" / "subtypes.tsv"
    pd.read_csv(path, sep="\t").drop(columns="risk_group").to_csv(path, sep="\t", index=False)
    _fails(fake, r"subtypes\.tsv: line 1: missing column\(s\) risk_group")


def test_non_numeric_auc(tmp_path: Path) -> None:
    fake = make_results(tmp_path / "results", 4)
    path = fake.results / "response" / "response.tsv"
    table = pd.read_csv(path, sep="\t", dtype=str)
    table.loc[2, "auc"] = "high"
    table.to_csv(path, sep="\t", index=False)
    _fails(fake, r"response\.tsv: line 4, column auc: expected a number, found 'high'")


def test_truncated_star_log(tmp_path: Path) -> None:
    fake = make_results(tmp_path / "results", 4)
    log = fake.results / "align" / "S002" / "S002.Log.final.out"
    log.write_text(log.read_text()[:400])
    _fails(fake, r"S002\.Log\.final\.out: not a STAR Log\.final\.out")


def test_markdup_stats_of_another_tool(tmp_path: Path) -> None:
    fake = make_results(tmp_path / "results", 4)
    (fake.results / "align" / "S003" / "S003.markdup.txt").write_text("## METRICS CLASS\n")
    _fails(fake, r"S003\.markdup\.txt: not samtools markdup -s statistics")


def test_markup_in_a_cell_cannot_break_the_page(tmp_path: Path) -> None:
    fake = make_results(tmp_path / "results", 4)
    nasty = "</script><!-- <b>x</b>"
    pd.DataFrame({"stage": ["counts"], "message": [nasty]}).to_csv(
        fake.results / "pipeline_info" / "warnings.tsv", sep="\t", index=False
    )
    page = build_report(fake.results, NO_MULTIQC)
    assert nasty not in page
    assert tables(page)["warnings"]["rows"] == [["counts", nasty]]


def test_logs_staged_flat_in_align_are_found(tmp_path: Path) -> None:
    """A Nextflow process stages every sample's logs in one folder: align/<sample>.*"""
    fake = make_results(tmp_path / "results", 5)
    for sample in fake.samples:
        for path in (fake.results / "align" / sample).iterdir():
            path.rename(fake.results / "align" / path.name)
        (fake.results / "align" / sample).rmdir()
    qc, missing = qc_table(fake.results, fake.samples, 1)
    assert missing == [] and qc["input_reads"].notna().all() and qc["duplicates_pct"].notna().all()


def test_a_run_without_alignments_says_so_once(tmp_path: Path) -> None:
    """From a count matrix no sample has STAR or duplicate logs: one notice per file kind, not
    two per sample (a 2,000-sample report opened on 4,000 notices); one absent log is named."""
    fake = make_results(tmp_path / "results", 5)
    (fake.results / "align" / fake.samples[0] / f"{fake.samples[0]}.markdup.txt").unlink()
    _, missing = qc_table(fake.results, fake.samples, 1)
    assert missing == [f"align/{fake.samples[0]}/{fake.samples[0]}.markdup.txt"]
    shutil.rmtree(fake.results / "align")
    _, missing = qc_table(fake.results, fake.samples, 1)
    assert missing == [
        "align/<sample>/<sample>.Log.final.out (for none of the 5 samples)",
        "align/<sample>/<sample>.markdup.txt (for none of the 5 samples)",
    ]


def test_loose_files_give_the_same_report(tmp_path: Path, fake: FakeRun, html: str) -> None:
    """``tkiseq report FILE...`` (files staged flat, as Nextflow does) equals the folder run."""
    flat = tmp_path / "staged"
    flat.mkdir()
    for path in fake.results.rglob("*"):
        if path.is_file() and "report" not in path.parts:
            shutil.copy(path, flat / path.name)
    dest = run_files(sorted(flat.iterdir()), tmp_path / "out", NO_MULTIQC)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["report.html"]
    staged, direct = tables(dest.read_text()), tables(html)
    assert staged.keys() == direct.keys()
    for key in ("qc", "fusions", "variants", "subtypes", "cards", "de-auc_imatinib"):
        assert staged[key] == direct[key], key


def test_loose_file_of_unknown_kind(tmp_path: Path) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("x")
    with pytest.raises(InputError, match=r"notes\.txt: not a file the report reads"):
        run_files([stray], tmp_path / "out", NO_MULTIQC)
    assert not (tmp_path / "out" / "report.html").exists()


def test_files_of_one_results_folder_read_that_folder(fake: FakeRun, tmp_path: Path) -> None:
    """As ``tkiseq run`` calls it: the registry's inputs, all below one results folder; the
    summary then has run metadata (params.json) that no input file names."""
    from tkiseq.report.layout import results_root

    res = fake.results
    files = [
        res / "pipeline_info" / "inputs" / "samplesheet.valid.csv",
        *(res / "align" / s / f"{s}.Log.final.out" for s in fake.samples),
        res / "expression" / "counts.tsv",
        res / "de" / "de_auc_imatinib.tsv",
    ]
    assert results_root(files) == res.resolve()
    assert results_root([*files, tmp_path]) is None  # not a report input
    page = run_files(files, tmp_path / "report", NO_MULTIQC).read_text()
    assert "Not available" not in page and "<dt>duration</dt>" in page


def test_a_report_built_during_the_run_says_so(tmp_path: Path) -> None:
    """tkiseq run writes run.json (RUNNING) first and trace.tsv row by row; the report is the
    last task, so its summary covers the tasks before it and says how to rebuild it."""
    fake = make_results(tmp_path / "results", 4)
    (fake.results / "pipeline_info" / "run.json").write_text('{"status": "RUNNING"}')
    page = build_report(fake.results, NO_MULTIQC)
    assert "<dd>RUNNING</dd>" in page and "the final status is written here" in page
    assert "Failed tasks" in page  # from the trace rows written so far


# The cohort at a glance and the karyotype plot data.


def test_karyotype_plot_bytes_hold_the_calls_and_the_points(fake: FakeRun) -> None:
    import base64

    from tkiseq.report.build import karyotype_data
    from tkiseq.report.cards import ARM_BYTES, CALLS, GENE_BINS

    karyotype, missing = karyotype_data(fake.results)
    assert missing == [] and karyotype.binned and len(karyotype.arms) == 41
    arm = {a: i for i, a in enumerate(karyotype.arms)}
    gained = np.frombuffer(base64.b64decode(karyotype.packed[fake.samples[0]]), np.uint8)
    gained = gained.reshape(len(karyotype.arms), ARM_BYTES)
    q21 = gained[arm["21q"]]
    assert CALLS[q21[0]] == "gain" and q21[2] == 30  # copy number 3.0
    assert q21[3] == 128 + round(np.log2(1.5) * 50) and q21[4] == round(0.333 * 200)
    genes = (q21[5 : 5 + GENE_BINS].astype(int) - 128) / 50  # gene points near log2(3/2)
    assert np.all(np.abs(genes - np.log2(1.5)) < 0.3)
    sites = q21[5 + GENE_BINS :] / 200  # minor-allele fractions near 1/3
    assert np.all((sites > 0.2) & (sites < 0.45))
    p10 = gained[arm["10p"]]
    assert CALLS[p10[0]] == "not assessable" and p10[3] == 0 and (p10[5 : 5 + GENE_BINS] == 0).all()
    normal = np.frombuffer(base64.b64decode(karyotype.packed[fake.samples[1]]), np.uint8)
    assert CALLS[normal.reshape(-1, ARM_BYTES)[arm["21q"]][0]] == "normal"


def test_karyotype_bins_read_in_chunks_equal_the_whole_table(fake: FakeRun, tmp_path: Path) -> None:
    """The report bins the genes and sites tables a few rows at a time (a 2,000-sample genes
    table is ~64 M rows): the plot bytes equal those of the tables read whole, with chunks
    that cut a sample's rows and with a table whose samples are not grouped."""
    from tkiseq.report.cards import (
        GENE_BINS,
        SITE_BINS,
        pack_karyotype,
        read_karyotype_bins,
        read_karyotype_points,
    )
    from tkiseq.tables import read_table

    folder = fake.results / "subtypes"
    table = read_table(folder / "karyotype.tsv", "karyotype")
    gene_cols = ("sample", "chrom", "arm", "pos", "log2_ratio")
    site_cols = ("sample", "chrom", "arm", "pos", "alt_fraction")
    genes = read_karyotype_points(folder / "karyotype_genes.tsv.gz", gene_cols)
    sites = read_karyotype_points(folder / "karyotype_sites.tsv.gz", site_cols)
    whole = pack_karyotype(table, genes, sites)
    shuffled = tmp_path / "genes.tsv.gz"
    genes.sample(frac=1, random_state=1).to_csv(shuffled, sep="\t", index=False)
    for path, rows in ((folder / "karyotype_genes.tsv.gz", 37), (shuffled, 1000)):
        binned = pack_karyotype(
            table,
            gene_medians=read_karyotype_bins(path, gene_cols, "log2_ratio", GENE_BINS, rows),
            site_medians=read_karyotype_bins(
                folder / "karyotype_sites.tsv.gz", site_cols, "minor", SITE_BINS, 11
            ),
        )
        assert binned.binned and binned.arms == whole.arms
        assert binned.packed == whole.packed
    empty = tmp_path / "sites.tsv.gz"  # no allele data: a header only, as the stage writes it
    sites.head(0).to_csv(empty, sep="\t", index=False)
    header_only = read_karyotype_bins(empty, site_cols, "minor", SITE_BINS)
    assert header_only is not None and header_only.empty
    assert (
        pack_karyotype(table, genes, sites.head(0)).packed
        == pack_karyotype(table, genes, site_medians=header_only).packed
    )


def test_karyotype_tsv_alone_still_draws_the_arms(tmp_path: Path) -> None:
    from tkiseq.report.build import karyotype_data
    from tkiseq.report.cards import GENE_BINS

    fake = make_results(tmp_path / "results", 4, karyotype_points=False)
    karyotype, _ = karyotype_data(fake.results)
    assert not karyotype.binned and set(karyotype.packed) == set(fake.samples)
    page = build_report(fake.results, NO_MULTIQC)
    assert all("k" in c for c in tables(page)["cards"])
    assert tables(page)["karyotype"]["binned"] is False and GENE_BINS == 6


def test_evidence_in_words_leaves_out_what_says_nothing() -> None:
    from tkiseq.report.findings import evidence_words

    text = "fusion:BCR::ABL1 e1a2 (p190);reference:none given;sex:unknown;karyotype:46 chromosomes"
    assert evidence_words(text) == "fusion BCR::ABL1 e1a2 (p190); RNA karyotype 46 chromosomes"


def test_not_assessable_arms_are_never_lesions(html: str, fake: FakeRun) -> None:
    raw = pd.read_csv(fake.results / "lesions" / "lesions.tsv", sep="\t")
    assert raw["lesion"].str.contains("not assessable").sum() == len(fake.samples)  # planted
    data = tables(html)
    assert not [r for r in data["lesions"]["rows"] if "assessable" in str(r)]
    assert len(data["lesions"]["rows"]) == len(raw) - len(fake.samples)
    assert not [r for r in data["oncoprint"]["rows"] if "assessable" in r[0]]
    assert not any("assessable" in str(c.get("les")) for c in data["cards"])


def test_glance_counts_and_core_tests(html: str, fake: FakeRun) -> None:
    data = tables(html)
    positive = len(fake.samples) // 2
    assert f"<dt>BCR::ABL1 positive</dt><dd>{positive} (50 %)</dd>" in html
    assert data["tki-mutations"]["rows"] == [
        [fake.tki_hit, "ABL1", "p.Thr315Ile", 0.3, "imatinib, dasatinib, nilotinib, bosutinib"]
    ]
    tests = pd.DataFrame(data["core-tests"]["rows"], columns=data["core-tests"]["columns"])
    assert list(tests["figure"]) == ["Fig. 3B", "Fig. 1F", "Fig. 5A"]  # Dunn pairs left out
    assert tests.loc[2, "p"] == "<= 2e-05"  # a permutation bound, shown as one
    assert tests.loc[1, "groups and n"] == "relapse (n=8) vs CCR (n=20)"


def test_associations_without_optional_columns_still_give_the_core_tests(tmp_path: Path) -> None:
    fake = make_results(tmp_path / "results", 4)
    path = fake.results / "stats" / "associations.tsv"
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    table.drop(columns=["note", "n_reference", "statistic"]).to_csv(path, sep="\t", index=False)
    rows = tables(build_report(fake.results, NO_MULTIQC))["core-tests"]["rows"]
    assert len(rows) == 3 and rows[2][4] == 2e-05  # no note: not known to be a bound


def test_the_de_threshold_reaches_the_de_section_only(fake: FakeRun, tmp_path: Path) -> None:
    """`--alpha` (the run's --de-alpha) sets what the DE section counts at; the associations
    highlight keeps its own 0.05."""
    de = pd.read_csv(fake.results / "de" / "de_auc_imatinib.tsv", sep="\t")
    strict = ReportParams(multiqc=False, alpha=0.001)
    page = run(fake.results, tmp_path / "report", strict).read_text()
    called = int((de["padj"] < 0.001).sum())
    assert f"{called} genes at padj &lt; 0.001" in page
    assert called < int((de["padj"] < 0.05).sum())
    assert "Rows with padj &lt; 0.05 are highlighted." in page
