"""Fast units of the variant stage: the study filter on generated VCFs (equal to the bcftools
expression, bad inputs), allele counting from a generated BAM, and HGVS naming on synthetic
transcripts.

Small genomes, VCFs, BAMs and dbSNPs are written here with pysam so these tests run in seconds.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass
from pathlib import Path

import pysam
import pysam.bcftools
import pytest

from tkiseq.cli import main
from tkiseq.errors import InputError
from tkiseq.variants.counts import count_alleles
from tkiseq.variants.filter import FilterParams, filter_calls, filter_reasons
from tkiseq.variants.hgvs import Effect, revcomp, variant_effect
from tkiseq.variants.transcripts import Transcript

BCFTOOLS_EXPR = "FMT/AD[0:1]>=3 && FMT/AD[0:1]/(FMT/AD[0:0]+FMT/AD[0:1])>0.1"
LENGTH = 30_000


def write_genome(folder: Path, contigs: tuple[str, ...] = ("chr1", "chr2")) -> Path:
    rng = random.Random(7)
    fasta = folder / "genome.fa"
    fasta.write_text("".join(f">{c}\n{''.join(rng.choices('ACGT', k=LENGTH))}\n" for c in contigs))
    pysam.faidx(str(fasta))
    return fasta


def vcf_header(contigs: list[str], samples: list[str], ad: bool = True) -> str:
    lines = ["##fileformat=VCFv4.2"]
    lines += [f"##contig=<ID={c},length={LENGTH}>" for c in contigs]
    if ad:
        lines.append('##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">')
    lines.append('##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">')
    lines.append('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">')
    cols = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"]
    return "\n".join([*lines, "\t".join(cols + samples)]) + "\n"


def bgzip_index(text_path: Path) -> Path:
    """bgzip + tabix a plain VCF; returns the .vcf.gz path."""
    out = Path(f"{text_path}.gz")
    pysam.tabix_compress(str(text_path), str(out), force=True)
    pysam.tabix_index(str(out), preset="vcf", force=True)
    text_path.unlink()
    return out


def make_calls(fasta: Path, n: int, seed: int) -> list[tuple[str, int, str, str, str]]:
    """(chrom, pos, ref, alt, AD) with SNVs, indels and multi-allelic sites, sorted."""
    rng = random.Random(seed)
    fa = pysam.FastaFile(str(fasta))
    records = {}
    for _ in range(n):
        chrom = rng.choice(fa.references)
        pos = rng.randrange(50, LENGTH - 50)
        ref = fa.fetch(chrom, pos - 1, pos)
        others = [b for b in "ACGT" if b != ref]
        kind = rng.random()
        if kind < 0.7:
            alts = [rng.choice(others)]
        elif kind < 0.8:
            alts = rng.sample(others, 2)
        elif kind < 0.9:
            alts = [ref + "".join(rng.choices("ACGT", k=rng.randint(1, 4)))]
        else:
            ref = fa.fetch(chrom, pos - 1, pos + rng.randint(1, 4))
            alts = [ref[0]]
        depths = [rng.choice([0, 1, 2, 3, 4, 10, 30, 90]) for _ in range(len(alts) + 1)]
        records[(chrom, pos)] = (chrom, pos, ref, ",".join(alts), ",".join(map(str, depths)))
    order = {c: i for i, c in enumerate(fa.references)}
    return sorted(records.values(), key=lambda r: (order[r[0]], r[1]))


def write_vcf(path: Path, calls: list, contigs: list[str], samples: tuple[str, ...] = ("S1",)):
    body = [
        "\t".join([c, str(p), ".", r, a, ".", ".", ".", "GT:AD"] + [f"0/1:{ad}"] * len(samples))
        for c, p, r, a, ad in calls
    ]
    path.write_text(vcf_header(contigs, list(samples)) + "\n".join(body) + "\n")
    return bgzip_index(path)


def write_dbsnp(path: Path, calls: list, seed: int, strip_chr: bool = True) -> Path:
    """dbSNP without 'chr': half of the calls' alleles, plus decoys (same site, other allele)."""
    rng = random.Random(seed)
    rows = []
    for i, (chrom, pos, ref, alt, _) in enumerate(calls):
        name = chrom.removeprefix("chr") if strip_chr else chrom
        first = alt.split(",")[0]
        if rng.random() < 0.5:
            rows.append((name, pos, f"rs{i}", ref, first))
        elif len(ref) == len(first) == 1:
            decoy = next(b for b in "ACGT" if b not in (ref, *alt.split(",")))
            rows.append((name, pos, f"rs{i}", ref, decoy))
    contigs = sorted({r[0] for r in rows})
    text = "##fileformat=VCFv4.2\n" + "".join(f"##contig=<ID={c}>\n" for c in contigs)
    text += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    text += "".join(f"{c}\t{p}\t{i}\t{r}\t{a}\t.\t.\t.\n" for c, p, i, r, a in rows)
    path.write_text(text)
    return bgzip_index(path)


