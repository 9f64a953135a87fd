"""Input validation: good tables round-trip; each bad table gives one line and no output."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from pathlib import Path

import pysam
import pytest
from jsonschema import Draft202012Validator

from tkiseq.cli import main
from tkiseq.errors import InputError
from tkiseq.inputs import load_samplesheet, validate_inputs

HEADER = "sample,fastq_1,fastq_2,strandedness"
SCHEMAS = ("schema_input.json", "schema_phenotypes.json", "schema_cnv.json")
ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_fastq(path: Path) -> Path:
    """A one-record gzipped FASTQ whose bases come from the file name (each file distinct) and
    whose read name is the same in every file (mates agree)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bases = "".join("ACGT"[b % 4] for b in hashlib.sha256(path.name.encode()).digest()[:12])
    path.write_bytes(gzip.compress(f"@r1\n{bases}\n+\n{'I' * 12}\n".encode()))
    return path


def write_bam(path: Path) -> Path:
    header = {"HD": {"VN": "1.6", "SO": "unsorted"}, "SQ": [{"SN": "chr1", "LN": 1000}]}
    with pysam.AlignmentFile(str(path), "wb", header=header):
        pass
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """A valid cohort of two samples (one paired-end, one single-end) under tmp_path/in."""
    folder = tmp_path / "in"
    for name in ("P01_R1.fastq.gz", "P01_R2.fastq.gz", "P02_R1.fq.gz"):
        write_fastq(folder / "fastq" / name)
    return {
        "samplesheet": write(
            folder / "samplesheet.csv",
            f"{HEADER}\n"
            "P01,fastq/P01_R1.fastq.gz,fastq/P01_R2.fastq.gz,reverse\n"
            "P02,fastq/P02_R1.fq.gz,,auto\n",
        ),
        "phenotypes": write(
            folder / "phenotypes.csv",
            "sample,auc_imatinib,relapse,source,followup_days,centre\n"
            "P01,12.5,yes,pdx,300,Kiel\n"
            "P02,NA,,Primary,,\n",
        ),
        "cnv": write(folder / "cnv.csv", "sample,gene,status\nP01,IKZF1,DEL\nP02,IKZF1,NA\n"),
        "outdir": tmp_path / "out",
    }


def validate(inputs: dict[str, Path]):
    return validate_inputs(
        inputs["samplesheet"], inputs["phenotypes"], inputs["cnv"], inputs["outdir"]
    )


def error_of(inputs: dict[str, Path]) -> str:
    """The InputError message, after checking that it is one line and nothing was written."""
    with pytest.raises(InputError) as caught:
        validate(inputs)
    message = str(caught.value)
    assert "\n" not in message
    outdir = inputs["outdir"]
    assert not outdir.exists() or not any(outdir.iterdir())
    return message


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", SCHEMAS)
def test_schemas_are_valid_and_linked_from_assets(name: str) -> None:
    schema = json.loads((ROOT / "assets" / name).read_text())
    Draft202012Validator.check_schema(schema)
    assert (ROOT / "assets" / name).resolve() == ROOT / "python" / "tkiseq" / "data" / name


def test_valid_inputs_round_trip_with_absolute_paths(inputs: dict[str, Path]) -> None:
    cohort = validate(inputs)
    fastq = inputs["samplesheet"].parent / "fastq"
    rows = read_csv(inputs["outdir"] / "samplesheet.valid.csv")
    assert list(rows[0]) == [
        "sample",
        "fastq_1",
        "fastq_2",
        "strandedness",
        "bam",
        "vcf",
    ]
    assert rows[0]["fastq_1"] == str(fastq / "P01_R1.fastq.gz")
    assert rows[0]["fastq_2"] == str(fastq / "P01_R2.fastq.gz")
    assert rows[1]["fastq_2"] == rows[1]["bam"] == ""
    assert load_samplesheet(inputs["outdir"] / "samplesheet.valid.csv") == cohort.samples

    pheno = cohort.phenotypes
    assert list(pheno.columns) == [
        "sample",
        "auc_imatinib",
        "relapse",
        "source",
        "followup_days",
        "centre",
    ]
    assert pheno["auc_imatinib"].tolist()[0] == 12.5 and pheno["auc_imatinib"].isna().tolist()[1]
    assert pheno["source"].tolist() == ["PDX", "primary"]
    assert str(pheno["followup_days"].dtype) == "Int64"
    written = read_csv(inputs["outdir"] / "phenotypes.valid.csv")
    assert written[0]["auc_imatinib"] == "12.5" and written[1]["auc_imatinib"] == ""
    assert read_csv(inputs["outdir"] / "cnv.valid.csv")[1]["status"] == "NA"


