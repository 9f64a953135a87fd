import pandas as pd
import pytest

from tkiseq.align.strandedness import infer, read_reads_per_gene, resolve
from tkiseq.errors import InputError


@pytest.mark.parametrize(
    ("forward", "reverse", "expected"),
    [
        (9500, 500, "forward"),
        (300, 9700, "reverse"),
        (5200, 4800, "unstranded"),
        (7000, 3000, "undetermined"),
        (10, 5, "undetermined"),  # too few reads to tell
    ],
)
def test_infer(forward, reverse, expected):
    assert infer(forward, reverse)[0] == expected


def _counts(forward, reverse):
    return pd.DataFrame(
        {"unstranded": [forward + reverse], "forward": [forward], "reverse": [reverse]},
        index=["g1"],
    )


def test_auto_uses_inferred_and_declared_wins_with_warning():
    auto = resolve("S1", "auto", _counts(100, 9900))
    assert (auto.inferred, auto.used, auto.warning) == ("reverse", "reverse", "")
    declared = resolve("S1", "forward", _counts(100, 9900))
    assert declared.used == "forward"
    assert "reads look reverse" in declared.warning


def test_auto_undetermined_counts_unstranded():
    decision = resolve("S1", "auto", _counts(7000, 3000))
    assert decision.used == "unstranded"
    assert "could not be inferred" in decision.warning


def test_read_reads_per_gene(tmp_path):
    path = tmp_path / "S1.ReadsPerGene.out.tab"
    path.write_text(
        "N_unmapped\t5\t5\t5\nN_multimapping\t1\t1\t1\nN_noFeature\t2\t9\t3\n"
        "N_ambiguous\t0\t0\t0\nG1\t10\t1\t9\nG2\t4\t0\t4\n"
    )
    counts, summary = read_reads_per_gene(path)
    assert counts.loc["G1"].tolist() == [10, 1, 9]
    assert summary["N_noFeature"] == [2, 9, 3]


def test_read_reads_per_gene_rejects_other_formats(tmp_path):
    path = tmp_path / "S1.ReadsPerGene.out.tab"
    path.write_text("G1\t10\n")
    with pytest.raises(InputError, match=r"line 1: found 2 fields; expected 4"):
        read_reads_per_gene(path)