def keys(vcf: Path) -> set[tuple[str, int, str, str]]:
    with pysam.VariantFile(str(vcf)) as vf:
        return {(r.chrom, r.pos, r.ref, r.alts[0]) for r in vf}


@pytest.fixture
def synthetic(tmp_path: Path) -> dict[str, Path]:
    fasta = write_genome(tmp_path)
    calls = make_calls(fasta, 600, seed=3)
    vcf = write_vcf(tmp_path / "calls.vcf", calls, ["chr1", "chr2"])
    dbsnp = write_dbsnp(tmp_path / "dbsnp.vcf", calls, seed=4)
    return {"fasta": fasta, "vcf": vcf, "dbsnp": dbsnp, "dir": tmp_path}


def test_filter_reasons_thresholds() -> None:
    p = FilterParams()
    assert filter_reasons(27, 3, None, p) == ["min_vaf"]  # VAF exactly 0.1 is not > 0.1
    assert filter_reasons(26, 3, None, p) == []
    assert filter_reasons(27, 3, None, FilterParams(min_vaf=0.09)) == []
    assert filter_reasons(0, 2, "rs1", p) == ["min_alt_reads", "dbsnp"]
    assert filter_reasons(0, 0, None, p) == ["min_alt_reads", "min_vaf"]


def test_filter_equals_bcftools(synthetic: dict[str, Path]) -> None:
    d = synthetic["dir"]
    all_vcf, pass_vcf = filter_calls(
        "S1", synthetic["vcf"], synthetic["dbsnp"], synthetic["fasta"], d / "out"
    )
    # bcftools on the same (split, normalised) records
    norm = d / "norm.vcf.gz"
    pysam.bcftools.norm(
        "-m",
        "-any",
        "-f",
        str(synthetic["fasta"]),
        "-Oz",
        "-o",
        str(norm),
        str(synthetic["vcf"]),
        catch_stdout=False,
    )
    pysam.bcftools.index("-t", str(norm), catch_stdout=False)
    kept = d / "kept.vcf.gz"
    pysam.bcftools.view("-i", BCFTOOLS_EXPR, "-Oz", "-o", str(kept), str(norm), catch_stdout=False)
    pysam.bcftools.index("-t", str(kept), catch_stdout=False)
    chrs = d / "chrs.txt"
    chrs.write_text("1\tchr1\n2\tchr2\n")
    db_chr = d / "dbsnp_chr.vcf.gz"
    pysam.bcftools.annotate(
        "--rename-chrs",
        str(chrs),
        "-Oz",
        "-o",
        str(db_chr),
        str(synthetic["dbsnp"]),
        catch_stdout=False,
    )
    pysam.bcftools.index("-t", str(db_chr), catch_stdout=False)
    isec = d / "isec"
    pysam.bcftools.isec(
        "-C", "-w1", "-Oz", "-p", str(isec), str(kept), str(db_chr), catch_stdout=False
    )
    expected = keys(isec / "0000.vcf.gz")
    assert keys(pass_vcf) == expected
    assert len(expected) > 50
    # nothing dropped: every split record is in .all with a FILTER value
    assert keys(all_vcf) == keys(norm)
    with pysam.VariantFile(str(all_vcf)) as vf:
        reasons = [set(r.filter.keys()) for r in vf]
        assert all(r for r in reasons)
    assert {"PASS", "min_alt_reads", "min_vaf", "dbsnp"} <= set().union(*reasons)
    # both outputs are readable by bcftools through their index
    assert pysam.bcftools.view("-H", "-r", "chr2", str(pass_vcf)).count("\n") > 0


