"""Variants on the tiny dataset against the simulator's truth: recall, precision, HGVS.

The calls are the ``variants/`` outputs of the shared ``tiny_run`` (``tkiseq run``), so the
stage is tested as the pipeline runs it and nothing is called twice.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pysam
import pytest

from bundles import bundle_of
from tkiseq.variants.annotate import COLUMNS, Annotator, annotate_record
from tkiseq.variants.call import CallParams, call_bam, site_depths
from tkiseq.variants.filter import filter_calls
from tkiseq.variants.scan import scan_contig

pytestmark = pytest.mark.slow
KEY = ["sample", "chrom", "pos", "ref", "alt"]
ABL1_CHANGES = {
    "p.T315I": "c.944C>T",
    "p.E255K": "c.763G>A",
    "p.H396P": "c.1187A>C",
    "p.K404E": "c.1210A>G",
}


def truth(data: Path) -> pd.DataFrame:
    return pd.read_csv(data / "truth" / "variants.tsv", sep="\t", dtype={"chrom": str})


def samples(data: Path) -> list[str]:
    return list(pd.read_csv(data / "samplesheet.csv")["sample"])


@pytest.fixture(scope="module")
def called(tiny_run: Path) -> Path:
    return tiny_run / "variants"


def calls(folder: Path, names: list[str]) -> pd.DataFrame:
    frames = [
        pd.read_csv(
            folder / f"{s}.variants.tsv", sep="\t", dtype={"chrom": str}, keep_default_na=False
        )
        for s in names
    ]
    return pd.concat(frames, ignore_index=True)


def test_annotation_matches_truth(tiny_data: Path) -> None:
    """Gene, SO term, c. and p. of every planted variant, from GTF + FASTA only."""
    ann = Annotator(bundle_of(tiny_data / "genes.gtf"), tiny_data / "genome.fa")
    expected = truth(tiny_data).fillna("").drop_duplicates(["chrom", "pos", "ref", "alt"])
    for row in expected.itertuples():
        got = annotate_record(ann, row.chrom, int(row.pos), row.ref, row.alt)
        names = ("gene", "consequence", "hgvsc", "hgvsp", "hgvsp_short")
        assert tuple(got[n] for n in names) == tuple(getattr(row, n) for n in names), row


def test_outputs_for_every_sample(called: Path, tiny_data: Path) -> None:
    """calls/all/pass VCFs indexed and readable; .all keeps every call with a FILTER value."""
    for s in samples(tiny_data):
        for name in ("calls", "all", "pass"):
            assert Path(f"{called / s}.{name}.vcf.gz.tbi").exists(), (s, name)
        with pysam.VariantFile(str(called / f"{s}.all.vcf.gz")) as vf:
            every = {(r.chrom, r.pos, r.ref, r.alts[0]): set(r.filter.keys()) for r in vf}
        with pysam.VariantFile(str(called / f"{s}.pass.vcf.gz")) as vf:
            passed = {(r.chrom, r.pos, r.ref, r.alts[0]) for r in vf}
        with pysam.VariantFile(str(called / f"{s}.calls.vcf.gz")) as vf:
            assert len(list(vf)) == len(every)
        assert all(every.values())
        assert passed == {k for k, f in every.items() if f == {"PASS"}}
        table = pd.read_csv(called / f"{s}.variants.tsv", sep="\t", keep_default_na=False)
        assert list(table.columns) == COLUMNS
        rows = {(str(r.chrom), r.pos, r.ref, r.alt): r for r in table.itertuples()}
        supported = {k for k, f in every.items() if not f & {"min_alt_reads", "min_vaf"}}
        assert supported <= set(rows), s  # every call the reads support has its row
        for key, row in rows.items():  # ... and other rows are panel genes' subclones
            assert set(row.filter.split(";")) == every[key], (s, key)
            assert "min_alt_reads" not in every[key], (s, key)
            assert key in supported or row.panel_gene, (s, key)


def test_recall_precision_and_dbsnp(called: Path, tiny_data: Path) -> None:
    """Recall of detectable somatic variants and precision of PASS calls, per sample and
    overall; private germline SNPs (not in dbSNP) are expected passes, counted apart."""
    t = truth(tiny_data)
    c = calls(called, samples(tiny_data))
    merged = t.merge(c, on=KEY, how="left", suffixes=("", "_call"))
    detectable = merged[(merged.kind == "somatic") & (merged.alt_reads >= 3) & (merged.vaf > 0.1)]
    found = detectable[detectable["filter"] == "PASS"]
    passed = c[c["filter"] == "PASS"].merge(t, on=KEY, how="left")
    for s in samples(tiny_data):
        p = passed[passed["sample"] == s]
        print(
            f"{s}: recall {(found['sample'] == s).sum()}/{(detectable['sample'] == s).sum()}, "
            f"PASS {len(p)} = {(p.kind == 'somatic').sum()} somatic + "
            f"{(p.kind == 'germline_private').sum()} private germline + "
            f"{p.kind.isna().sum()} false"
        )
    recall = len(found) / len(detectable)
    precision = passed.kind.isin(["somatic", "germline_private"]).sum() / len(passed)
    print(
        f"overall recall {recall:.3f} ({len(found)}/{len(detectable)}), precision "
        f"{precision:.3f} of {len(passed)} PASS"
    )
    assert len(detectable) >= 8
    assert recall >= 0.95, detectable[detectable["filter"] != "PASS"]
    assert precision >= 0.95, passed[passed.kind.isna()]
    private = merged[merged.kind == "germline_private"]
    assert (private["filter"] == "PASS").all(), private
    dbsnp_rows = merged[merged.kind == "germline_dbsnp"]
    assert not (dbsnp_rows["filter"] == "PASS").any(), dbsnp_rows
    assert (dbsnp_rows["in_dbsnp"].astype(str) == "True").all()


def test_no_dbsnp_allele_passes(called: Path, tiny_data: Path) -> None:
    """Checked against dbSNP itself, not only the planted germline sites."""
    with pysam.VariantFile(str(tiny_data / "dbsnp.vcf.gz")) as vf:
        names = {c: c if c.startswith("chr") else f"chr{c}" for c in vf.header.contigs}
        db = {(names.get(r.chrom, r.chrom), r.pos, r.ref, a) for r in vf for a in r.alts or ()}
    c = calls(called, samples(tiny_data))
    passed = c[c["filter"] == "PASS"]
    hits = [
        k for k in zip(passed.chrom, passed.pos, passed.ref, passed.alt, strict=True) if k in db
    ]
    assert not hits


def test_protein_changes_exact(called: Path, tiny_data: Path) -> None:
    """Every planted coding variant present in the calls is named as the truth names it."""
    t = truth(tiny_data)
    c = calls(called, samples(tiny_data))
    planted = t[(t.kind == "somatic") & t.hgvsp.notna()].merge(c, on=KEY, suffixes=("", "_call"))
    assert len(planted) >= 10
    cols = ["hgvsc", "hgvsp", "hgvsp_short", "consequence"]
    for col in cols:
        assert (planted[col] == planted[f"{col}_call"]).all(), planted[[col, f"{col}_call"]]
    abl1 = c[c.gene == "ABL1"].set_index("hgvsp_short")
    for change, hgvsc in ABL1_CHANGES.items():
        assert abl1.loc[change, "hgvsc"] == hgvsc
        assert str(abl1.loc[change, "abl1_kd"]) == "True"
    assert abl1.loc["p.T315I", "hgvsp"] == "p.Thr315Ile"
    assert {"imatinib", "bosutinib"} <= set(abl1.loc["p.T315I", "tki_resistance"].split(";"))
    assert abl1.loc["p.E255K", "tki_resistance"] == "imatinib;nilotinib"


def test_cohort_tables(called: Path, tiny_data: Path) -> None:
    cohort = pd.read_csv(called / "cohort_variants.tsv", sep="\t", dtype={"chrom": str})
    assert set(cohort["filter"]) == {"PASS"}
    c = calls(called, samples(tiny_data))
    assert len(cohort) == (c["filter"] == "PASS").sum()
    matrix = pd.read_csv(called / "alterations.tsv", sep="\t", index_col=0, keep_default_na=False)
    assert list(matrix.index) == samples(tiny_data)
    t = truth(tiny_data)
    t315i = t[t.hgvsp_short == "p.T315I"].iloc[0]
    assert "p.T315I" in matrix.loc[t315i["sample"], "ABL1"]


def records(vcf: Path) -> dict[tuple[str, int, str, str], pysam.VariantRecord]:
    with pysam.VariantFile(str(vcf)) as vf:
        return {(r.chrom, r.pos, r.ref, r.alts[0]): r for r in vf}


def test_recount_shortcut_loses_nothing(called: Path, tiny_data: Path, tmp_path: Path) -> None:
    """SNVs that cannot pass whatever the recount finds keep the pileup's counts: with fewer
    than min_alt_reads alt reads they are not written, with a VAF bounded below min_vaf (see
    ``counts.vaf_bounded``) they keep the scan's AD (INFO/PILEUP). Recounting every allele
    with an alt read instead (both shortcuts off) gives the same records where both write one,
    no other allele with min_alt_reads alt reads, the same PASS set, and no recount finds more
    alt reads than the pileup (the bound the shortcut rests on)."""
    fasta, gtf, dbsnp = (tiny_data / f for f in ("genome.fa", "genes.gtf", "dbsnp.vcf.gz"))
    skipped = unwritten = 0
    for s in samples(tiny_data)[:3]:
        bam = called.parent / "align" / s / f"{s}.bam"
        every_one = CallParams(min_alt_reads=0, min_vaf=0)
        full = call_bam(s, bam, fasta, bundle_of(gtf), tmp_path / s, params=every_one)
        short, every = records(called / f"{s}.calls.vcf.gz"), records(full)
        assert short.keys() <= every.keys()
        for key in every.keys() - short.keys():
            unwritten += 1
            assert len(key[2]) == len(key[3]), key
            assert every[key].samples[0]["AD"][1] < CallParams().min_alt_reads, key
        for key, rec in short.items():
            if "PILEUP" in rec.info:
                skipped += 1
                assert len(key[2]) == len(key[3])
                assert every[key].samples[0]["AD"][1] <= rec.samples[0]["AD"][1], key
            else:
                assert every[key].samples[0]["AD"] == rec.samples[0]["AD"], key
        _, passed = filter_calls(s, full, dbsnp, fasta, tmp_path / s / "filter")
        assert records(passed).keys() == records(called / f"{s}.pass.vcf.gz").keys()
    assert skipped >= 1 and unwritten >= 30  # both shortcuts were taken


def test_scan_counts_as_the_pileup_does(called: Path, tiny_data: Path, tmp_path: Path) -> None:
    """The scan with ``samtools depth`` (``variants.scan``) finds every SNV the pileup
    (``bcftools mpileup`` with the caller's read and base settings) sees with >= 3 alt reads,
    and no other, with the pileup's AD and DP; and every indel the pileup finds is at one of
    its anchors (so the pileup run only there finds it too)."""
    fasta = tiny_data / "genome.fa"
    compared = 0
    for s in samples(tiny_data)[:3]:
        bam = called.parent / "align" / s / f"{s}.bam"
        raw = tmp_path / f"{s}.vcf"
        pysam.bcftools.mpileup(
            "-f",
            str(fasta),
            "-a",
            "FORMAT/AD,FORMAT/DP",
            "-q",
            "20",
            "-Q",
            "20",
            "-B",
            "-A",
            "-x",
            "--ff",
            "UNMAP,SECONDARY,QCFAIL,DUP",
            "-d",
            "1000000",
            "-m",
            "2",
            "-F",
            "0.01",
            "-o",
            str(raw),
            str(bam),
            catch_stdout=False,
        )
        pileup, indel_sites = {}, set()
        with pysam.VariantFile(str(raw)) as vf:
            for r in vf:
                ad, dp = r.samples[0]["AD"], r.samples[0]["DP"]
                if "INDEL" in r.info:
                    indel_sites.add((r.chrom, r.pos - 1))
                    continue
                for alt, n in zip(r.alts, ad[1:], strict=True):
                    if alt != "<*>" and n >= 3:
                        pileup[r.chrom, r.pos, r.ref, alt] = ((ad[0], n), dp)
        found = {}
        with pysam.AlignmentFile(str(bam)) as af, pysam.FastaFile(str(fasta)) as genome:
            scans = {
                c: scan_contig(af, genome, c, [(0, n)], 3)
                for c, n in zip(af.references, af.lengths, strict=True)
            }
        for c, cands in scans.items():
            depth = site_depths(str(bam), c, cands, str(tmp_path / s))
            for pos, ref, alt, n, mismatching in cands.snvs:
                found[c, pos + 1, ref, alt] = ((depth[pos] - mismatching, n), depth[pos])
        anchors = {(c, a) for c, cands in scans.items() for a in cands.anchors}
        assert indel_sites <= anchors
        assert found == pileup
        compared += len(found)
    assert compared >= 30
