"""Units of ``variants call``: how contigs are split into jobs, and the jobs' outputs joined."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from bundles import bundle_of
from test_variants_filter import other, write_genome
from tkiseq.variants.call import call_bam, contig_groups


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
    """Genome chr1 + chr2, a one-exon gene on each (501-1500), a BAM with on each contig 20
    ref + 5 alt reads over one site (a call) and one read with an error (a pileup-only
    candidate); returns the alleles' (AD, DP, recounted) as the reads make them."""
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
        for c, site, error in (("chr1", 899, 911), ("chr2", 1199, 1180)):
            genome = fa.fetch(c)
            alt, wrong = other(genome[site]), other(genome[error])
            g = genome[:site] + alt + genome[site + 1 :]
            bad = genome[:error] + wrong + genome[error + 1 :]
            seqs = [genome[site - 25 : site + 25]] * 20 + [g[site - 25 : site + 25]] * 5
            seqs.append(bad[site - 25 : site + 25])
            for i, seq in enumerate(seqs):
                a = pysam.AlignedSegment(out.header)
                a.query_name, a.flag, a.reference_name = f"{c}r{i}", 0, c
                a.reference_start, a.mapping_quality, a.cigarstring = site - 25, 255, "50M"
                a.query_sequence = seq
                a.query_qualities = pysam.qualitystring_to_array("I" * 50)
                a.set_tag("NM", sum(x != y for x, y in zip(seq, genome[site - 25 :], strict=False)))
                out.write(a)
            expected[(c, site + 1, genome[site], alt)] = ((21, 5), 26, True)
            expected[(c, error + 1, genome[error], wrong)] = ((25, 1), 26, False)
    pysam.sort("-o", str(bam), str(unsorted))
    pysam.index(str(bam))
    return bam, fasta, gtf, expected


@pytest.mark.parametrize("threads", [1, 2])
def test_call_bam_counts_per_contig_job(tmp_path: Path, threads: int) -> None:
    """One job per contig (threads 2: two parts joined block by block) or one for both: every
    allele with its AD and DP as the reads make them, the call recounted (INFO/AMM), the
    one-read error kept with the pileup's counts (INFO/PILEUP), the sample named."""
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
