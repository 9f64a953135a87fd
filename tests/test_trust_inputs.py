"""Issue 14: inputs that used to give silent wrong results or late failures are caught by
``validate``, before any alignment, with one line naming the file and the problem."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pysam
import pytest

from tkiseq.cli import main
from tkiseq.errors import InputError
from tkiseq.inputs import validate_inputs
from tkiseq.inputs.reads import estimate_output_bytes, read_files
from tkiseq.inputs.references import References
from tkiseq.inputs.samplesheet import load_samplesheet_lines
from tkiseq.pipeline_info import warnings_in

HEADER = "sample,fastq_1,fastq_2,strandedness"


def fastq(path: Path, name: str, n: int = 3, compress: bool = True) -> Path:
    """``n`` records whose bases come from ``name``, so different files differ; the read names
    are the same in every file, so mates agree."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bases = "".join("ACGT"[b % 4] for b in hashlib.sha256(name.encode()).digest()[:12])
    text = "".join(f"@r{i}\n{bases}\n+\n{'I' * 12}\n" for i in range(n)).encode()
    path.write_bytes(gzip.compress(text, mtime=0) if compress else text)
    return path


@pytest.fixture
def cohort(tmp_path: Path) -> dict[str, Path]:
    """Three paired-end samples, their phenotypes and an output folder."""
    data = tmp_path / "data"
    rows = []
    for s in ("S1", "S2", "S3"):
        for mate in (1, 2):
            fastq(data / "fastq" / f"{s}_R{mate}.fastq.gz", f"{s}_{mate}")
        rows.append(f"{s},fastq/{s}_R1.fastq.gz,fastq/{s}_R2.fastq.gz,auto")
    sheet = data / "samplesheet.csv"
    sheet.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    pheno = data / "phenotypes.csv"
    pheno.write_text("sample,auc_imatinib\nS1,80\nS2,100\nS3,120\n")
    return {"data": data, "sheet": sheet, "pheno": pheno, "out": tmp_path / "out"}


def set_row(sheet: Path, line: int, text: str) -> None:
    lines = sheet.read_text().splitlines()
    lines[line - 1] = text
    sheet.write_text("\n".join(lines) + "\n")