def test_relative_paths_resolve_against_the_csv_folder(
    inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    samples = load_samplesheet(inputs["samplesheet"])
    assert samples[1].fastq_1 == inputs["samplesheet"].parent / "fastq" / "P02_R1.fq.gz"
    assert samples[1].fastq_1.is_absolute() and samples[1].fastq_2 is None


def test_bam_entry_point(inputs: dict[str, Path]) -> None:
    folder = inputs["samplesheet"].parent
    write_bam(folder / "P03.bam")
    write(inputs["samplesheet"], f"{HEADER},bam\nP03,,,auto,P03.bam\n")
    write(inputs["phenotypes"], "sample\nP03\n")
    inputs["cnv"] = None
    (sample,) = validate(inputs).samples
    assert sample.bam == folder / "P03.bam" and sample.fastq_1 is None
    assert not (inputs["outdir"] / "cnv.valid.csv").exists()


def test_missing_column(inputs: dict[str, Path]) -> None:
    write(inputs["samplesheet"], "sample,fastq_1,strandedness\nP01,fastq/P01_R1.fastq.gz,auto\n")
    message = error_of(inputs)
    assert message.startswith(f"{inputs['samplesheet']}: line 1: ")
    assert "missing: fastq_2" in message and "'sample,fastq_1,strandedness'" in message


def test_duplicate_sample_names_both_lines(inputs: dict[str, Path]) -> None:
    write(
        inputs["samplesheet"],
        f"{HEADER}\nP01,fastq/P01_R1.fastq.gz,,auto\nP01,fastq/P02_R1.fq.gz,,auto\n",
    )
    message = error_of(inputs)
    assert "line 3" in message and "first on line 2" in message and "'P01'" in message


def test_bad_sample_name(inputs: dict[str, Path]) -> None:
    write(inputs["samplesheet"], f"{HEADER}\nP01,fastq/P01_R1.fastq.gz,,auto\nBA P01,,,auto\n")
    assert error_of(inputs) == (
        f"{inputs['samplesheet']}: line 3, column 'sample': found 'BA P01';"
        " expected letters, digits, '.', '_' or '-' only"
    )


def test_bad_strandedness(inputs: dict[str, Path]) -> None:
    write(inputs["samplesheet"], f"{HEADER}\nP01,fastq/P01_R1.fastq.gz,,stranded\n")
    message = error_of(inputs)
    assert "line 2, column 'strandedness': found 'stranded'" in message
    assert "auto, unstranded, forward, reverse" in message


def test_missing_fastq_file(inputs: dict[str, Path]) -> None:
    write(
        inputs["samplesheet"], f"{HEADER}\nP01,fastq/P01_R1.fastq.gz,fastq/P01_R3.fastq.gz,auto\n"
    )
    message = error_of(inputs)
    resolved = inputs["samplesheet"].parent / "fastq" / "P01_R3.fastq.gz"
    assert "line 2, column 'fastq_2'" in message and str(resolved) in message


def test_row_without_reads(inputs: dict[str, Path]) -> None:
    write(inputs["samplesheet"], f"{HEADER}\nP01,,,auto\n")
    message = error_of(inputs)
    assert "line 2: found fastq_1 empty" in message and "or bam" in message


def test_non_numeric_auc(inputs: dict[str, Path]) -> None:
    write(inputs["phenotypes"], "sample,auc_imatinib\nP01,1.5\nP02,high\n")
    message = error_of(inputs)
    assert message.startswith(
        f"{inputs['phenotypes']}: line 3, column 'auc_imatinib': found 'high'"
    )
    assert "a number >= 0" in message


def test_phenotype_sample_not_in_samplesheet(inputs: dict[str, Path]) -> None:
    write(inputs["phenotypes"], "sample,auc_imatinib\nP01,1.5\nP09,2\n")
    message = error_of(inputs)
    assert "line 3, column 'sample': found 'P09', which is not in the samplesheet" in message


def test_sample_without_phenotypes_only_warns(
    inputs: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    write(inputs["phenotypes"], "sample,auc_imatinib\nP01,1.5\n")
    validate(inputs)
    assert "P02" in caplog.text


def test_unknown_column(inputs: dict[str, Path]) -> None:
    write(inputs["samplesheet"], f"{HEADER},strandness\nP01,fastq/P01_R1.fastq.gz,,auto,x\n")
    message = error_of(inputs)
    assert "line 1: found unknown column(s) 'strandness'" in message and "vcf" in message


def test_empty_samplesheet(inputs: dict[str, Path]) -> None:
    write(inputs["samplesheet"], f"{HEADER}\n")
    assert "no rows" in error_of(inputs)


def test_bad_cnv_status(inputs: dict[str, Path]) -> None:
    write(inputs["cnv"], "sample,gene,status\nP01,IKZF1,deleted\n")
    message = error_of(inputs)
    assert "line 2, column 'status': found 'deleted'" in message and "HOM_DEL" in message


def test_duplicate_cnv_call(inputs: dict[str, Path]) -> None:
    write(inputs["cnv"], "sample,gene,status\nP01,IKZF1,DEL\nP01,IKZF1,NO_DEL\n")
    assert "line 3: found sample 'P01' with gene 'IKZF1' again (first on line 2)" in error_of(
        inputs
    )


def test_ragged_row(inputs: dict[str, Path]) -> None:
    write(inputs["samplesheet"], f"{HEADER}\nP01,fastq/P01_R1.fastq.gz,auto\n")
    assert "line 2: found 3 fields; expected 4" in error_of(inputs)


def test_not_utf8(inputs: dict[str, Path]) -> None:
    inputs["phenotypes"].write_bytes(b"sample\nP01\n\x1f\x8b\x08\n")
    assert "line 3: found byte 0x8b" in error_of(inputs)


def test_missing_input_file(inputs: dict[str, Path]) -> None:
    inputs["cnv"] = inputs["cnv"].with_name("nope.csv")
    assert error_of(inputs).startswith(f"{inputs['cnv']}: file not found")


def test_cli_reports_one_line_and_exits_2(
    inputs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    write(inputs["samplesheet"], f"{HEADER}\nP01,fastq/P01_R1.fastq.gz,,sideways\n")
    argv = [
        "validate",
        "--input",
        str(inputs["samplesheet"]),
        "--phenotypes",
        str(inputs["phenotypes"]),
    ]
    assert main([*argv, "--outdir", str(inputs["outdir"])]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tkiseq: error: {inputs['samplesheet']}: line 2, column 'strandedness'")
    assert err.count("\n") == 1
    assert not inputs["outdir"].exists()


def test_symlinked_samplesheet_resolves_paths_where_the_file_lives(tmp_path):
    """Nextflow stages the samplesheet as a link in a work folder."""
    from tkiseq.inputs import load_samplesheet

    data = tmp_path / "data"
    (data / "fastq").mkdir(parents=True)
    (data / "fastq" / "S1_R1.fastq.gz").touch()
    (data / "ss.csv").write_text(
        "sample,fastq_1,fastq_2,strandedness\nS1,fastq/S1_R1.fastq.gz,,auto\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    (work / "ss.csv").symlink_to(data / "ss.csv")
    (sample,) = load_samplesheet(work / "ss.csv")
    assert sample.fastq_1 == data / "fastq" / "S1_R1.fastq.gz"
