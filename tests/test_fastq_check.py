import gzip

import pytest

from tkiseq.align.fastq import check_pair, count_records
from tkiseq.errors import InputError

RECORD = "@r{n}/1\nACGTACGTAC\n+\nIIIIIIIIII\n"


def _fastq(path, n):
    with gzip.open(path, "wt") as fh:
        fh.write("".join(RECORD.format(n=i) for i in range(n)))
    return path


def test_count_records(tmp_path):
    assert count_records(_fastq(tmp_path / "a.fastq.gz", 1234)) == 1234


def test_truncated_gzip_is_an_input_error(tmp_path):
    path = _fastq(tmp_path / "a.fastq.gz", 5000)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError, match=r"a.fastq.gz: truncated gzip stream"):
        count_records(path)


def test_plain_fastq_is_read_by_content_and_broken_gzip_refused(tmp_path):
    plain = tmp_path / "p.fastq"
    plain.write_text("".join(RECORD.format(n=i) for i in range(7)))
    assert count_records(plain) == 7
    misnamed = tmp_path / "m.fastq.gz"  # plain text despite its name: content decides
    misnamed.write_text(RECORD.format(n=1))
    assert count_records(misnamed) == 1
    broken = tmp_path / "b.fastq.gz"
    broken.write_bytes(b"\x1f\x8b" + b"not deflate data" * 10)
    with pytest.raises(InputError, match="not a valid gzip file"):
        count_records(broken)


def test_not_fastq(tmp_path):
    other = tmp_path / "o.fastq.gz"
    with gzip.open(other, "wt") as fh:
        fh.write(">seq\nACGT\n")
    with pytest.raises(InputError, match="expected '@'"):
        count_records(other)


def test_mates_must_pair(tmp_path):
    r1 = _fastq(tmp_path / "r1.fastq.gz", 10)
    r2 = _fastq(tmp_path / "r2.fastq.gz", 9)
    with pytest.raises(InputError, match=r"r2.fastq.gz: 9 records but r1.fastq.gz has 10"):
        check_pair([r1, r2])
