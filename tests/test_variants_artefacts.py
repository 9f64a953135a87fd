"""The three ways calls went wrong at real depth (issue 13), each on a BAM built here:

(a) true alt reads near read ends and soft clips were thrown away (ABL1 E255K-like);
(b) reads crossing a fusion junction, aligned a few bases into the 5' partner's intron, made
    a passing "splice donor" call;
(c) reads of a near-identical paralog made a passing missense call.

Genome, GTF, BAM (with NM tags) and dbSNP are written with pysam; ``call_bam`` and
``filter_calls`` run on them as the pipeline runs them.
"""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from bundles import bundle_of
from test_variants_filter import bgzip_index, other, write_genome
from tkiseq.errors import InputError
from tkiseq.variants.call import CallParams, call_bam
from tkiseq.variants.counts import indel_side
from tkiseq.variants.filter import (
    FilterParams,
    filter_calls,
    filter_reasons,
    fusion_spans,
    paralog_reads,
    site_depth,
)

EXON1, EXON2 = (501, 1500), (3001, 3500)  # 1-based inclusive; intron 1501-3000
Read = tuple[int, str, str, int]  # 0-based start, CIGAR, sequence, MAPQ


def write_gtf(folder: Path, pseudogene: tuple[int, int] | None = None) -> Path:
    """GENE1 (two exons); with ``pseudogene``, a one-exon processed pseudogene there too."""
    attrs = 'gene_id "G1"; transcript_id "T1"; gene_name "GENE1"; gene_type "protein_coding";'
    rows = [("gene", 501, 3500), ("transcript", 501, 3500), ("exon", *EXON1), ("exon", *EXON2)]
    text = "".join(f"chr1\tt\t{f}\t{a}\t{b}\t.\t+\t.\t{attrs}\n" for f, a, b in rows)
    if pseudogene:
        attrs = 'gene_id "G2"; transcript_id "T2"; gene_name "GENE1P1"; '
        attrs += 'gene_type "processed_pseudogene";'
        text += "".join(
            f"chr1\tt\t{f}\t{pseudogene[0]}\t{pseudogene[1]}\t.\t+\t.\t{attrs}\n"
            for f in ("gene", "transcript", "exon")
        )
    gtf = folder / "genes.gtf"
    gtf.write_text(text)
    return gtf


