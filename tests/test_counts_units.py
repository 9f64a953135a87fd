import numpy as np
import pandas as pd
import pytest

from tkiseq.errors import InputError
from tkiseq.expression.counts import count_matrix, median_of_ratios, sample_of
from tkiseq.runner import Task, cache_key, parallel_jobs


def test_median_of_ratios_recovers_depth():
    base = np.array([10.0, 100.0, 1000.0, 50.0])
    counts = np.vstack([base, 2 * base, 0.5 * base])
    sf = median_of_ratios(counts)
    assert np.allclose(sf / sf[0], [1, 2, 0.5])
    assert np.isclose(np.exp(np.log(sf).mean()), 1.0)


def test_count_matrix_rejects_different_gene_lists(tmp_path):
    a = pd.Series([1, 2], index=["g1", "g2"], name="A")
    b = pd.Series([1, 2], index=["g1", "g3"], name="B")
    with pytest.raises(InputError, match="gene list differs"):
        count_matrix([a, b], [tmp_path / "A.tab", tmp_path / "B.tab"])


def test_sample_of():
    from pathlib import Path

    assert sample_of(Path("x/BA_P01.ReadsPerGene.out.tab")) == "BA_P01"
    with pytest.raises(InputError):
        sample_of(Path("counts.txt"))


def test_parallel_jobs_bounded_by_memory_and_threads():
    gib = 1 << 30
    assert parallel_jobs(8, 6, index_bytes=30 * gib, free_bytes=64 * gib) == 1
    assert parallel_jobs(2, 6, index_bytes=gib // 10, free_bytes=16 * gib) == 2
    assert parallel_jobs(8, 3, index_bytes=gib // 10, free_bytes=16 * gib) == 3


def test_cache_key_changes_with_inputs(tmp_path):
    f = tmp_path / "in.txt"
    f.write_text("a")
    task = Task("x", "", ["x", str(f)], [f], [])
    key = cache_key(task)
    assert cache_key(task) == key
    f.write_text("ab")
    assert cache_key(task) != key
