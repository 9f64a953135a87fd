import gzip

import pytest

from tkiseq.align.fastq import check_mate_names, check_pair, count_records, same_fragment
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


def _named(path, names):
    with gzip.open(path, "wt") as fh:
        fh.write("".join(f"@{n}\nACGTACGTAC\n+\nIIIIIIIIII\n" for n in names))
    return path


@pytest.mark.parametrize(
    ("r1", "r2"),
    [
        (["A:1:2 1:N:0:ACGT", "A:1:3 1:N:0:ACGT"], ["A:1:2 2:N:0:ACGT", "A:1:3 2:N:0:ACGT"]),
        (["r0/1", "r1/1"], ["r0/2", "r1/2"]),
        (["SRR1.1.1 1 length=50", "SRR1.2.1"], ["SRR1.1.2 1 length=50", "SRR1.2.2"]),
        (["SRR1.1 1", "SRR1.2 2"], ["SRR1.1 1", "SRR1.2 2"]),  # fastq-dump without --readids
    ],
)
def test_mates_whose_names_agree_pass(tmp_path, r1, r2):
    check_mate_names(_named(tmp_path / "1.fq.gz", r1), _named(tmp_path / "2.fq.gz", r2))


def test_mates_in_another_order_stop_with_the_first_disagreeing_record(tmp_path):
    names = [f"r{i}" for i in range(50)]
    r1 = _named(tmp_path / "x_R1.fq.gz", [f"{n}/1" for n in names])
    r2 = _named(tmp_path / "x_R2.fq.gz", [f"{n}/2" for n in names[:3] + names[4:] + names[3:4]])
    with pytest.raises(InputError) as info:
        check_mate_names(r1, r2)
    message = str(info.value)
    assert message.startswith(f"{r2}: line 13: read 'r4/2' is not the mate of 'r3/1'")
    assert f"record 4 of {r1}" in message


def test_a_different_read_id_is_not_a_mate():
    assert not same_fragment(b"r10/1", b"r11/2")
    assert not same_fragment(b"r1/2", b"r1/1")  # swapped files
    assert same_fragment(b"r1_1", b"r1_2")
