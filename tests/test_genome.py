import pytest

from tkiseq.errors import InputError
from tkiseq.genome.contigs import harmonise, require_shared
from tkiseq.genome.gtf import TranscriptAttributes, canonical_rank


def test_harmonise_chr_prefix_and_mitochondrion():
    mapping = harmonise(["1", "X", "MT", "GL000192.1"], ["chr1", "chrX", "chrM"])
    assert mapping == {"1": "chr1", "X": "chrX", "MT": "chrM"}
    assert harmonise(["chr9"], ["chr9", "9"]) == {"chr9": "chr9"}


def test_require_shared_names_both_files():
    with pytest.raises(InputError, match=r"dbsnp.vcf.gz: no contig name matches genome.fa"):
        require_shared("dbsnp.vcf.gz", ["NC_000001.11"], "genome.fa", ["chr1"])


def test_transcript_attributes_parsed_per_transcript() -> None:
    attributes = TranscriptAttributes()
    a1 = 'gene_id "G1"; transcript_id "T1"; gene_name "IKZF1"; tag "basic"; tag "MANE_Select";'
    a2 = 'gene_id "G1"; transcript_id "T2"; gene_name "IKZF1"; tag "basic";'
    gene = 'gene_id "G2"; gene_name "PAX5"; gene_type "protein_coding";'
    got = [attributes(a) for a in (a1, a1 + ' exon_number "2";', a2, a1, gene)]
    assert [g[0]["transcript_id"] for g in got[:4]] == ["T1", "T1", "T2", "T1"]
    assert got[0][1] == frozenset({"basic", "MANE_Select"}) and got[2][1] == frozenset({"basic"})
    assert got[4][0]["gene_name"] == "PAX5" and "transcript_id" not in got[4][0]
    assert canonical_rank(got[0][1]) > canonical_rank(got[2][1]) == 0
