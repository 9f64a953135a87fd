import gzip

import pytest

from tkiseq.errors import InputError
from tkiseq.genome.contigs import harmonise, require_shared
from tkiseq.genome.gtf import TranscriptAttributes, canonical_rank, read_genes

GTF = (
    "#!genome-build test\n"
    'chr1\tHAVANA\tgene\t100\t900\t.\t+\t.\tgene_id "G1.1"; gene_type "protein_coding"; '
    'gene_name "ABL1";\n'
    'chr1\tHAVANA\texon\t100\t200\t.\t+\t.\tgene_id "G1.1"; transcript_id "T1"; '
    'gene_name "ABL1";\n'
    'chrM\tENSEMBL\texon\t5\t50\t.\t-\t.\tgene_id "G2"; transcript_id "T2"; '
    'gene_biotype "Mt_rRNA";\n'
)


def test_read_genes_gene_rows_and_exon_fallback(tmp_path):
    path = tmp_path / "genes.gtf.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(GTF)
    genes = read_genes(path)
    assert genes.loc["G1.1", "gene_name"] == "ABL1"
    assert (genes.loc["G1.1", "start"], genes.loc["G1.1", "end"]) == (100, 900)
    # G2 has only an exon row and no gene_name: its span and ID stand in.
    assert genes.loc["G2", "gene_name"] == "G2"
    assert genes.loc["G2", "gene_type"] == "Mt_rRNA"
    assert genes.loc["G2", "strand"] == "-"


def test_read_genes_errors_name_line_and_column(tmp_path):
    path = tmp_path / "bad.gtf"
    path.write_text(GTF.replace("\t100\t900\t", "\tone\t900\t"))
    with pytest.raises(InputError, match=r"bad.gtf: line 2, column 4 \(start\): found 'one'"):
        read_genes(path)
    path.write_text("chr1\tx\texon\t1\t2\n")
    with pytest.raises(InputError, match=r"line 1: found 5 tab-separated fields; expected 9"):
        read_genes(path)


def test_truncated_gtf_is_reported(tmp_path):
    path = tmp_path / "genes.gtf.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(GTF * 200)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(InputError, match="unreadable"):
        read_genes(path)


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