def test_dbsnp_needs_same_allele(synthetic: dict[str, Path]) -> None:
    """A decoy rsID at the same position with another allele is not a dbSNP match."""
    all_vcf, _ = filter_calls(
        "S1", synthetic["vcf"], synthetic["dbsnp"], synthetic["fasta"], synthetic["dir"] / "o"
    )
    db = {}
    with pysam.VariantFile(str(synthetic["dbsnp"])) as vf:
        for r in vf:
            db.setdefault(("chr" + r.chrom, r.pos), set()).add((r.ref, r.alts[0], r.id))
    decoys = matches = 0
    with pysam.VariantFile(str(all_vcf)) as vf:
        for r in vf:
            site = db.get((r.chrom, r.pos), set())
            same = [i for ref, alt, i in site if (ref, alt) == (r.ref, r.alts[0])]
            if same:
                matches += 1
                assert "dbsnp" in r.filter and r.info["DBSNP"] == same[0]
            elif site:
                decoys += 1
                assert "dbsnp" not in r.filter and "DBSNP" not in r.info
    assert decoys > 10 and matches > 50


def run_cli(*args: str | Path) -> int:
    return main([str(a) for a in args])


def filter_cli(vcf: Path, d: Path, fasta: Path, dbsnp: Path) -> int:
    return run_cli(
        "variants",
        "filter",
        "--sample",
        "S1",
        "--vcf",
        vcf,
        "--dbsnp",
        dbsnp,
        "--fasta",
        fasta,
        "--outdir",
        d / "out",
    )


def assert_failed_cleanly(rc: int, d: Path, capsys: pytest.CaptureFixture, *words: str) -> None:
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, err
    out = d / "out"
    assert not out.exists() or not list(out.iterdir()), list(out.iterdir())


def test_vcf_without_ad_and_no_bam(synthetic, capsys) -> None:
    d = synthetic["dir"]
    plain = d / "noad.vcf"
    plain.write_text(
        vcf_header(["chr1", "chr2"], ["S1"], ad=False) + "chr1\t100\t.\tA\tC\t.\t.\t.\tDP\t9\n"
    )
    vcf = bgzip_index(plain)
    rc = filter_cli(vcf, d, synthetic["fasta"], synthetic["dbsnp"])
    assert_failed_cleanly(rc, d, capsys, "noad.vcf.gz", "AD", "--bam")
    rc = run_cli(
        "variants",
        "call",
        "--sample",
        "S1",
        "--vcf",
        vcf,
        "--fasta",
        synthetic["fasta"],
        "--outdir",
        d / "out",
    )
    assert_failed_cleanly(rc, d, capsys, "AD")


def test_contigs_without_overlap(synthetic, capsys) -> None:
    d = synthetic["dir"]
    other = write_genome(d / "other" if (d / "other").mkdir() is None else d, ("scaffold_1",))
    rc = filter_cli(synthetic["vcf"], d, other, synthetic["dbsnp"])
    assert_failed_cleanly(rc, d, capsys, "calls.vcf.gz", "no contig name matches", "genome.fa")


def test_dbsnp_contigs_without_overlap(synthetic, capsys) -> None:
    d = synthetic["dir"]
    text = "##fileformat=VCFv4.2\n##contig=<ID=NC_000001.11>\n"
    text += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nNC_000001.11\t5\trs1\tA\tC\t.\t.\t.\n"
    (d / "nc.vcf").write_text(text)
    db = bgzip_index(d / "nc.vcf")
    rc = filter_cli(synthetic["vcf"], d, synthetic["fasta"], db)
    assert_failed_cleanly(rc, d, capsys, "nc.vcf.gz", "no contig name matches")


