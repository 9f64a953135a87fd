"""Units of ``variants call``: how contigs are split into jobs."""

from __future__ import annotations

import pytest

from tkiseq.variants.call import contig_groups


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_contig_groups_keep_order_and_balance(n: int) -> None:
    contigs = ["chr1", "chr2", "chr3", "chr4", "chrX", "chrM"]
    weight = {"chr1": 50, "chr2": 40, "chr3": 30, "chr4": 30, "chrX": 49, "chrM": 1}
    groups = contig_groups(contigs, weight, n)
    assert [c for g in groups for c in g] == contigs
    assert all(groups) and len(groups) == min(n, len(contigs))
    if n == 2:  # the first run to reach half the weight, then the rest: 120 / 80
        assert groups == [["chr1", "chr2", "chr3"], ["chr4", "chrX", "chrM"]]


def test_contig_groups_single_contig() -> None:
    assert contig_groups(["chr1"], {"chr1": 10}, 4) == [["chr1"]]