def empty_dbsnp(folder: Path) -> Path:
    text = (
        "##fileformat=VCFv4.2\n##contig=<ID=chr2>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    )
    text += "chr1\t5\trs1\tA\tC\t.\t.\t.\n"
    path = folder / "dbsnp.vcf"
    path.write_text(text)
    return bgzip_index(path)


def edit_distance(genome: str, start: int, cigar: str, seq: str) -> int:
    """NM of a read: mismatches in aligned blocks plus inserted and deleted bases."""
    nm, r, q = 0, start, 0
    for op, n in _ops(cigar):
        if op in "M=X":
            nm += sum(a != b for a, b in zip(seq[q : q + n], genome[r : r + n], strict=True))
            r, q = r + n, q + n
        elif op in "DN":
            nm += n if op == "D" else 0
            r += n
        elif op == "I":
            nm, q = nm + n, q + n
        elif op == "S":
            q += n
    return nm


def _ops(cigar: str) -> list[tuple[str, int]]:
    out, num = [], ""
    for ch in cigar:
        if ch.isdigit():
            num += ch
        else:
            out.append((ch, int(num)))
            num = ""
    return out


def write_bam(path: Path, fasta: Path, reads: list[Read]) -> Path:
    """Sorted, indexed BAM of chr1 reads, base quality 40, NM computed from the genome."""
    fa = pysam.FastaFile(str(fasta))
    genome = fa.fetch("chr1")
    contigs = [{"SN": c, "LN": fa.get_reference_length(c)} for c in fa.references]
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": contigs}
    unsorted = path.with_suffix(".unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
        for i, (start, cigar, seq, mapq) in enumerate(reads):
            a = pysam.AlignedSegment(out.header)
            a.query_name, a.flag, a.reference_name = f"r{i}", 0, "chr1"
            a.reference_start, a.mapping_quality, a.cigarstring = start, mapq, cigar
            a.query_sequence = seq
            a.query_qualities = pysam.qualitystring_to_array("I" * len(seq))
            a.set_tag("NM", edit_distance(genome, start, cigar, seq))
            out.write(a)
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    unsorted.unlink()
    return path


def mutate(genome: str, changes: dict[int, str]) -> str:
    chars = list(genome)
    for site, base in changes.items():
        chars[site] = base
    return "".join(chars)


def run_stage(
    tmp: Path,
    reads: list[Read],
    params: CallParams | None = None,
    fusions: Path | None = None,
    pseudogene: tuple[int, int] | None = None,
) -> dict[tuple[int, str], set[str]]:
    """(pos, alt) -> FILTER values of every call on chr1 (genome.fa beside ``tmp``)."""
    fasta = tmp.parent / "genome.fa"
    tmp.mkdir()
    bam = write_bam(tmp / "s.bam", fasta, reads)
    bundle = bundle_of(write_gtf(tmp, pseudogene))
    calls = call_bam("S1", bam, fasta, bundle, tmp / "call", params=params)
    all_vcf, _ = filter_calls("S1", calls, empty_dbsnp(tmp), fasta, tmp / "filter", fusions=fusions)
    with pysam.VariantFile(str(all_vcf)) as vf:
        return {(r.pos, r.alts[0]): set(r.filter.keys()) for r in vf}


@pytest.fixture
def genome(tmp_path: Path) -> str:
    return pysam.FastaFile(str(write_genome(tmp_path, ("chr1",)))).fetch("chr1")


def test_alt_reads_near_read_ends_and_soft_clips_count(tmp_path: Path, genome: str) -> None:
    """(a) 8 of 28 reads carry the alt, every one within 3 bases of an end or a soft clip
    (as STAR leaves reads whose variant sits near their end): the call passes; the former
    rules (5 bases from an end, 8 from a clip) would keep 0 alt reads of 20."""
    s = 999
    alt = other(genome[s])
    g = mutate(genome, {s: alt})
    reads: list[Read] = [(s - 25, "50M", genome[s - 25 : s + 25], 255)] * 20
    reads += [(s - 2, "50M", g[s - 2 : s + 48], 255)] * 3  # alt 2 bases after the start
    reads += [(s - 46, "50M", g[s - 46 : s + 4], 255)] * 3  # alt 3 bases before the end
    clipped = "ACGTA" + g[s - 3 : s + 42]  # 5 unaligned bases, then alt 3 bases in
    reads += [(s - 3, "5S45M", clipped, 255)] * 2
    got = run_stage(tmp_path / "run", reads)
    assert got[(s + 1, alt)] == {"PASS"}
    before = run_stage(tmp_path / "old", reads, CallParams(edge=5, clip_pad=8))
    assert before[(s + 1, alt)] == {"min_alt_reads", "min_vaf"}


def junction_reads(genome: str, last: int) -> tuple[list[Read], str]:
    """6 reads whose aligned part ends at 1-based ``last`` and continues with 2 bases that
    differ from the genome, then 21 clipped bases (the aligner placed the first 2 bases of
    the read's next piece after ``last``); 10 reads end well before ``last``."""
    bases = other(genome[last]) + other(genome[last + 1])
    seq = genome[last - 48 : last] + bases + "TTGACCAGTTGACCAGTTGAC"
    reads: list[Read] = [(last - 48, "50M21S", seq, 255)] * 6
    reads += [(last - 60, "50M", genome[last - 60 : last - 10], 255)] * 10
    return reads, bases


def test_spliced_reads_extended_into_the_intron_are_not_evidence(
    tmp_path: Path, genome: str
) -> None:
    """Reads whose next exon piece was too short to place, extended 2 bases into the
    annotated intron after exon 1 (or across a fusion junction at that exon end): without
    the ``intron_end`` rule their mismatches pass at VAF 1.0, with it they count for
    neither allele."""
    last = EXON1[1]
    reads, bases = junction_reads(genome, last)
    sites = {(last + 1, bases[0]), (last + 2, bases[1])}
    kept = run_stage(tmp_path / "off", reads, CallParams(intron_end=0))
    assert all(kept[k] == {"PASS"} for k in sites)
    got = run_stage(tmp_path / "on", reads)
    assert all(got[k] == {"min_alt_reads", "min_vaf"} for k in sites)


def test_fusion_junction_calls_flagged(tmp_path: Path, genome: str) -> None:
    """(b) A fusion whose breakpoint is inside exon 1 (no annotated intron to explain the
    reads): without the sample's fusions the 2 mismatches past it pass at VAF 1.0; with its
    fusions.tsv they are ``fusion_junction`` and nothing else changes."""
    last = 1200
    reads, bases = junction_reads(genome, last)
    fusions = tmp_path / "S1.fusions.tsv"
    fusions.write_text(
        "sample\tgene5\tgene3\tbreakpoint5\tbreakpoint3\tsplit_reads\n"
        f"S1\tGENE1\tPARTNER\tchr1:{last}:+\tchr2:20000:+\t6\n"
    )
    plain = run_stage(tmp_path / "plain", reads)
    flagged = run_stage(tmp_path / "flagged", reads, fusions=fusions)
    sites = {(last + 1, bases[0]), (last + 2, bases[1])}
    assert all(plain[k] == {"PASS"} for k in sites)
    assert all(flagged[k] == {"fusion_junction"} for k in sites)
    assert {k: v for k, v in flagged.items() if k not in sites} == {
        k: v for k, v in plain.items() if k not in sites
    }


@pytest.mark.parametrize(
    ("strand5", "strand3", "expected"),
    [
        ("+", "+", {"chr1": [(101, 110)], "chr2": [(190, 199)]}),
        ("-", "-", {"chr1": [(90, 99)], "chr2": [(201, 210)]}),
    ],
)
def test_fusion_spans_are_on_the_intron_side(tmp_path, strand5, strand3, expected) -> None:
    """Past breakpoint5 = downstream on the 5' partner's strand; past breakpoint3 (seen from
    the junction) = upstream on the 3' partner's strand."""
    path = tmp_path / "f.tsv"
    path.write_text(f"breakpoint5\tbreakpoint3\nchr1:100:{strand5}\tchr2:200:{strand3}\n")
    assert fusion_spans(path, 10) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("gene5\tbreakpoint5\nA\tchr1:5:+\n", r"f\.tsv.*missing column\(s\) breakpoint3"),
        ("breakpoint5\tbreakpoint3\nchr1:5:+\tchr2:x:+\n", r"f\.tsv.*line 2.*column 2"),
    ],
)
def test_bad_fusions_table(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "f.tsv"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        fusion_spans(path, 10)


def test_paralog_reads_flagged(tmp_path: Path, genome: str) -> None:
    """(c) 3 of 24 reads carry the alt and 4 more differences each (a 95 %-identical
    paralog): ``paralog``; a true variant nearby whose alt reads match the genome otherwise
    passes; a site where most reads are multi-mapped (MAPQ 3) is ``paralog`` too."""
    s, t, u = 1099, 1199, 1299
    para = mutate(
        genome, {s: other(genome[s])} | {s + d: other(genome[s + d]) for d in (-9, 7, 15, 21)}
    )
    true = mutate(genome, {t: other(genome[t])})
    multi = mutate(genome, {u: other(genome[u])})
    reads: list[Read] = [(s - 25, "50M", genome[s - 25 : s + 25], 255)] * 21
    reads += [(s - 20, "50M", para[s - 20 : s + 30], 255)] * 3
    reads += [(t - 25, "50M", genome[t - 25 : t + 25], 255)] * 20
    reads += [(t - 24, "50M", true[t - 24 : t + 26], 255)] * 5
    reads += [(u - 25, "50M", genome[u - 25 : u + 25], 3)] * 15
    reads += [(u - 25, "50M", genome[u - 25 : u + 25], 255)] * 5
    reads += [(u - 24, "50M", multi[u - 24 : u + 26], 255)] * 4
    got = run_stage(tmp_path / "run", reads)
    assert got[(s + 1, para[s])] == {"paralog"}
    assert got[(t + 1, true[t])] == {"PASS"}
    assert got[(u + 1, multi[u])] == {"paralog"}
    with pysam.VariantFile(str(tmp_path / "run" / "filter" / "S1.all.vcf.gz")) as vf:
        info = {
            r.pos: tuple(r.info[k] for k in ("AMM", "LMQ", "AXM", "RXM"))
            for r in vf
            if r.pos in (s + 1, t + 1)
        }
    assert info == {s + 1: (4.0, 0.0, 3, 0), t + 1: (0.0, 0.0, 0, 0)}


def test_allele_phased_with_a_germline_snp_is_not_a_paralog(tmp_path: Path, genome: str) -> None:
    """Every alt read also carries a germline SNP 12 bases away (one more mismatch each, none
    on the ref reads): a true allele, not a paralog's reads, so it passes."""
    s = 1399
    both = mutate(genome, {s: other(genome[s]), s + 12: other(genome[s + 12])})
    reads: list[Read] = [(s - 25, "50M", genome[s - 25 : s + 25], 255)] * 20
    reads += [(s - 24, "50M", both[s - 24 : s + 26], 255)] * 6
    got = run_stage(tmp_path / "run", reads)
    assert got[(s + 1, both[s])] == {"PASS"}


@pytest.mark.parametrize(
    ("alt", "ref", "alt_noisy", "ref_noisy", "flagged"),
    [
        (3, 21, 3, 0, True),  # every alt read a paralog's: P = 1 / C(24, 3)
        (40, 300, 12, 15, True),  # 30 % of the alt reads noisy vs 5 % of the ref reads
        (10, 100, 3, 30, False),  # a noisy region: ref reads as noisy as the alt reads
        (20, 200, 4, 0, False),  # 20 % noisy: below the share the rule needs
        (3, 30, 1, 2, False),  # one noisy read of three: chance
        (5, 0, 5, 0, False),  # no ref reads: no background to compare with
    ],
)
def test_paralog_rule(alt, ref, alt_noisy, ref_noisy, flagged) -> None:
    assert paralog_reads(alt, ref, alt_noisy, ref_noisy, FilterParams()) is flagged


@pytest.mark.parametrize("spliced", [True, False])
def test_vaf_shortcut_is_bounded_by_the_reads_rules_can_remove(
    tmp_path: Path, genome: str, spliced: bool
) -> None:
    """4 alt of 44 reads in the pileup (VAF 0.09). When 20 ref reads carry an unannotated
    junction 4 bases after the site, the recount removes them (VAF 4/24) and the call passes:
    the shortcut must not skip it. Without those junctions the pileup VAF bounds the recount
    and the call keeps its pileup counts (INFO/PILEUP) and fails min_vaf."""
    s = 3199
    alt = other(genome[s])
    g = mutate(genome, {s: alt})
    reads: list[Read] = [(s - 25, "50M", g[s - 25 : s + 25], 255)] * 4
    reads += [(s - 25, "50M", genome[s - 25 : s + 25], 255)] * 20
    if spliced:
        seq = genome[s - 30 : s + 4] + genome[s + 504 : s + 520]
        reads += [(s - 30, "34M500N16M", seq, 255)] * 20
    else:
        reads += [(s - 30, "50M", genome[s - 30 : s + 20], 255)] * 20
    got = run_stage(tmp_path / "run", reads)
    with pysam.VariantFile(str(tmp_path / "run" / "call" / "S1.calls.vcf.gz")) as vf:
        rec = next(r for r in vf if r.pos == s + 1)
        assert ("PILEUP" in rec.info) is not spliced
        assert rec.samples[0]["AD"] == ((20, 4) if spliced else (40, 4))
    assert got[(s + 1, alt)] == ({"PASS"} if spliced else {"min_vaf"})


def test_error_reads_at_a_homozygous_germline_site_fail_min_vaf(
    tmp_path: Path, genome: str
) -> None:
    """40 reads carry a homozygous germline allele, 3 a third allele from errors: the third
    allele's split record has AD (0, 3), a VAF of 1.0 by ref + alt, but 3 of 43 reads at the
    site (FORMAT/DP), so it fails min_vaf; the germline allele itself passes (empty dbSNP)."""
    s = 1199
    germ = other(genome[s])
    error = next(b for b in "ACGT" if b not in (genome[s], germ))
    reads: list[Read] = [(s - 25, "50M", mutate(genome, {s: germ})[s - 25 : s + 25], 255)] * 40
    reads += [(s - 20, "50M", mutate(genome, {s: error})[s - 20 : s + 30], 255)] * 3
    got = run_stage(tmp_path / "run", reads)
    assert got[(s + 1, germ)] == {"PASS"}
    assert got[(s + 1, error)] == {"min_vaf"}


def test_vaf_denominator_is_the_site_depth() -> None:
    p = FilterParams()
    assert filter_reasons(0, 3, None, p, depth=43) == ["min_vaf"]
    assert filter_reasons(0, 3, None, p) == []  # no DP: ref + alt
    assert filter_reasons(26, 3, None, p, depth=20) == []  # DP below ref + alt is not used
    assert site_depth(0, 3, ".") == 3 and site_depth(0, 3, "43") == 43


def test_reads_stopping_at_a_deletion_are_told_by_their_last_bases(
    tmp_path: Path, genome: str
) -> None:
    """A 1-base deletion: 4 reads carry it as a gap, 3 stop at its anchor and soft-clip the
    allele's next bases (as STAR does near read ends), 2 stop at the anchor with nothing
    after it, 20 read through the reference. The clipped reads are alt, the two that stop
    cannot tell (they were counted as reference): AD (20, 7), not (25, 4)."""
    s = next(i for i in range(1250, 1400) if genome[i] != genome[i + 1] != genome[i + 2])
    ref, alt = genome[s : s + 2], genome[s]
    deleted = genome[: s + 1] + genome[s + 2 :]
    reads: list[Read] = [(s - 25, "50M", genome[s - 25 : s + 25], 255)] * 20
    reads += [(s - 24, "25M1D25M", deleted[s - 24 : s + 26], 255)] * 4
    reads += [(s - 44, "45M5S", deleted[s - 44 : s + 6], 255)] * 3
    reads += [(s - 44, "45M", genome[s - 44 : s + 1], 255)] * 2
    run_stage(tmp_path / "run", reads)
    with pysam.VariantFile(str(tmp_path / "run" / "call" / "S1.calls.vcf.gz")) as vf:
        ad = {(r.pos, r.ref, r.alts[0]): r.samples[0]["AD"] for r in vf}
    assert ad[(s + 1, ref, alt)] == (20, 7)


@pytest.mark.parametrize(
    ("tail", "side"),
    [("GCTTA", -1), ("CTTAG", 1), ("", 0), ("G", -1), ("C", 1), ("A", 0), ("GCTAA", -1)],
)
def test_indel_side(tail: str, side: int) -> None:
    """Reference GCTTAG after the anchor, the deletion's CTTAG: nearest wins, ties tell
    nothing, one error does not flip a read."""
    assert indel_side(tail, ("GCTTAG", "CTTAGA")) == side


def test_calls_in_a_pseudogene_only_exon_are_flagged(tmp_path: Path, genome: str) -> None:
    """A processed pseudogene in GENE1's intron (2001-2300) and overlapping its first exon's
    end (1401-1600): a call in the pseudogene's own exon is ``pseudogene``; one in the part
    GENE1's exon also covers, and one elsewhere in GENE1, pass."""
    reads: list[Read] = []
    alts = {}
    for s in (2099, 1449, 1199):
        alts[s] = other(genome[s])
        reads += [(s - 25, "50M", genome[s - 25 : s + 25], 255)] * 20
        reads += [(s - 24, "50M", mutate(genome, {s: alts[s]})[s - 24 : s + 26], 255)] * 5
    got = run_stage(tmp_path / "one", reads, pseudogene=(2001, 2300))
    assert got[(2100, alts[2099])] == {"pseudogene"}
    assert got[(1200, alts[1199])] == {"PASS"}
    got = run_stage(tmp_path / "overlap", reads, pseudogene=(1401, 1600))
    assert got[(1450, alts[1449])] == {"PASS"}
    assert got[(1200, alts[1199])] == {"PASS"}


def test_insertion_in_a_repeat_counts_wherever_the_reads_place_it(tmp_path: Path) -> None:
    """A TG insertion in (TG)6, as in PAK4 on real BT474 reads: the VCF anchors it left of
    the repeat, STAR places it at the repeat's right end. 6 reads carry it there, 3 stop at
    the repeat's end and soft-clip the allele with the next bases (the allele at the read's
    edge), 2 end inside the repeat (cannot tell), 20 read through the reference: AD (20, 9),
    not (20, 3) (only the clipped reads, whose bases were read past the repeat)."""
    fasta = write_genome(tmp_path, ("chr1",))
    s = 1300  # 0-based anchor, inside the exon
    genome = pysam.FastaFile(str(fasta)).fetch("chr1")
    repeat = "A" + "TG" * 6 + "CAAAGG"
    genome = genome[:s] + repeat + genome[s + len(repeat) :]
    fasta.write_text(f">chr1\n{genome}\n")
    Path(f"{fasta}.fai").unlink()
    pysam.faidx(str(fasta))
    right = s + 13  # 0-based: the first base after the repeat
    alt = genome[:right] + "TG" + genome[right:]
    reads: list[Read] = [(s - 25, "50M", genome[s - 25 : s + 25], 255)] * 20
    reads += [(right - 30, "30M2I18M", alt[right - 30 : right + 20], 255)] * 6
    reads += [(right - 40, "40M6S", alt[right - 40 : right + 6], 255)] * 3
    reads += [(s - 40, "48M", genome[s - 40 : s + 8], 255)] * 2
    run_stage(tmp_path / "run", reads)
    with pysam.VariantFile(str(tmp_path / "run" / "call" / "S1.calls.vcf.gz")) as vf:
        ad = {(r.pos, r.ref, r.alts[0]): r.samples[0]["AD"] for r in vf}
    assert ad[(s + 1, "A", "ATG")] == (20, 9)