def test_harmonisable_contigs(synthetic) -> None:
    """VCF '1'/'2' vs FASTA 'chr1'/'chr2' vs dbSNP '1'/'2': renamed, same result."""
    d = synthetic["dir"]
    with gzip.open(synthetic["vcf"], "rt") as fh:
        text = fh.read()
    text = text.replace("ID=chr", "ID=").replace("\nchr", "\n")
    (d / "nochr.vcf").write_text(text)
    vcf = bgzip_index(d / "nochr.vcf")
    _, renamed = filter_calls("S1", vcf, synthetic["dbsnp"], synthetic["fasta"], d / "a")
    _, plain = filter_calls("S1", synthetic["vcf"], synthetic["dbsnp"], synthetic["fasta"], d / "b")
    assert keys(renamed) == keys(plain)


def test_unsorted_vcf(synthetic, capsys) -> None:
    d = synthetic["dir"]
    with gzip.open(synthetic["vcf"], "rt") as fh:
        lines = fh.read().splitlines()
    head = [x for x in lines if x.startswith("#")]
    body = [x for x in lines if not x.startswith("#")]
    chr2 = [x for x in body if x.startswith("chr2")]
    chr1 = [x for x in body if x.startswith("chr1")]
    plain = d / "unsorted.vcf"
    plain.write_text("\n".join(head + chr1[:50] + chr2 + chr1[50:]) + "\n")
    rc = filter_cli(plain, d, synthetic["fasta"], synthetic["dbsnp"])
    assert_failed_cleanly(rc, d, capsys, "unsorted.vcf", "sort")


def test_unindexed_vcf(synthetic, capsys) -> None:
    d = synthetic["dir"]
    Path(f"{synthetic['vcf']}.tbi").unlink()
    rc = filter_cli(synthetic["vcf"], d, synthetic["fasta"], synthetic["dbsnp"])
    assert_failed_cleanly(rc, d, capsys, "calls.vcf.gz", "index", "tabix")


