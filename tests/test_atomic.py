import pytest

from tkiseq import atomic
from tkiseq.atomic import atomic_dir, atomic_path, write_text


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    dest = tmp_path / "out.tsv.gz"
    with pytest.raises(RuntimeError), atomic_path(dest) as tmp:
        assert tmp.name.endswith(".tsv.gz")
        tmp.write_text("partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_replaces_only_on_success(tmp_path):
    dest = tmp_path / "index"
    with atomic_dir(dest) as tmp:
        (tmp / "SA").write_text("x")
    assert (dest / "SA").read_text() == "x"
    with pytest.raises(RuntimeError), atomic_dir(dest) as tmp:
        (tmp / "SA").write_text("new")
        raise RuntimeError("boom")
    assert (dest / "SA").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


def test_outputs_follow_the_umask_not_mkstemp_privacy(tmp_path):
    write_text(tmp_path / "a.txt", "a")
    with atomic_dir(tmp_path / "d"):
        pass
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~atomic._UMASK
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o777 & ~atomic._UMASK
