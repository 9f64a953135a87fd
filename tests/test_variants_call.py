"""Units of ``variants call``: how contigs are split into jobs, and the jobs' outputs joined."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from bundles import bundle_of
from test_variants_filter import other, write_genome
from tkiseq.errors import InputError
from tkiseq.variants.call import call_bam, contig_groups
from tkiseq.variants.scan import scan_contig


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


def write_inputs(folder: Path) -> tuple[Path, Path, Path, dict[tuple[str, int, str, str], tuple]]:
    """Genome chr1 + chr2, a one-exon gene on each (501-1500), a BAM with on each contig 31
    ref + 5 alt reads over one site (a call, recounted), 3 reads with an error at a second site
    (VAF 3/36: bounded below 0.1, so counted as the pileup counts it, INFO/PILEUP) and one read
    with an error at a third (one alt read: no candidate); returns the alleles' (AD, DP,
    recounted) as the reads make them."""
    fasta = write_genome(folder)
    fa = pysam.FastaFile(str(fasta))
    attrs = 'gene_id "G{c}"; transcript_id "T{c}"; gene_name "GENE{c}";'
    gtf = folder / "genes.gtf"
    gtf.write_text(
        "".join(
            f"{c}\tt\t{f}\t501\t1500\t.\t+\t.\t{attrs.format(c=c)}\n"
            for c in fa.references
            for f in ("gene", "transcript", "exon")
        )
    )
    contigs = [{"SN": c, "LN": fa.get_reference_length(c)} for c in fa.references]
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": contigs}
    expected = {}
    unsorted, bam = folder / "unsorted.bam", folder / "s.bam"
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
        for c, site, error, once in (("chr1", 899, 911, 915), ("chr2", 1199, 1180, 1190)):
            genome = fa.fetch(c)

            def changed(at: int, base: str, seq: str = genome) -> str:
                return seq[:at] + base + seq[at + 1 :]

            alt, wrong = other(genome[site]), other(genome[error])
            g, bad = changed(site, alt), changed(error, wrong)
            worse = changed(once, other(genome[once]), bad)
            window = slice(site - 25, site + 25)
            seqs = [genome[window]] * 26 + [bad[window]] * 2 + [worse[window]]
            seqs += [genome[window]] * 2 + [g[window]] * 5
            for i, seq in enumerate(seqs):
                a = pysam.AlignedSegment(out.header)
                a.query_name, a.flag, a.reference_name = f"{c}r{i}", 0, c
                a.reference_start, a.mapping_quality, a.cigarstring = site - 25, 255, "50M"
                a.query_sequence = seq
                a.query_qualities = pysam.qualitystring_to_array("I" * 50)
                a.set_tag("NM", sum(x != y for x, y in zip(seq, genome[site - 25 :], strict=False)))
                out.write(a)
            expected[(c, site + 1, genome[site], alt)] = ((31, 5), 36, True)
            expected[(c, error + 1, genome[error], wrong)] = ((33, 3), 36, False)
    pysam.sort("-o", str(bam), str(unsorted))
    pysam.index(str(bam))
    return bam, fasta, gtf, expected


@pytest.mark.parametrize("threads", [1, 2])
def test_call_bam_counts_per_contig_job(tmp_path: Path, threads: int) -> None:
    """One job per contig (threads 2: two parts joined block by block) or one for both: every
    allele that can pass with its AD and DP as the reads make them, the call recounted
    (INFO/AMM), the bounded error with the pileup's counts (INFO/PILEUP), the one-read error
    not written, the sample named."""
    bam, fasta, gtf, expected = write_inputs(tmp_path)
    out = call_bam("S1", bam, fasta, bundle_of(gtf), tmp_path / "call", threads=threads)
    with pysam.VariantFile(str(out)) as vf:
        assert list(vf.header.samples) == ["S1"]
        got = {
            (r.chrom, r.pos, r.ref, r.alts[0]): (
                tuple(r.samples[0]["AD"]),
                r.samples[0]["DP"],
                "AMM" in r.info and "PILEUP" not in r.info,
            )
            for r in vf
        }
    assert got == expected
    assert Path(f"{out}.tbi").exists() and not list((tmp_path / "call").glob(".*"))


def test_scan_counts_what_the_pileup_counts(tmp_path: Path) -> None:
    """Per site, reads of one alt base at base quality >= 20 from reads the pileup reads
    (not duplicate, secondary, QC-failed; MAPQ >= 20), against a soft-masked (lower-case)
    genome; soft clips and insertions shift the read, not the genome; junctions counted;
    anchors of >= 2 gapped reads; sites outside the regions left out."""
    fasta = tmp_path / "genome.fa"
    seq = write_genome(tmp_path).read_text().split("\n")[1]
    fasta.write_text(f">chr1\n{seq[:600].lower()}{seq[600:]}\n")
    pysam.faidx(str(fasta))
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": len(seq)}]}
    bam = tmp_path / "s.bam"
    alt = other(seq[520])

    def read(
        i: int,
        start: int,
        cigar: str,
        bases: str,
        flag: int = 0,
        mapq: int = 255,
        low: int | None = None,
    ) -> pysam.AlignedSegment:
        a = pysam.AlignedSegment(pysam.AlignmentHeader.from_dict(header))
        a.query_name, a.flag, a.reference_id, a.reference_start = f"r{i}", flag, 0, start
        a.mapping_quality, a.cigarstring, a.query_sequence = mapq, cigar, bases
        quals = [30] * len(bases)
        if low is not None:
            quals[low] = 10
        a.query_qualities = pysam.qualitystring_to_array("".join(chr(q + 33) for q in quals))
        return a

    with_alt = seq[500:520] + alt + seq[521:540]  # 500-539, alt at 520
    reads = [
        read(0, 500, "40M", with_alt),
        read(1, 500, "5S40M", "NNNNN" + with_alt),  # soft clip before
        read(2, 500, "20M3I20M", seq[500:520] + "TTT" + alt + seq[521:540]),  # anchor 519
        read(3, 500, "20M2D18M", seq[500:520] + seq[522:540]),  # anchor 519
        read(4, 500, "40M", with_alt, low=20),  # low quality: not counted
        read(5, 500, "40M", with_alt, flag=0x400),  # duplicate
        read(6, 500, "40M", with_alt, mapq=3),  # multi-mapped
        read(7, 500, "21M100N19M", with_alt[:21] + seq[621:640]),  # spliced, alt at 520
        read(8, 500, "40M", seq[500:520] + "N" + seq[521:540]),  # N: mismatch, no allele
    ]
    with pysam.AlignmentFile(str(bam), "wb", header=header) as out:
        for r in reads:
            out.write(r)
    pysam.index(str(bam))
    with pysam.AlignmentFile(str(bam)) as af, pysam.FastaFile(str(fasta)) as genome:
        found = scan_contig(af, genome, "chr1", [(0, 700)], 3)
        outside = scan_contig(af, genome, "chr1", [(521, 700)], 3)
    # reads 0, 1, 2 (alt after the insertion), 7: four alt reads; read 8's N a fifth mismatch
    assert found.snvs == [(520, seq[520], alt, 4, 5)]
    assert found.anchors == [519]
    assert found.junctions == {(521, 621): 1}
    assert outside.snvs == [] and outside.anchors == []


def test_bam_named_unlike_the_fasta_is_one_line(tmp_path: Path) -> None:
    """Reads are compared with the genome by contig name: a BAM whose contigs the FASTA names
    otherwise (1 vs chr1) is refused up front, naming both."""
    bam, fasta, gtf, _ = write_inputs(tmp_path)
    renamed = tmp_path / "renamed.fa"
    renamed.write_text(fasta.read_text().replace(">chr", ">"))
    pysam.faidx(str(renamed))
    with pytest.raises(InputError, match=rf"contig chr1 is 1 in {renamed}: the BAM was aligned"):
        call_bam("S1", bam, renamed, bundle_of(gtf), tmp_path / "call")
    assert not (tmp_path / "call" / "S1.calls.vcf.gz").exists()
