"""The annotation bundle (``tkiseq prepare``): the GTF parsed once, read by every stage.

Values are checked against a hand-written GTF whose genes, exon numbers, introns and CDS
phases are known; the readers against the GTF semantics the stages had before (gene rows win,
exon spans stand in, exons numbered 5' to 3'); and the rule that no stage but ``prepare`` and
the STAR index parses the GTF.
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import tiny_config
from tkiseq.cli import main
from tkiseq.errors import InputError
from tkiseq.fusions.annotation import read_annotation
from tkiseq.genome.bundle import (
    FORMAT_VERSION,
    Bundle,
    build_bundle,
    matches,
    prepare,
    read_genes,
)
from tkiseq.runner import Plan
from tkiseq.stages import STAGES
from tkiseq.variants.transcripts import TranscriptIndex, read_transcripts

REPO = Path(__file__).resolve().parents[1]

GTF = (
    "#!genome-build test\n"
    'chr1\tHAVANA\tgene\t100\t900\t.\t+\t.\tgene_id "G1.1"; gene_type "protein_coding"; '
    'gene_name "ABL1";\n'
    'chr1\tHAVANA\ttranscript\t100\t900\t.\t+\t.\tgene_id "G1.1"; transcript_id "T1"; '
    'gene_name "ABL1"; transcript_name "ABL1-201"; transcript_type "protein_coding"; '
    'tag "basic"; tag "MANE_Select";\n'
    'chr1\tHAVANA\texon\t100\t200\t.\t+\t.\tgene_id "G1.1"; transcript_id "T1"; '
    'gene_name "ABL1"; tag "basic"; tag "MANE_Select";\n'
    'chr1\tHAVANA\tCDS\t150\t200\t.\t+\t0\tgene_id "G1.1"; transcript_id "T1"; '
    'gene_name "ABL1";\n'
    'chr1\tHAVANA\texon\t301\t400\t.\t+\t.\tgene_id "G1.1"; transcript_id "T1"; '
    'gene_name "ABL1";\n'
    'chr1\tHAVANA\tCDS\t301\t360\t.\t+\t2\tgene_id "G1.1"; transcript_id "T1"; '
    'gene_name "ABL1";\n'
    'chr1\tHAVANA\tstop_codon\t361\t363\t.\t+\t0\tgene_id "G1.1"; transcript_id "T1"; '
    'gene_name "ABL1";\n'
    'chr1\tHAVANA\texon\t801\t900\t.\t+\t.\tgene_id "G1.1"; transcript_id "T1"; '
    'gene_name "ABL1";\n'
    'chrM\tENSEMBL\texon\t5\t50\t.\t-\t.\tgene_id "G2"; transcript_id "T2"; '
    'gene_biotype "Mt_rRNA";\n'
    'chrM\tENSEMBL\texon\t60\t90\t.\t-\t.\tgene_id "G2"; transcript_id "T2"; '
    'gene_biotype "Mt_rRNA";\n'
)


def write(path: Path, text: str = GTF) -> Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture
def fasta(tmp_path: Path) -> Path:
    """Contigs named as Ensembl names them: 1 and MT."""
    path = tmp_path / "genome.fa"
    path.write_text(">1\n" + "A" * 1000 + "\n>MT\n" + "C" * 100 + "\n")
    return path


@pytest.fixture
def bundle(tmp_path: Path, fasta: Path) -> Path:
    return prepare(write(tmp_path / "genes.gtf.gz"), fasta, tmp_path / "ref")


def test_genes_gene_rows_and_exon_fallback(bundle: Path) -> None:
    genes = read_genes(bundle)
    assert genes.loc["G1.1", "gene_name"] == "ABL1"
    assert (genes.loc["G1.1", "start"], genes.loc["G1.1", "end"]) == (100, 900)
    # G2 has only exon rows and no gene_name: the exons' span and its ID stand in.
    assert genes.loc["G2", "gene_name"] == "G2"
    assert genes.loc["G2", "gene_type"] == "Mt_rRNA"
    assert (genes.loc["G2", "start"], genes.loc["G2", "end"], genes.loc["G2", "strand"]) == (
        5,
        90,
        "-",
    )


def test_tables_hold_exon_numbers_introns_cds_phases_and_tags(bundle: Path) -> None:
    b = Bundle(bundle)
    tx = b.transcripts.set_index("transcript_id")
    assert tx.loc["T1", "canonical_rank"] == 3 and tx.loc["T2", "canonical_rank"] == 0
    assert (
        tx.loc["T1", "tags"] == "MANE_Select,basic"
        and tx.loc["T1", "transcript_name"] == "ABL1-201"
    )
    assert (tx.loc["T1", "start"], tx.loc["T1", "end"]) == (100, 900)
    exons = b.exons
    t2 = exons[exons["transcript"] == 1]
    # minus strand: the 3'-most exon in genome order is exon 1
    assert list(zip(t2["start"], t2["exon_number"], strict=True)) == [(5, 2), (60, 1)]
    introns = b.introns[b.introns["transcript"] == 0]
    assert list(zip(introns["start"], introns["end"], strict=True)) == [(201, 300), (401, 800)]
    cds = b.cds
    assert list(cds["phase"]) == [0, 2, 0] and list(cds["stop_codon"]) == [False, False, True]
    assert b.contig_map() == {"chr1": "1", "chrM": "MT"}
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["rows"] == {"genes": 2, "transcripts": 2, "exons": 5, "cds": 3, "introns": 3}
    assert manifest["format_version"] == FORMAT_VERSION


def test_models_built_from_the_bundle(bundle: Path) -> None:
    """The fusion model numbers exons 5' to 3' and keeps CDS without the stop codon; the
    variant model adds the stop codon (it ends the reading frame)."""
    ann = read_annotation(bundle)
    assert ann.transcripts["T2"].exons == [(60, 90, 1), (5, 50, 2)]
    assert ann.transcripts["T1"].cds == [(150, 200), (301, 360)]
    assert ann.canonical("G1.1").transcript_id == "T1"
    assert [s.exon for s in ann.donors[("chr1", "+", 200)]] == [1]
    (t1,) = [t for t in read_transcripts(bundle) if t.transcript_id == "T1"]
    assert t1.cds == [(150, 200), (301, 363)] and t1.refseq == "" and t1.gene_name == "ABL1"
    index = TranscriptIndex.from_bundle(bundle)
    assert [t.transcript_id for t in index.overlapping("chr1", 350, 350)] == ["T1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GTF.replace("\t100\t900\t", "\tone\t900\t", 1),
            r"line 2, column 4 \(start\): found 'one'",
        ),
        ("chr1\tx\texon\t1\t2\n", r"line 1: found 5 tab-separated fields; expected 9"),
        (GTF.replace('gene_id "G2"; ', "", 1), r"line 10, column 9 \(attributes\): no gene_id"),
        ("#only comments\n", "no gene or exon rows"),
    ],
)
def test_bad_gtf_is_one_line_naming_line_and_column_and_writes_nothing(
    tmp_path: Path, fasta: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    gtf = write(tmp_path / "bad.gtf", text)
    args = ["prepare", "--gtf", str(gtf), "--fasta", str(fasta), "--outdir", str(tmp_path / "r")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(gtf) in err
    assert re.search(message, err), err
    assert not (tmp_path / "r" / "annotation").exists()


def test_truncated_gtf_is_reported(tmp_path: Path, fasta: Path) -> None:
    path = write(tmp_path / "genes.gtf.gz", GTF * 200)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(InputError, match="unreadable"):
        prepare(path, fasta, tmp_path / "ref")


def test_other_format_version_is_refused_in_one_line(
    bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    sj = bundle.parent / "S.SJ.out.tab"
    sj.write_text("")
    args = ["splice-lesions", "--sample", "S", "--sj", str(sj), "--annotation", str(bundle)]
    assert main([*args, "--outdir", str(bundle.parent / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(bundle) in err and f"version {FORMAT_VERSION + 1}" in err
    with pytest.raises(InputError, match="not an annotation bundle"):
        read_genes(bundle.parent)


def test_prepare_refuses_to_replace_a_folder_that_is_not_a_bundle(
    tmp_path: Path, fasta: Path
) -> None:
    mine = tmp_path / "ref" / "annotation"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a tkiseq annotation bundle; not replaced"):
        prepare(write(tmp_path / "genes.gtf"), fasta, tmp_path / "ref")
    assert (mine / "notes.txt").read_text() == "keep me"


def test_matches_follows_the_content_of_gtf_and_fasta(
    bundle: Path, tmp_path: Path, fasta: Path
) -> None:
    gtf = tmp_path / "genes.gtf.gz"
    assert matches(bundle, gtf, fasta)
    write(gtf, GTF + GTF.splitlines(keepends=True)[-1].replace('"T2"', '"T3"'))
    assert not matches(bundle, gtf, fasta)
    prepare(gtf, fasta, bundle.parent)
    assert matches(bundle, gtf, fasta) and len(Bundle(bundle).transcripts) == 3


# -- no stage parses the GTF ---------------------------------------------------------------------
ALLOWED = {"tkiseq/genome/bundle.py", "tkiseq/align/star.py", "tkiseq/genome/gtf.py"}


def test_only_prepare_and_the_star_index_parse_the_gtf() -> None:
    """Every module that reads GTF records (genome.gtf.iter_records or its attribute parsers)
    is the bundle writer or the STAR index builder; any other is a stage parsing the GTF."""
    parsers = {"iter_records", "TranscriptAttributes", "parse_attributes", "parse_tags"}
    found = set()
    for path in (REPO / "python" / "tkiseq").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "tkiseq.genome.gtf"
                and parsers & {alias.name for alias in node.names}
            ):
                found.add(str(path.relative_to(REPO / "python")))
    assert found <= ALLOWED, found - ALLOWED
    assert "tkiseq/genome/bundle.py" in found


@pytest.mark.slow
def test_stages_read_the_bundle_with_the_gtf_gone(
    tiny_data: Path, tiny_run: Path, tmp_path: Path
) -> None:
    """Every stage that took the GTF, rerun from the tiny run's files with the GTF moved away
    after prepare: each runs, and writes the tables the run wrote."""
    moved = tmp_path / "moved.gtf"  # does not exist
    cfg = tiny_config(tiny_data, tiny_run, gtf=moved)
    plan = Plan(cfg, tiny_run, [])
    with (tiny_run / "pipeline_info" / "inputs" / "samplesheet.valid.csv").open() as fh:
        plan.rows = list(csv.DictReader(fh))  # the cohort stages read every sample's files
    readers = [s for s in STAGES if any(o.flag == "--annotation" for o in s.options)]
    assert {s.name for s in readers} == {
        "variants_call",
        "fusions",
        "variants_annotate",
        "splice_lesions",
        "counts",
        "subtypes",
    }
    cohort = {t.stage: t for t in plan.cohort_tasks([])}
    for stage in readers:
        task = (
            plan.task(stage, "BA_P01", threads=1) if stage.scope == "sample" else cohort[stage.name]
        )
        assert str(moved) not in task.args and "--gtf" not in task.args
        out = tmp_path / stage.name
        args = [*task.args[: task.args.index("--outdir")], "--outdir", str(out)]
        subprocess.run([sys.executable, "-m", "tkiseq", *args], check=True, capture_output=True)
        for made in task.outputs:
            if made.suffix == ".tsv":
                assert (out / made.name).read_text() == made.read_text(), made.name


@pytest.mark.parametrize(
    ("rows", "transcripts"),
    [
        ('chr1\tX\tgene\t10\t100\t.\t+\t.\tgene_id "G1"; gene_name "A";\n', 0),
        ('chr1\tX\texon\t10\t100\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "A";\n', 1),
    ],
    ids=["genes only", "non-coding only"],
)
def test_every_model_reads_an_annotation_without_transcripts_or_cds(
    tmp_path: Path, rows: str, transcripts: int
) -> None:
    bundle = build_bundle(write(tmp_path / "g.gtf", rows), None, tmp_path / "annotation")
    ann = read_annotation(bundle)
    assert ann.genes_at("chr1", 50, "+") == ("G1",) and len(ann.transcripts) == transcripts
    assert (("chr1", "+", 100) in ann.donors) == bool(transcripts)
    assert len(read_transcripts(bundle)) == transcripts
    index = TranscriptIndex.from_bundle(bundle)
    assert [t.transcript_id for t in index.overlapping("chr1", 50, 50)] == ["T1"][:transcripts]
    assert read_genes(bundle).loc["G1", "end"] == 100
