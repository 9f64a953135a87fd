"""Output table contracts (tkiseq.tables): a reader refuses a table of another version."""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiseq import tables
from tkiseq.errors import InputError


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n")
    return path


def lesion_row() -> list[str]:
    return ["S1", "IKZF1", "IKZF1_del4-7", "3", "8", "chr7:100-900", "12", "30.5", "0.28", "no"]


def test_a_current_table_is_read_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path / "S1.splice_lesions.tsv", tables.columns("splice_lesions"), [lesion_row()]
    )
    frame = tables.read_table(path, "splice_lesions")
    assert frame.iloc[0].tolist() == lesion_row()


def test_a_table_of_another_version_fails_with_one_line(tmp_path: Path) -> None:
    header = tables.columns("splice_lesions")
    old = [c if c != "junction_reads" else "reads" for c in header if c != "annotated"]
    path = write(tmp_path / "S1.splice_lesions.tsv", old, [lesion_row()[:-1]])
    with pytest.raises(InputError) as err:
        tables.read_table(path, "splice_lesions")
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path}: line 1: ")
    assert f"schema v{tables.version()}" in message
    assert "missing junction_reads, annotated; unexpected reads" in message
    reordered = write(tmp_path / "r.tsv", header[::-1], [lesion_row()[::-1]])
    with pytest.raises(InputError, match="columns in another order"):
        tables.read_table(reordered, "splice_lesions")


def test_a_value_of_the_wrong_type_is_named_with_its_line_and_column(tmp_path: Path) -> None:
    row = lesion_row()
    row[6] = "twelve"
    path = write(tmp_path / "S1.splice_lesions.tsv", tables.columns("splice_lesions"), [row])
    with pytest.raises(InputError, match=r"line 2, column junction_reads: 'twelve' is not an? "):
        tables.read_table(path, "splice_lesions")


def test_every_table_column_has_a_known_type() -> None:
    for name, spec in tables.schema()["tables"].items():
        kinds = {c["type"] for c in spec["columns"]}
        assert kinds <= {"string", "integer", "number", "boolean"}, name
        assert len(tables.columns(name)) == len(set(tables.columns(name))), name


def variant_row(sample: str, filt: str, vaf: str) -> list[str]:
    return [
        sample,
        "9",
        "130872896",
        "C",
        "T",
        "ABL1",
        "missense_variant",
        "c.944C>T",
        "p.Thr315Ile",
        "12",
        "40",
        vaf,
        "False",
        filt,
        "True",
        "imatinib;dasatinib",
        "ENST00000318560",
        "p.T315I",
        "True",
        "",
    ]


def test_variants_cohort_keeps_the_pass_rows_as_written(tmp_path: Path) -> None:
    from tkiseq.variants.cohort import build_cohort

    header = tables.columns("variants")
    s1 = write(tmp_path / "S1.variants.tsv", header, [variant_row("S1", "PASS", "0.3000")])
    s2 = write(tmp_path / "S2.variants.tsv", header, [variant_row("S2", "min_vaf", "0.0500")])
    cohort, matrix = build_cohort([s1, s2], tmp_path / "out")
    rows = [line.split("\t") for line in cohort.read_text().splitlines()]
    assert rows == [header, variant_row("S1", "PASS", "0.3000")]
    assert matrix.read_text().splitlines() == ["sample\tABL1", "S1\tp.T315I", "S2\t"]


def test_variants_cohort_refuses_a_table_with_the_dropped_dp_column(tmp_path: Path) -> None:
    from tkiseq.variants.cohort import build_cohort

    old = write(
        tmp_path / "S1.variants.tsv",
        [*tables.columns("variants"), "dp"],
        [[*variant_row("S1", "PASS", "0.3"), "41"]],
    )
    with pytest.raises(InputError, match=r"line 1: not a variants table .*unexpected dp"):
        build_cohort([old], tmp_path / "out")
    assert not (tmp_path / "out").exists()