def test_truncated_gzip(synthetic, capsys) -> None:
    d = synthetic["dir"]
    data = synthetic["vcf"].read_bytes()
    cut = d / "cut.vcf.gz"
    cut.write_bytes(data[: len(data) // 2])
    Path(f"{cut}.tbi").write_bytes(Path(f"{synthetic['vcf']}.tbi").read_bytes())
    rc = filter_cli(cut, d, synthetic["fasta"], synthetic["dbsnp"])
    assert_failed_cleanly(rc, d, capsys, "cut.vcf.gz", "truncated")
    rc = filter_cli(synthetic["vcf"], d, synthetic["fasta"], cut)
    assert_failed_cleanly(rc, d, capsys, "cut.vcf.gz", "truncated")


def test_multi_sample_vcf(synthetic, capsys) -> None:
    d = synthetic["dir"]
    calls = make_calls(synthetic["fasta"], 20, seed=5)
    vcf = write_vcf(d / "two.vcf", calls, ["chr1", "chr2"], samples=("S1", "S2"))
    rc = filter_cli(vcf, d, synthetic["fasta"], synthetic["dbsnp"])
    assert_failed_cleanly(rc, d, capsys, "two.vcf.gz", "2 samples", "expected 1")


def test_ref_mismatch_is_input_error(synthetic) -> None:
    d = synthetic["dir"]
    fa = pysam.FastaFile(str(synthetic["fasta"]))
    wrong = next(b for b in "ACGT" if b != fa.fetch("chr1", 99, 100))
    plain = d / "wrongref.vcf"
    plain.write_text(vcf_header(["chr1"], ["S1"]) + f"chr1\t100\t.\t{wrong}\tN\t.\t.\t.\tAD\t1,5\n")
    with pytest.raises(InputError, match=r"wrongref\.vcf"):
        filter_calls("S1", bgzip_index(plain), synthetic["dbsnp"], synthetic["fasta"], d / "o")


# --- user VCF without AD, counted from a BAM -----------------------------------------------


def write_bam(path: Path, fasta: Path, reads: list[tuple[str, int, str, str, int, int]]) -> Path:
    """Sorted, indexed BAM of (chrom, 0-based start, CIGAR, sequence, flag, MAPQ) reads."""
    fa = pysam.FastaFile(str(fasta))
    contigs = [{"SN": c, "LN": fa.get_reference_length(c)} for c in fa.references]
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": contigs}
    unsorted = path.with_suffix(".unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
        for i, (chrom, start, cigar, seq, flag, mapq) in enumerate(reads):
            a = pysam.AlignedSegment(out.header)
            a.query_name, a.flag, a.reference_name = f"r{i}", flag, chrom
            a.reference_start, a.mapping_quality, a.cigarstring = start, mapq, cigar
            a.query_sequence = seq
            a.query_qualities = pysam.qualitystring_to_array("I" * len(seq))
            out.write(a)
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    return path


def other(base: str) -> str:
    return next(b for b in "ACGT" if b != base)


def bam_scenario(tmp_path: Path) -> tuple[Path, Path, list[tuple[str, int, str, str, tuple]]]:
    """A BAM and the alleles it supports: (chrom, pos, ref, alt, expected AD)."""
    fasta = write_genome(tmp_path)
    g = {c: pysam.FastaFile(str(fasta)).fetch(c) for c in ("chr1", "chr2")}
    reads: list[tuple[str, int, str, str, int, int]] = []
    # SNV at chr1:1000: 8 alt + 7 ref reads count, alt reads near an end or a soft clip too
    # (issue 13); duplicate-flagged or multi-mapped (MAPQ 3) ones do not
    s, alt = 999, other(g["chr1"][999])
    with_alt = g["chr1"][:s] + alt + g["chr1"][s + 1 :]
    reads += [("chr1", 975, "50M", with_alt[975:1025], 0, 255)] * 5
    reads += [("chr1", 980, "50M", g["chr1"][980:1030], 0, 255)] * 7
    reads += [("chr1", 997, "50M", with_alt[997:1047], 0, 255)] * 2
    reads += [("chr1", 993, "10S40M", "A" * 10 + with_alt[993:1033], 0, 255)]
    reads += [("chr1", 975, "50M", with_alt[975:1025], 0x400, 255)]
    reads += [("chr1", 975, "50M", with_alt[975:1025], 0, 3)]
    # 2-base deletion after chr2:2000 (4 reads) and 3-base insertion after chr2:5000 (3 reads)
    c2 = g["chr2"]
    d = next(p for p in range(2000, 2100) if c2[p + 1] != c2[p - 1] and c2[p] != c2[p - 1])
    reads += [("chr2", d - 25, "25M2D25M", c2[d - 25 : d] + c2[d + 2 : d + 27], 0, 255)] * 4
    reads += [("chr2", d - 20, "50M", c2[d - 20 : d + 30], 0, 255)] * 3
    i = 5000
    ins = "".join(other(c2[i - 1]) for _ in range(3))
    reads += [("chr2", i - 25, "25M3I25M", c2[i - 25 : i] + ins + c2[i : i + 25], 0, 255)] * 3
    reads += [("chr2", i - 20, "50M", c2[i - 20 : i + 30], 0, 255)] * 2
    bam = write_bam(tmp_path / "s.bam", fasta, reads)
    alleles = [
        ("chr1", s + 1, g["chr1"][s], alt, (7, 8)),
        ("chr2", d, c2[d - 1 : d + 2], c2[d - 1], (3, 4)),
        ("chr2", i, c2[i - 1], c2[i - 1] + ins, (2, 3)),
    ]
    return fasta, bam, alleles


def test_user_vcf_without_ad_counts_alleles_from_bam(tmp_path: Path) -> None:
    fasta, bam, alleles = bam_scenario(tmp_path)
    plain = tmp_path / "gatk.vcf"
    body = "".join(f"{c}\t{p}\t.\t{r}\t{a}\t50\tPASS\t.\tGT\t0/1\n" for c, p, r, a, _ in alleles)
    plain.write_text(vcf_header(["chr1", "chr2"], ["S1"], ad=False) + body)
    vcf = bgzip_index(plain)
    out = tmp_path / "out"
    assert (
        run_cli(
            "variants",
            "call",
            "--sample",
            "S1",
            "--vcf",
            vcf,
            "--bam",
            bam,
            "--fasta",
            fasta,
            "--outdir",
            out,
        )
        == 0
    )
    with pysam.VariantFile(str(out / "S1.calls.vcf.gz")) as vf:
        got = {(r.chrom, r.pos, r.ref, r.alts[0]): r.samples[0]["AD"] for r in vf}
    assert got == {(c, p, r, a): ad for c, p, r, a, ad in alleles}


def test_unannotated_junction_next_to_alt_is_not_evidence(tmp_path: Path) -> None:
    """A STAR overhang placed at a wrong acceptor: 3 reads show the alt 4 bases after their
    junction; only an annotated intron makes those bases evidence."""
    fasta = write_genome(tmp_path)
    g = pysam.FastaFile(str(fasta)).fetch("chr1")
    s = 20_000
    alt = other(g[s])
    acceptor = s - 4
    seq = g[18_000:18_030] + g[acceptor:s] + alt + g[s + 1 : s + 16]
    reads = [("chr1", 18_000, f"30M{acceptor - 18_030}N20M", seq, 0, 255)] * 3
    reads += [("chr1", s - 25, "50M", g[s - 25 : s + 25], 0, 255)] * 2
    bam = write_bam(tmp_path / "j.bam", fasta, reads)
    with pysam.AlignmentFile(str(bam)) as af, pysam.FastaFile(str(fasta)) as genome:
        assert count_alleles(af, genome, "chr1", s + 1, g[s], alt, frozenset()) == (2, 0)
        assert count_alleles(
            af, genome, "chr1", s + 1, g[s], alt, frozenset({(18_030, acceptor)})
        ) == (
            2,
            3,
        )
        assert count_alleles(af, genome, "chr1", s + 1, g[s], alt, None) == (2, 3)


# --- HGVS on synthetic transcripts: names come from the mRNA, whatever the gene's strand -----

FLANK = "CCCCCCCCCC"
INTRON = "GTAAGTTTTTTTTTTTTTTTTCAG"
UTR5, UTR3 = "GC", "CCTAGG"
SPLIT = 14  # mRNA bases in the first exon


@dataclass(frozen=True)
class Model:
    """A transcript, its genome (1-based position 1 = ``genome[0]``) and its mRNA."""

    t: Transcript
    genome: str
    mrna: str

    def g(self, m: int) -> int:
        """Genomic position of 1-based mRNA position ``m``."""
        exons = self.t.ordered_exons()
        for a, b in exons:
            if m <= b - a + 1:
                return a + m - 1 if self.t.strand == "+" else b - m + 1
            m -= b - a + 1
        raise ValueError(m)

    def effect(self, pos: int, ref: str, alt: str) -> Effect:
        return variant_effect(self.t, pos, ref, alt, self.genome, 1, self.mrna)

    def deletion(self, pos: int, n: int) -> Effect:
        """Delete ``n`` genomic bases after ``pos``, written as a VCF allele anchored at pos."""
        ref = self.genome[pos - 1 : pos + n]
        return self.effect(pos, ref, ref[0])


def model(coding: str, strand: str) -> Model:
    """A coding transcript with 5' and 3' UTRs and one intron, on ``strand``."""
    mrna = UTR5 + coding + UTR3
    first, second = mrna[:SPLIT], mrna[SPLIT:]
    sense = FLANK + first + INTRON + second + FLANK
    genome = sense if strand == "+" else revcomp(sense)
    e1 = (len(FLANK) + 1, len(FLANK) + len(first))
    e2 = (e1[1] + len(INTRON) + 1, e1[1] + len(INTRON) + len(second))
    if strand == "-":
        size = len(genome)
        e1, e2 = (size + 1 - e2[1], size + 1 - e2[0]), (size + 1 - e1[1], size + 1 - e1[0])
    t = Transcript("T1", "T-201", "G1", "G", "chr1", strand, exons=[e1, e2])
    m = Model(t, genome, mrna)
    lo, hi = sorted((m.g(len(UTR5) + 1), m.g(len(UTR5) + len(coding))))
    t.cds = [(lo, max(e1)), (min(e2), hi)] if lo <= e1[1] < hi else [(lo, hi)]
    return m


@pytest.mark.parametrize("strand", ["+", "-"])
def test_snv_named_on_the_transcript_strand(strand: str) -> None:
    """c.8T>C in codon 3 (CTG -> CCG): genomic A>G on the minus strand, same name."""
    m = model("ATGAAACTGGGCTTTGAATAA", strand)
    g = m.g(len(UTR5) + 8)
    ref = m.genome[g - 1]
    assert ref == ("T" if strand == "+" else "A")
    eff = m.effect(g, ref, "C" if strand == "+" else "G")
    assert (eff.consequence, eff.hgvsc, eff.hgvsp, eff.hgvsp_short) == (
        "missense_variant",
        "c.8T>C",
        "p.Leu3Pro",
        "p.L3P",
    )


@pytest.mark.parametrize("strand", ["+", "-"])
def test_frameshift_named_at_first_changed_residue_with_new_stop(strand: str) -> None:
    """ATG GCC AAA TTG ACC TAA minus c.4G -> ATG CCA AAT TGA: p.Ala2ProfsTer3.

    c.3 and c.4 are both G, so the deletion is c.4del (3'-most) whatever VCF position names it.
    """
    m = model("ATGGCCAAATTGACCTAA", strand)
    lo = min(m.g(len(UTR5) + 3), m.g(len(UTR5) + 4))
    eff = m.deletion(lo - 1, 1)  # left-aligned on the genome, as bcftools norm writes it
    assert (eff.consequence, eff.hgvsc, eff.hgvsp, eff.hgvsp_short) == (
        "frameshift_variant",
        "c.4del",
        "p.Ala2ProfsTer3",
        "p.A2Pfs*3",
    )


@pytest.mark.parametrize("strand", ["+", "-"])
def test_inframe_deletion_shifted_3prime_on_the_transcript(strand: str) -> None:
    """ATG AAG AAG CTT TAA minus one AAG: left-aligned on either strand, named c.7_9del.

    On the plus strand bcftools writes the deletion at c.3_5 (GAA), which HGVS shifts to the
    3'-most copy; on the minus strand the genome's left is the transcript's 3' end already.
    """
    m = model("ATGAAGAAGCTTTAA", strand)
    ends = [m.g(len(UTR5) + c) for c in ((3, 5) if strand == "+" else (7, 9))]
    lo = min(ends)
    eff = m.deletion(lo - 1, 3)
    assert (eff.consequence, eff.hgvsc, eff.hgvsp, eff.hgvsp_short) == (
        "inframe_deletion",
        "c.7_9del",
        "p.Lys3del",
        "p.K3del",
    )


def test_snv_in_second_exon_of_minus_strand_gene() -> None:
    """Exon order follows transcription: on '-' the first exon has the higher coordinates."""
    m = model("ATGAAACTGGGCTTTGAATAA", "-")
    c = 16  # codon 6 GAA, first base, in the second exon
    g = m.g(len(UTR5) + c)
    assert g < m.t.exons[0][1]
    eff = m.effect(g, m.genome[g - 1], "A")  # G>T on the mRNA: GAA -> TAA
    assert (eff.consequence, eff.hgvsc, eff.hgvsp) == ("stop_gained", "c.16G>T", "p.Glu6Ter")