def refused(c: dict[str, Path], **kwargs: object) -> str:
    with pytest.raises(InputError) as caught:
        validate_inputs(c["sheet"], c["pheno"], None, c["out"], **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    assert not c["out"].exists()
    return message


# --- silent case 2: the same reads for two samples ---------------------------------------


def test_same_fastq_path_for_two_samples_is_refused(cohort: dict[str, Path]) -> None:
    set_row(cohort["sheet"], 4, "S3,fastq/S1_R1.fastq.gz,fastq/S1_R2.fastq.gz,auto")
    message = refused(cohort)
    assert message == (
        f"{cohort['sheet']}: line 4, column 'fastq_1': found the same reads as sample S1"
        " (line 2, column 'fastq_1') (the same file); expected each sample's own reads"
        " (if this is deliberate, pass --allow-same-reads)"
    )


def test_copied_fastq_and_linked_fastq_are_refused(cohort: dict[str, Path]) -> None:
    fq = cohort["data"] / "fastq"
    shutil.copy(fq / "S2_R2.fastq.gz", fq / "copy.fastq.gz")
    set_row(cohort["sheet"], 4, "S3,fastq/S3_R1.fastq.gz,fastq/copy.fastq.gz,auto")
    assert "found the same reads as sample S2 (line 3, column 'fastq_2') (a copy: same size" in (
        refused(cohort)
    )
    (fq / "link.fastq.gz").symlink_to(fq / "S1_R1.fastq.gz")
    set_row(cohort["sheet"], 4, "S3,fastq/link.fastq.gz,fastq/S3_R2.fastq.gz,auto")
    assert "sample S1 (line 2, column 'fastq_1') (the same file)" in refused(cohort)


def test_same_file_as_both_mates_is_refused(cohort: dict[str, Path]) -> None:
    set_row(cohort["sheet"], 2, "S1,fastq/S1_R1.fastq.gz,fastq/S1_R1.fastq.gz,auto")
    assert "line 2, column 'fastq_2': found the same reads as sample S1 (line 2" in refused(cohort)


def test_same_reads_accepted_when_deliberate(cohort: dict[str, Path]) -> None:
    set_row(cohort["sheet"], 4, "S3,fastq/S1_R1.fastq.gz,fastq/S1_R2.fastq.gz,auto")
    result = validate_inputs(
        cohort["sheet"], cohort["pheno"], None, cohort["out"], allow_same_reads=True
    )
    assert result.samples[2].fastq_1 == result.samples[0].fastq_1


def test_distinct_files_of_equal_size_pass(cohort: dict[str, Path]) -> None:
    sizes = {p.stat().st_size for p in (cohort["data"] / "fastq").iterdir()}
    assert len(sizes) < 6  # some files share a size: their checksums are compared
    assert len(validate_inputs(cohort["sheet"], cohort["pheno"], None, cohort["out"]).samples)


# --- silent case 1: a paired cohort with one fastq_2 left empty -----------------------------


def run_validate(c: dict[str, Path], *extra: str) -> int:
    argv = ["validate", "--input", str(c["sheet"]), "--phenotypes", str(c["pheno"])]
    return main([*argv, *extra, "--outdir", str(c["out"])])


def test_forgotten_fastq_2_warns_in_one_recognisable_line(
    cohort: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    set_row(cohort["sheet"], 3, "S2,fastq/S2_R1.fastq.gz,,auto")
    assert run_validate(cohort) == 0
    expected = (
        f"{cohort['sheet']}: line 3: sample S2 is single-end (fastq_2 empty) while 2 other"
        " sample(s) are paired-end; its fusions get no spanning-pair support;"
        " S2_R2.fastq.gz exists beside fastq_1: was it forgotten?"
    )
    err = capsys.readouterr().err
    assert err == f"tkiseq: warning: {expected}\n"
    assert warnings_in(f"$ tkiseq validate ...\n{err}") == [expected]  # what the runner reads


def test_minority_paired_sample_is_named(
    cohort: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    set_row(cohort["sheet"], 3, "S2,fastq/S2_R1.fastq.gz,,auto")
    set_row(cohort["sheet"], 4, "S3,fastq/S3_R1.fastq.gz,,auto")
    assert run_validate(cohort) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "line 2: sample S1 is paired-end while 2 other" in err[0]


def test_one_layout_gives_no_warning(
    cohort: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_validate(cohort) == 0
    assert capsys.readouterr().err == ""


def test_sample_without_phenotypes_reaches_the_console(
    cohort: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cohort["pheno"].write_text("sample,auc_imatinib\nS1,80\nS2,100\n")
    assert run_validate(cohort) == 0
    err = capsys.readouterr().err
    assert err == (
        f"tkiseq: warning: {cohort['pheno']}: no row for 1 samplesheet sample(s): S3; they are"
        " left out of differential expression and response analyses\n"
        "tkiseq: warning: differential expression and GSEA of auc_imatinib skipped: 2 sample(s)"
        " with a value, at least 3 needed\n"
    )


# --- uncompressed FASTQ --------------------------------------------------------------------


def test_plain_fastq_accepted(cohort: dict[str, Path]) -> None:
    fq = cohort["data"] / "fastq"
    fastq(fq / "S3_R1.fastq", "S3p_1", compress=False)
    fastq(fq / "S3_R2.fq", "S3p_2", compress=False)
    set_row(cohort["sheet"], 4, "S3,fastq/S3_R1.fastq,fastq/S3_R2.fq,auto")
    samples = validate_inputs(cohort["sheet"], cohort["pheno"], None, cohort["out"]).samples
    assert samples[2].fastq_2 == fq / "S3_R2.fq"


def test_other_suffix_still_refused(cohort: dict[str, Path]) -> None:
    set_row(cohort["sheet"], 4, "S3,fastq/S3_R1.txt,,auto")
    assert "expected a FASTQ path without spaces ending in '.fastq.gz', '.fq.gz', '.fastq'" in (
        refused(cohort)
    )


# --- free space ----------------------------------------------------------------------------


def test_estimate_counts_kept_bams_and_the_largest_sample_temporaries(
    cohort: dict[str, Path],
) -> None:
    fq = cohort["data"] / "fastq"
    fastq(fq / "S3_R1.fastq", "S3p_1", n=40, compress=False)
    set_row(cohort["sheet"], 4, "S3,fastq/S3_R1.fastq,,auto")
    samples, lines = load_samplesheet_lines(cohort["sheet"])
    sizes = {s: sum(p.stat().st_size for p in fq.glob(f"{s}_R*.fastq.gz")) for s in ("S1", "S2")}
    sizes["S3"] = (fq / "S3_R1.fastq").stat().st_size / 4
    expected = int(sum(sizes.values()) + 1.5 * max(sizes.values()))
    assert estimate_output_bytes(read_files(samples, lines)) == expected


def test_too_little_free_space_is_refused_before_writing(
    cohort: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = shutil.disk_usage(cohort["data"])
    monkeypatch.setattr("tkiseq.inputs.reads.shutil.disk_usage", lambda _: usage._replace(free=100))
    message = refused(cohort)
    assert message.startswith(f"{cohort['out'].parent}: only 100 B free; the outputs need about")
    assert message.endswith("(free space or choose another --outdir)")


# --- references and indexes, before any alignment -----------------------------------------


@pytest.fixture
def refs(tmp_path: Path) -> References:
    folder = tmp_path / "ref"
    folder.mkdir()
    fasta = folder / "genome.fa"
    fasta.write_text(">chr1\n" + "ACGT" * 50 + "\n")
    gtf = folder / "genes.gtf"
    gtf.write_text(
        'chr1\tT\texon\t10\t60\t.\t+\t.\tgene_id "G"; transcript_id "T"; gene_name "A";\n'
    )
    vcf = folder / "dbsnp.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=200>\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t5\trs1\tA\tG\t.\t.\t.\n"
    )
    dbsnp = Path(pysam.tabix_index(str(vcf), preset="vcf"))
    gmt = folder / "sets.gmt"
    gmt.write_text("SET\tdescription\tA\tB\n")
    return References(fasta=fasta, gtf=gtf, dbsnp=dbsnp, gene_sets=(gmt,))


def test_references_pass_and_fai_is_made(cohort: dict[str, Path], refs: References) -> None:
    assert refs.fasta is not None
    assert not Path(f"{refs.fasta}.fai").exists()
    validate_inputs(cohort["sheet"], cohort["pheno"], None, cohort["out"], references=refs)
    assert Path(f"{refs.fasta}.fai").read_text().startswith("chr1\t200\t")


def test_missing_dbsnp_index_reported_at_validation(
    cohort: dict[str, Path], refs: References
) -> None:
    Path(f"{refs.dbsnp}.tbi").unlink()
    assert refused(cohort, references=refs) == (
        f"{refs.dbsnp}: no tabix index beside it (run `tabix -p vcf {refs.dbsnp}`)"
    )


@pytest.mark.parametrize(
    ("which", "text", "expected"),
    [
        ("fasta", "chr1\nACGT\n", "line 1: starts with b'c'; expected '>' (FASTA header)"),
        ("gene_sets", "SET only\n", "line 1: expected name, description and genes"),
    ],
)
def test_bad_reference_reported_at_validation(
    cohort: dict[str, Path], refs: References, which: str, text: str, expected: str
) -> None:
    target = refs.gene_sets[0] if which == "gene_sets" else getattr(refs, which)
    target.write_text(text)
    assert refused(cohort, references=refs).startswith(f"{target}: {expected}")


def test_bad_gtf_is_reported_by_prepare_not_validate(
    cohort: dict[str, Path], refs: References, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate only checks the GTF exists (reading it is prepare's job, the run's first
    task after validate), and prepare names the bad row."""
    assert refs.gtf is not None and refs.fasta is not None
    refs.gtf.write_text("chr1\tT\texon\t10\n")
    validate_inputs(cohort["sheet"], cohort["pheno"], None, cohort["out"], references=refs)
    args = ["prepare", "--gtf", str(refs.gtf), "--fasta", str(refs.fasta)]
    assert main([*args, "--outdir", str(cohort["out"] / "ref")]) == 2
    expected = f"{refs.gtf}: line 1: found 4 tab-separated fields; expected 9 (GTF)"
    assert capsys.readouterr().err.strip() == f"tkiseq: error: {expected}"


def test_missing_reference_names_its_option(cohort: dict[str, Path], refs: References) -> None:
    assert refs.gtf is not None
    refs.gtf.unlink()
    assert refused(cohort, references=refs) == f"{refs.gtf}: file not found (given as --gtf)"


def test_unreadable_bam_row_reported_at_validation(cohort: dict[str, Path]) -> None:
    (cohort["data"] / "S4.bam").write_bytes(b"not a bam")
    sheet = cohort["sheet"]
    sheet.write_text(sheet.read_text().replace(HEADER, f"{HEADER},bam").replace("auto", "auto,"))
    with sheet.open("a") as fh:
        fh.write("S4,,,auto,S4.bam\n")
    cohort["pheno"].write_text(cohort["pheno"].read_text() + "S4,90\n")
    message = refused(cohort)
    assert message.startswith(f"{sheet}: line 5, column 'bam': {cohort['data'] / 'S4.bam'} is")
    assert "not a readable BAM" in message


# --- the run checks references before anything is written --------------------------------


def test_run_reports_a_missing_dbsnp_index_before_any_work(
    cohort: dict[str, Path], refs: References, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refs.dbsnp is not None and refs.fasta is not None and refs.gtf is not None
    Path(f"{refs.dbsnp}.tbi").unlink()
    argv = ["run", "--input", str(cohort["sheet"]), "--phenotypes", str(cohort["pheno"])]
    argv += ["--fasta", str(refs.fasta), "--gtf", str(refs.gtf), "--dbsnp", str(refs.dbsnp)]
    assert main([*argv, "--outdir", str(cohort["out"])]) == 2
    assert capsys.readouterr().err == (
        f"tkiseq: error: {refs.dbsnp}: no tabix index beside it (run `tabix -p vcf {refs.dbsnp}`)\n"
    )
    assert not cohort["out"].exists()  # nothing written, nothing aligned


@pytest.mark.parametrize(
    "flag", ["--subtype-reference", "--karyotype-reference", "--subtype-centroids"]
)
def test_run_reports_a_missing_subtypes_reference_before_any_work(
    cohort: dict[str, Path], refs: References, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    assert refs.dbsnp is not None and refs.fasta is not None and refs.gtf is not None
    missing = cohort["data"] / "ref.h5ad"
    argv = ["run", "--input", str(cohort["sheet"]), "--phenotypes", str(cohort["pheno"])]
    argv += ["--fasta", str(refs.fasta), "--gtf", str(refs.gtf), "--dbsnp", str(refs.dbsnp)]
    assert main([*argv, flag, str(missing), "--outdir", str(cohort["out"])]) == 2
    assert capsys.readouterr().err == (
        f"tkiseq: error: {missing}: file not found (given as {flag})\n"
    )
    assert not cohort["out"].exists()


@pytest.mark.parametrize("threads", ["0", "-2"])
def test_threads_below_one_is_a_clear_error(
    cohort: dict[str, Path], capsys: pytest.CaptureFixture[str], threads: str
) -> None:
    argv = ["run", "--input", str(cohort["sheet"]), "--phenotypes", str(cohort["pheno"])]
    argv += ["--fasta", "g.fa", "--gtf", "g.gtf", "--dbsnp", "d.vcf.gz", "--outdir", "o"]
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--threads", threads])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"tkiseq run: error: argument --threads: found {threads}; expected 1 or more"
    )
