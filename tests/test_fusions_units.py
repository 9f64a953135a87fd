"""Fusion calling on hand-written STAR junction lines and a three-gene GTF (no STAR run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundles import bundle_of
from tkiseq.cli import main
from tkiseq.errors import InputError
from tkiseq.fusions import artifacts as af
from tkiseq.fusions import stage_call, stage_cohort
from tkiseq.fusions.annotation import read_annotation
from tkiseq.fusions.call import (
    COLUMNS,
    call_fusions,
    catalogue_symbol,
    known_subtype,
    load_known_fusions,
    orient,
)
from tkiseq.fusions.frame import bcr_abl1_isoform, bcr_abl1_protein, reading_frame
from tkiseq.fusions.junctions import CHIMERIC_HEADER, read_chimeric, read_sj
from tkiseq.stage_options import NoParams

# BCR (+, chr22): exons 1000-1099, 2000-2099, 3000-3099; CDS from 1050 (51 + 100 + 50 bases).
# ABL1 (+, chr9): exon 1a 500-599 (UTR), a2 5000-5173, a3 6000-6122; CDS 5000-6100.
# GNG5 (-, chr22) sits 3 kb downstream of BCR on the other strand; BCRP1 a paralog name.
# RDT (+, chr22) starts 5 kb after BCR's end: a read-through partner.
GTF_ROWS = [
    ("chr22", "gene", 1000, 3099, "+", "G1", None, "BCR", "protein_coding"),
    ("chr22", "exon", 1000, 1099, "+", "G1", "T1", "BCR", "protein_coding"),
    ("chr22", "CDS", 1050, 1099, "+", "G1", "T1", "BCR", "protein_coding"),
    ("chr22", "exon", 2000, 2099, "+", "G1", "T1", "BCR", "protein_coding"),
    ("chr22", "CDS", 2000, 2099, "+", "G1", "T1", "BCR", "protein_coding"),
    ("chr22", "exon", 3000, 3099, "+", "G1", "T1", "BCR", "protein_coding"),
    ("chr22", "CDS", 3000, 3049, "+", "G1", "T1", "BCR", "protein_coding"),
    ("chr22", "exon", 8100, 8199, "+", "G3", "T3", "RDT", "protein_coding"),
    ("chr22", "exon", 8300, 8399, "+", "G3", "T3", "RDT", "protein_coding"),
    ("chr9", "exon", 500, 599, "+", "G2", "T2", "ABL1", "protein_coding"),
    ("chr9", "exon", 5000, 5173, "+", "G2", "T2", "ABL1", "protein_coding"),
    ("chr9", "CDS", 5000, 5173, "+", "G2", "T2", "ABL1", "protein_coding"),
    ("chr9", "exon", 6000, 6122, "+", "G2", "T2", "ABL1", "protein_coding"),
    ("chr9", "CDS", 6000, 6100, "+", "G2", "T2", "ABL1", "protein_coding"),
    ("chrM", "exon", 100, 900, "+", "G4", "T4", "MT-RNR2", "Mt_rRNA"),
]


def write_gtf(path: Path, with_names: bool = True) -> Path:
    lines = []
    for chrom, feat, s, e, strand, gid, tid, name, gtype in GTF_ROWS:
        attrs = f'gene_id "{gid}";'
        if tid:
            attrs += f' transcript_id "{tid}";'
        if with_names:
            attrs += f' gene_name "{name}";'
        attrs += f' gene_type "{gtype}";'
        lines.append("\t".join([chrom, "T", feat, str(s), str(e), ".", strand, ".", attrs]))
    path.write_text("\n".join(lines) + "\n")
    return path


def chim_line(
    a: tuple[str, int, str], b: tuple[str, int, str], read: str, jtype: int = 1, n_aln: int = 1
) -> str:
    """One format-1 line; CIGARs give 50 aligned bases on each side of the junction."""
    fields = [
        a[0],
        str(a[1]),
        a[2],
        b[0],
        str(b[1]),
        b[2],
        str(jtype),
        "0",
        "0",
        read,
        "1",
        "50M50S",
        "1",
        "50S50M",
        str(n_aln),
        "200",
        "100",
        "198",
        "198",
        "0",
        "rg",
    ]
    return "\t".join(fields)


def write_chimeric(path: Path, lines: list[str], footer: bool = True) -> Path:
    text = ["\t".join([*CHIMERIC_HEADER, "PEmerged_bool", "readgrp"]), *lines]
    if footer:
        text += [
            "# 2.7.10b   STAR --chimOutJunctionFormat 1",
            "# Nreads 2000000\tNreadsUnique 900000\tNreadsMulti 100000",
        ]
    path.write_text("\n".join(text) + "\n")
    return path


# BCR exon 1 (last base 1099) -> ABL1 a2 (first base 5000): STAR's intron bases 1100 / 4999.
E1A2 = (("chr22", 1100, "+"), ("chr9", 4999, "+"))
# The same junction read from the other strand.
E1A2_REVERSED = (("chr9", 4999, "-"), ("chr22", 1100, "-"))


@pytest.fixture
def gtf(tmp_path: Path) -> Path:
    """The annotation bundle of GTF_ROWS (what the stages read)."""
    return bundle_of(write_gtf(tmp_path / "genes.gtf"))


@pytest.fixture
def empty_sj(tmp_path: Path) -> Path:
    path = tmp_path / "SJ.out.tab"
    path.write_text("chr9\t600\t4999\t1\t1\t1\t40\t0\t50\n")
    return path


def test_orient_reads_both_strands_to_one_breakpoint(gtf: Path) -> None:
    ann = read_annotation(gtf)
    forward = orient(ann, *E1A2[0], *E1A2[1])
    reverse = orient(ann, *E1A2_REVERSED[0], *E1A2_REVERSED[1])
    assert forward == reverse
    assert forward is not None
    assert (forward[0].pos, forward[1].pos) == (1099, 5000)
    assert ann.genes[forward[0].gene_id].name == "BCR"


def test_orient_slides_within_repeat_onto_exon_boundaries(gtf: Path) -> None:
    ann = read_annotation(gtf)
    ends = orient(ann, "chr22", 1102, "+", "chr9", 5001, "+", rep_l=3, rep_r=0)
    assert ends is not None
    assert (ends[0].pos, ends[1].pos) == (1099, 5000)


def test_call_counts_reads_frame_isoform_ratio(gtf: Path, tmp_path: Path) -> None:
    lines = [chim_line(*E1A2, f"r{i}") for i in range(3)]
    lines += [chim_line(*E1A2_REVERSED, "r9"), chim_line(*E1A2, "r0")]  # r0 counted once
    lines.append(chim_line(("chr22", 1050, "+"), ("chr9", 5100, "+"), "s1", jtype=-1))
    reads, mapped = read_chimeric(write_chimeric(tmp_path / "c.junction", lines))
    assert mapped == 1_000_000
    sj_path = tmp_path / "SJ.out.tab"
    sj_path.write_text("chr9\t600\t4999\t1\t1\t1\t8\t0\t50\n")
    sj = read_sj(sj_path)
    table = call_fusions("S1", reads, sj, read_annotation(gtf), mapped)
    row = table.iloc[0]
    assert list(table.columns) == COLUMNS
    assert (row.gene5, row.gene3, row.breakpoint5, row.breakpoint3) == (
        "BCR",
        "ABL1",
        "chr22:1099:+",
        "chr9:5000:+",
    )
    assert (row.split_reads, row.spanning_pairs) == (4, 1)
    assert row.ffpm == pytest.approx(5.0)
    # 50 coding bases of BCR (1050-1099) = 2 leftover; a2 starts at CDS offset 0 -> frameshift
    assert row.reading_frame == "frameshift"
    assert (row.isoform, row.confidence, row.filters) == ("e1a2", "high", "PASS")
    assert row.bcr_abl1_abl1_ratio == pytest.approx(4 / 8)
    assert row.subtype == "Ph (BCR::ABL1)"


def test_reading_frame_in_frame_case(gtf: Path) -> None:
    ann = read_annotation(gtf)
    bcr, abl1 = ann.transcripts["T1"], ann.transcripts["T2"]
    assert reading_frame(bcr, 2099, abl1, 5000) == "in-frame"  # 150 coding bases: 0 left
    assert reading_frame(bcr, 1099, abl1, 6000) == "frameshift"  # 2 left; a3 at offset 174
    assert reading_frame(bcr, 1099, ann.transcripts["T3"], 8300) == "unknown"  # non-coding


def test_isoform_names() -> None:
    assert bcr_abl1_isoform("BCR", "ABL1", 13, 2) == "e13a2"
    assert bcr_abl1_protein("e13a2") == "p210"
    assert bcr_abl1_protein("e1a2") == "p190"
    assert bcr_abl1_protein("e19a2") == "p230"
    assert bcr_abl1_protein("e1a3") == "p190"
    assert bcr_abl1_isoform("ETV6", "RUNX1", 5, 2) == ""


def test_single_read_is_low_and_known_fusion_rescued(gtf: Path, tmp_path: Path) -> None:
    one = [chim_line(*E1A2, "r1")]
    reads, mapped = read_chimeric(write_chimeric(tmp_path / "one.junction", one))
    sj = read_sj(write_empty(tmp_path / "e.tab"))
    row = call_fusions("S", reads, sj, read_annotation(gtf), mapped).iloc[0]
    assert (row.confidence, row.filters) == ("low", "low_support")
    two = [chim_line(*E1A2, "r1"), chim_line(("chr22", 1050, "+"), ("chr9", 5100, "+"), "s", -1)]
    reads, mapped = read_chimeric(write_chimeric(tmp_path / "two.junction", two))
    row = call_fusions("S", reads, sj, read_annotation(gtf), mapped).iloc[0]
    assert (row.confidence, row.filters, row.known_fusion) == (
        "medium",
        "known_fusion_rescue",
        "yes",
    )


def write_empty(path: Path) -> Path:
    path.write_text("")
    return path


def test_read_through_mitochondrial_and_homolog_flags(gtf: Path, tmp_path: Path) -> None:
    # BCR exon 3 end (3099) -> RDT exon 1 start (8100): adjacent same-strand genes.
    rt = [chim_line(("chr22", 3100, "+"), ("chr22", 8099, "+"), f"r{i}") for i in range(5)]
    mt = [chim_line(("chr22", 2100, "+"), ("chrM", 499, "+"), f"m{i}", n_aln=3) for i in range(5)]
    reads, mapped = read_chimeric(write_chimeric(tmp_path / "c.junction", rt + mt))
    table = call_fusions(
        "S", reads, read_sj(write_empty(tmp_path / "e")), read_annotation(gtf), mapped
    )
    flags = dict(zip(table["gene3"], table["filters"], strict=True))
    assert flags["RDT"] == "read_through"
    assert set(flags["MT-RNR2"].split(",")) == {"homolog", "mitochondrial", "rRNA"}
    assert set(table["confidence"]) == {"low"}


def test_artifact_helpers() -> None:
    assert af.paralogs("CXCL9", "CXCL10")
    assert af.paralogs("GAPDH", "GAPDHP1")
    assert not af.paralogs("CD19", "CD22")
    assert not af.paralogs("BCR", "ABL1")
    assert af.dust("A" * 40) > af.DUST_MAX
    assert af.dust("ACGTTGCAAGCTTCGATCGGATCCATGCAAGTCTAGCTAG") < af.DUST_MAX
    assert af.supported(2, 0, af.Thresholds())
    assert af.supported(1, 2, af.Thresholds())
    assert not af.supported(1, 1, af.Thresholds())
    assert load_known_fusions()[("P2RY8", "CRLF2")].startswith("Ph-like JAK-class")


def test_spliced_deletion_between_genes_is_called(gtf: Path, tmp_path: Path) -> None:
    """A deletion aligned as a splice (P2RY8::CRLF2-like): BCR exon 3 end -> RDT exon 2."""
    sj = tmp_path / "SJ.out.tab"
    sj.write_text("chr22\t3100\t8299\t1\t1\t0\t12\t0\t40\n")
    reads, _ = read_chimeric(write_empty(tmp_path / "c.junction"))
    row = call_fusions("S", reads, read_sj(sj), read_annotation(gtf), None).iloc[0]
    assert (row.breakpoint5, row.breakpoint3, row.split_reads) == (
        "chr22:3099:+",
        "chr22:8300:+",
        12,
    )
    assert row.source == "spliced"


# --- bad and edge inputs -----------------------------------------------------------------


def run_cli(tmp_path: Path, chim: Path, gtf: Path, sj: Path) -> int:
    return main(
        [
            "fusions",
            "call",
            "--sample",
            "S",
            "--chimeric",
            str(chim),
            "--sj",
            str(sj),
            "--annotation",
            str(gtf),
            "--outdir",
            str(tmp_path / "out"),
        ]
    )


def test_old_junction_format_is_a_one_line_error(
    gtf: Path, empty_sj: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.junction"
    old.write_text("\t".join(chim_line(*E1A2, "r1").split("\t")[:14]) + "\n")
    assert run_cli(tmp_path, old, gtf, empty_sj) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--chimOutJunctionFormat 1" in err and str(old) in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_wrong_column_count_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.junction"
    bad.write_text("chr_donorA\tbrkpt_donorA\tstrand_donorA\n")
    with pytest.raises(InputError, match="--chimOutJunctionFormat 1"):
        read_chimeric(bad)


def test_gtf_without_gene_name_is_an_error(
    empty_sj: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nameless = write_gtf(tmp_path / "nameless.gtf", with_names=False)
    chim = write_chimeric(tmp_path / "c.junction", [chim_line(*E1A2, "r1")])
    assert run_cli(tmp_path, chim, bundle_of(nameless), empty_sj) == 2
    err = capsys.readouterr().err.strip()
    assert "gene_name" in err and str(nameless) in err and "\n" not in err
    assert not (tmp_path / "out" / "S.fusions.tsv").exists()


@pytest.mark.parametrize("header_only", [False, True])
def test_empty_junction_file_is_zero_fusions(
    gtf: Path, empty_sj: Path, tmp_path: Path, header_only: bool
) -> None:
    chim = tmp_path / "c.junction"
    if header_only:
        write_chimeric(chim, [])
    else:
        chim.write_text("")
    assert run_cli(tmp_path, chim, gtf, empty_sj) == 0
    text = (tmp_path / "out" / "S.fusions.tsv").read_text()
    assert text.splitlines() == ["\t".join(COLUMNS)]


def test_cohort_merges_tables(gtf: Path, empty_sj: Path, tmp_path: Path) -> None:
    paths = []
    for sample in ("A", "B"):
        lines = [chim_line(*E1A2, f"r{i}") for i in range(3)]
        chim = write_chimeric(tmp_path / f"{sample}.junction", lines)
        inputs = stage_call.Inputs(sample=sample, chimeric=chim, sj=empty_sj, annotation=gtf)
        paths.append(stage_call.run(inputs, af.Thresholds(), tmp_path / "f"))
    cohort = stage_cohort.run(stage_cohort.Inputs(tuple(paths)), NoParams(), tmp_path / "f")
    lines = cohort.read_text().splitlines()
    assert lines[0].split("\t") == COLUMNS and len(lines) == 3
    with pytest.raises(InputError, match="not a fusions table of tkiseq table schema v1"):
        stage_cohort.run(stage_cohort.Inputs((empty_sj,)), NoParams(), tmp_path / "g")


def _write_bam(path: Path, reads: list[tuple[str, int, str, str, int, int]]) -> Path:
    """Coordinate-sorted, indexed BAM of (name, flag, chrom, cigar, start, mate_start) rows."""
    import pysam

    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": "chr22", "LN": 10_000}, {"SN": "chr9", "LN": 10_000}],
    }
    unsorted = path.with_suffix(".unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
        for name, flag, chrom, cigar, start, mate_start in reads:
            seg = pysam.AlignedSegment(out.header)
            seg.query_name, seg.flag, seg.cigarstring = name, flag | 0x1 | 0x40, cigar
            seg.reference_name, seg.reference_start = "chr22", start - 1
            seg.next_reference_name, seg.next_reference_start = chrom, mate_start - 1
            seg.query_sequence = "A" * seg.query_alignment_length
            seg.mapping_quality = 255
            out.write(seg)
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    return path


def test_spanning_pairs_of_a_spliced_fusion_come_from_the_bam(gtf: Path, tmp_path: Path) -> None:
    """Pairs across BCR exon 3 (ends 3099) -> RDT exon 2 (starts 8300), aligned with a long gap."""
    bam = _write_bam(
        tmp_path / "s.bam",
        [
            ("span", 0, "chr22", "100M", 2950, 8310),
            ("span_duplicate", 0x400, "chr22", "100M", 2950, 8310),  # STAR's counts include them
            ("split_left_mate", 0, "chr22", "50M5200N50M", 3050, 8320),
            ("mate_before_junction", 0, "chr22", "100M", 2900, 8250),
            ("mate_past_partner", 0, "chr22", "100M", 2900, 8500),
            ("secondary", 0x100, "chr22", "100M", 2950, 8310),
            ("other_contig", 0, "chr9", "100M", 2950, 8310),
        ],
    )
    sj = tmp_path / "SJ.out.tab"
    sj.write_text("chr22\t3100\t8299\t1\t1\t0\t12\t0\t40\n")
    reads, _ = read_chimeric(write_empty(tmp_path / "c.junction"))
    ann = read_annotation(gtf)
    with_bam = call_fusions("S", reads, read_sj(sj), ann, None, bam=bam).iloc[0]
    without = call_fusions("S", reads, read_sj(sj), ann, None).iloc[0]
    assert (with_bam.split_reads, with_bam.spanning_pairs) == (12, 2)
    assert without.spanning_pairs == 0


def test_unindexed_bam_is_an_error(gtf: Path, tmp_path: Path) -> None:
    bam = _write_bam(tmp_path / "s.bam", [("span", 0, "chr22", "100M", 2950, 8310)])
    Path(f"{bam}.bai").unlink()
    sj = tmp_path / "SJ.out.tab"
    sj.write_text("chr22\t3100\t8299\t1\t1\t0\t12\t0\t40\n")
    reads, _ = read_chimeric(write_empty(tmp_path / "c.junction"))
    with pytest.raises(InputError, match="no index"):
        call_fusions("S", reads, read_sj(sj), read_annotation(gtf), None, bam=bam)


def test_mane_select_transcript_numbers_exons(tmp_path: Path) -> None:
    """A longer-CDS transcript with an extra exon must not renumber the MANE Select exons."""
    rows = [
        ("exon", 100, 199, "LONG", 1, ""),
        ("CDS", 150, 199, "LONG", 1, ""),
        ("exon", 300, 399, "LONG", 2, ""),
        ("CDS", 300, 399, "LONG", 2, ""),
        ("exon", 500, 599, "LONG", 3, ""),
        ("CDS", 500, 599, "LONG", 3, ""),
        ("exon", 100, 199, "MANE", 1, 'tag "basic"; tag "MANE_Select";'),
        ("CDS", 160, 199, "MANE", 1, 'tag "basic"; tag "MANE_Select";'),
        ("exon", 500, 599, "MANE", 2, 'tag "basic"; tag "MANE_Select";'),
        ("CDS", 500, 599, "MANE", 2, 'tag "basic"; tag "MANE_Select";'),
    ]
    lines = [
        "\t".join(
            [
                "chr7",
                "T",
                feat,
                str(s),
                str(e),
                ".",
                "+",
                ".",
                f'gene_id "G"; transcript_id "{tid}"; gene_name "IKZF1"; exon_number "{n}"; {tags}',
            ]
        )
        for feat, s, e, tid, n, tags in rows
    ]
    gtf = tmp_path / "mane.gtf"
    gtf.write_text("\n".join(lines) + "\n")
    ann = read_annotation(bundle_of(gtf))
    assert ann.canonical("G").transcript_id == "MANE"
    site = ann.best_site(ann.acceptors[("chr7", "+", 500)], "G")
    assert (site.transcript_id, site.exon) == ("MANE", 2)


def test_immunoglobulin_segments_stand_for_their_locus() -> None:
    for name, locus in (
        ("IGHJ6", "IGH"),
        ("IGHM", "IGH"),
        ("IGHG1", "IGH"),
        ("IGHV3-23", "IGH"),
        ("IGKC", "IGK"),
        ("IGLV3-21", "IGL"),
    ):
        assert catalogue_symbol(name) == locus
    for name in ("IGLL1", "IGLON5", "IGHMBP2", "IKZF1"):
        assert catalogue_symbol(name) == name
    known = load_known_fusions()
    assert known_subtype(known, "IGHJ6", "CRLF2").startswith("Ph-like JAK-class")
    assert known_subtype(known, "CRLF2", "IGHM").startswith("Ph-like JAK-class")
    assert known_subtype(known, "DUX4", "IGHM") == "DUX4-r"
    assert known_subtype(known, "ABL1", "BCR") is None  # only IG pairs match reversed


def test_other_callers_locus_names_stand_for_their_locus() -> None:
    """FusionCatcher writes IGH@, STAR-Fusion IGH-@, IGH@-ext and IGL.g@-ext: a CRLF2::IGH@
    from another caller is the CRLF2-r fusion (issue 21)."""
    for name, locus in (
        ("IGH@", "IGH"),
        ("IGH-@", "IGH"),
        ("IGH@-ext", "IGH"),
        ("IGH-@-ext", "IGH"),
        ("IGL.g@-ext", "IGL"),
        ("IGK@", "IGK"),
    ):
        assert catalogue_symbol(name) == locus, name
    assert catalogue_symbol("IGLL1@") == "IGLL1@"  # not a locus name
    known = load_known_fusions()
    assert known_subtype(known, "CRLF2", "IGH@").startswith("Ph-like JAK-class (CRLF2-r)")
    assert known_subtype(known, "IGH-@-ext", "CRLF2").startswith("Ph-like JAK-class (CRLF2-r)")


def test_artefact_filters_are_named_predicates_in_column_order() -> None:
    from tkiseq.fusions.annotation import Gene

    near5 = Gene("g1", "CD19", "protein_coding", "chr1", 1_000, 5_000, "+")
    near3 = Gene("g2", "PAX5", "protein_coding", "chr1", 20_000, 30_000, "+")
    mito = Gene("g3", "MT-CO1", "protein_coding", "chrM", 100, 900, "+")
    t = af.Thresholds()

    def evidence(**changes: object) -> af.Evidence:
        values: dict = dict(
            gene5=near5,
            gene3=near3,
            split=5,
            spanning=3,
            max_anchor=40,
            multimapping=0,
            known=False,
            partners=1,
            low_complexity=False,
        )
        return af.Evidence(**(values | changes))

    # neighbours 15 kb apart on one strand: read-through, unless a known fusion
    assert af.flags(evidence(), t) == ["read_through"]
    assert af.flags(evidence(known=True), t) == []
    # 1 split + 1 spanning: rescued only when known; every flag, in the column's order
    assert af.flags(evidence(split=1, spanning=1, known=True), t) == ["known_fusion_rescue"]
    everything = evidence(
        gene3=mito,
        split=1,
        spanning=1,
        max_anchor=5,
        multimapping=1,
        partners=12,
        low_complexity=True,
    )
    assert af.flags(everything, t) == [
        "low_support",
        "short_anchor",
        "promiscuous",
        "homolog",
        "mitochondrial",
        "low_complexity",
    ]
    assert [name for name, _ in af.FILTERS][-1] == "low_complexity"
