"""Variants on real reads: BT474 (2 x 50 bp) on a human minigenome, against GATK's calls.

The annotation is a real GENCODE v19 export of exon and CDS rows only (no gene, transcript,
start or stop codon rows, the CDS without its stop), the shape that crashed ``annotate``.
Protein changes are checked twice: against the known BT474 TP53 mutations, and against a
translation done here from the GTF's CDS rows and the FASTA with a codon table of its own.
"""

from __future__ import annotations

import gzip
import logging
import re
from pathlib import Path

import pandas as pd
import pysam
import pytest

from realdata import realdata
from tkiseq.align.star import align_sample, build_index
from tkiseq.cli import main
from tkiseq.genome.bundle import prepare
from tkiseq.variants.annotate import annotate_calls
from tkiseq.variants.call import call_bam
from tkiseq.variants.filter import FilterParams, filter_calls

# The standard genetic code written by amino acid (N: any base, R: A/G, Y: C/T), not in the
# codon order the code under test uses.
_CODE = {
    "Ala": ["GCN"],
    "Arg": ["CGN", "AGR"],
    "Asn": ["AAY"],
    "Asp": ["GAY"],
    "Cys": ["TGY"],
    "Gln": ["CAR"],
    "Glu": ["GAR"],
    "Gly": ["GGN"],
    "His": ["CAY"],
    "Ile": ["ATY", "ATA"],
    "Leu": ["CTN", "TTR"],
    "Lys": ["AAR"],
    "Met": ["ATG"],
    "Phe": ["TTY"],
    "Pro": ["CCN"],
    "Ser": ["TCN", "AGY"],
    "Thr": ["ACN"],
    "Trp": ["TGG"],
    "Tyr": ["TAY"],
    "Val": ["GTN"],
    "Ter": ["TAR", "TGA"],
}
_IUPAC = {"N": "ACGT", "R": "AG", "Y": "CT"}
CODON = {
    a + b + c: aa
    for aa, patterns in _CODE.items()
    for p in patterns
    for a in _IUPAC.get(p[0], p[0])
    for b in _IUPAC.get(p[1], p[1])
    for c in _IUPAC.get(p[2], p[2])
}
COMPLEMENT = str.maketrans("ACGT", "TGCA")
EXPLAINED_AT_3 = {  # GATK SNVs with exactly 3 alt reads that tkiseq does not pass, and why
    156339: "the 3 alt reads run from CCDC9 exon 9 into the intron and soft-clip 4-6 bases "
    "later; their bases there are exon 10's (ATGACCAG): spliced reads the aligner extended "
    "into the intron, which the intron_end rule stops counting",
    171175: "intronic in SLC9A3: tkiseq calls exons and splice regions only",
}


def _vcf(path: Path) -> pd.DataFrame:
    rows = []
    with pysam.VariantFile(str(path)) as vf:
        for r in vf:
            ad = r.samples[0]["AD"]
            rows.append((r.pos, r.ref, r.alts[0], ad[0], ad[1], ";".join(r.filter.keys())))
    return pd.DataFrame(rows, columns=["pos", "ref", "alt", "ref_reads", "alt_reads", "filter"])


def _index(vcf: Path, dest: Path) -> Path:
    dest.write_text(vcf.read_text())
    return Path(pysam.tabix_index(str(dest), preset="vcf", force=True))


def empty_dbsnp(folder: Path, fasta: Path) -> Path:
    """A dbSNP with no record that names the genome's contigs: dbSNP has no minigenome."""
    fa = pysam.FastaFile(str(fasta))
    contigs = "".join(
        f"##contig=<ID={c},length={fa.get_reference_length(c)}>\n" for c in fa.references
    )
    text = f"##fileformat=VCFv4.2\n{contigs}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    return _index_text(text, folder / "dbsnp.vcf")


def _index_text(text: str, dest: Path) -> Path:
    dest.write_text(text)
    return Path(pysam.tabix_index(str(dest), preset="vcf", force=True))


@pytest.fixture(scope="module")
def bt474(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The tkiseq calls (call, filter, annotate) on the given STAR BAM, and the annotated
    GATK calls; no dbSNP (an empty one)."""
    data = realdata("bt474_variants")
    tmp = tmp_path_factory.mktemp("bt474")
    fasta = data / "minigenome.fa"
    bundle = prepare(data / "annotations.gtf.gz", fasta, tmp / "ref")
    calls = call_bam("s", data / "star_2.6.1a.bam", fasta, bundle, tmp / "calls")
    filtered = filter_calls(
        "s", calls, empty_dbsnp(tmp, fasta), fasta, tmp / "filt", FilterParams()
    )
    all_vcf = tmp / "filt" / "s.all.vcf.gz"
    ours = pd.read_csv(annotate_calls("s", all_vcf, fasta, bundle, tmp / "ann"), sep="\t")
    gatk_vcf = _index(data / "gatk_haplotypecaller.vcf", tmp / "gatk.vcf")
    gatk_ann = pd.read_csv(annotate_calls("gatk", gatk_vcf, fasta, bundle, tmp / "ann"), sep="\t")
    return {
        "data": data,
        "bundle": bundle,
        "calls": _vcf(all_vcf),
        "ours": ours,
        "gatk": _vcf(data / "gatk_haplotypecaller.vcf"),
        "gatk_ann": gatk_ann,
        "filtered": filtered,
        "tmp": tmp,
    }


def test_tp53_calls_are_named_exactly(bt474: dict) -> None:
    """BT474's TP53 mutation E285K and the P72R polymorphism, on the exon+CDS-only GTF."""
    for table in (bt474["ours"], bt474["gatk_ann"]):
        rows = table.set_index("pos")
        e285k, p72r = rows.loc[37930], rows.loc[40317]
        assert (e285k.gene, e285k.consequence) == ("TP53", "missense_variant")
        assert (e285k.hgvsc, e285k.hgvsp, e285k.hgvsp_short) == (
            "c.853G>A",
            "p.Glu285Lys",
            "p.E285K",
        )
        assert (p72r.consequence, p72r.hgvsc, p72r.hgvsp) == (
            "missense_variant",
            "c.215C>G",
            "p.Pro72Arg",
        )
    # and the minigenome site is hg19 chr17:7577085, the published BT474 mutation's (the
    # minigenome is in hg19's orientation; orig_coord_info gives the hg19 span and strand)
    with gzip.open(bt474["data"] / "annotations.gtf.gz", "rt") as fh:
        hg19 = {
            (o[0], int(o[2]) + 37930 - int(f[3]), o[4])  # same orientation, hg19 strand
            for f in (line.split("\t") for line in fh)
            if f[2] == "exon" and int(f[3]) <= 37930 <= int(f[4])
            for o in [re.search(r'orig_coord_info "([^"]+)"', f[8]).group(1).split(",")]  # type: ignore[union-attr]
        }
    assert hg19 == {("chr17", 7577085, "-")}


def _gtf_models(gtf: Path) -> dict[str, dict]:
    """transcript_id -> strand, exons and CDS pieces, read here from the raw GTF."""
    models: dict[str, dict] = {}
    with gzip.open(gtf, "rt") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) != 9 or f[2] not in ("exon", "CDS"):
                continue
            tid = re.search(r'transcript_id "([^"]+)"', f[8]).group(1)  # type: ignore[union-attr]
            m = models.setdefault(tid, {"strand": f[6], "exon": [], "CDS": []})
            m[f[2]].append((int(f[3]), int(f[4])))
    return models


def _expected(model: dict, fa: pysam.FastaFile, pos: int, ref: str, alt: str) -> tuple[str, str]:
    """(coarse consequence, p. change) of an SNV from the GTF's CDS rows, translated here."""
    minus = model["strand"] == "-"
    cds = sorted(model["CDS"], reverse=minus)
    exons = model["exon"]
    positions = [g for a, b in cds for g in (range(b, a - 1, -1) if minus else range(a, b + 1))]
    if pos not in positions:
        if not any(a <= pos <= b for a, b in exons):
            return "intron", ""
        first = positions[0]
        upstream = pos > first if minus else pos < first
        return ("5_prime_UTR" if upstream else "3_prime_UTR"), ""
    seq = "".join(fa.fetch("minigenome", g - 1, g) for g in positions)
    i = positions.index(pos)
    mutated = seq[:i] + alt + seq[i + 1 :]  # genomic bases, in transcription order
    if minus:
        seq, mutated = seq.translate(COMPLEMENT), mutated.translate(COMPLEMENT)
    codon = i // 3
    was, now = CODON[seq[3 * codon : 3 * codon + 3]], CODON[mutated[3 * codon : 3 * codon + 3]]
    if was == now:
        return "coding", f"p.{was}{codon + 1}="
    return "coding", f"p.{was}{codon + 1}{now}"


def test_every_gatk_call_gets_the_consequence_translated_here(bt474: dict) -> None:
    """Each of GATK's 28 calls: the consequence and p. change tkiseq names on its transcript
    agree with a translation of that transcript's CDS rows done here."""
    data = bt474["data"]
    models = _gtf_models(data / "annotations.gtf.gz")
    fa = pysam.FastaFile(str(data / "minigenome.fa"))
    table = bt474["gatk_ann"]
    assert len(table) == 28
    coarse = {
        "missense_variant": "coding",
        "synonymous_variant": "coding",
        "5_prime_UTR_variant": "5_prime_UTR",
        "3_prime_UTR_variant": "3_prime_UTR",
        "intron_variant": "intron",
        "splice_donor_variant": "intron",
    }
    for row in table.itertuples():
        if row.consequence == "intergenic_variant":
            assert row.pos == 158083  # between CCDC9 and TP53RK
            continue
        model = models[row.transcript]
        if len(row.alt) > 1:  # the PAK4 insertion: in the 3' UTR, wherever it slides
            cds_end = max(b for _, b in model["CDS"])
            assert model["strand"] == "+" and row.pos > cds_end
            assert row.consequence == "3_prime_UTR_variant"
            continue
        kind, hgvsp = _expected(model, fa, row.pos, row.ref, row.alt)
        assert (coarse[row.consequence], row.hgvsp if isinstance(row.hgvsp, str) else "") == (
            kind,
            hgvsp,
        ), row.pos
    named = table.dropna(subset=["hgvsp"])
    assert (named.consequence == "missense_variant").sum() == 15
    assert (named.consequence == "synonymous_variant").sum() == 7


def _alt_reads_at(bam: Path, pos: int, alt: str, min_q: int) -> int:
    """Reads (MAPQ >= 20, no secondary/duplicate) with ``alt`` at ``pos`` of quality >= min_q."""
    n = 0
    with pysam.AlignmentFile(str(bam)) as b:
        for r in b.fetch("minigenome", pos - 1, pos):
            if r.mapping_quality < 20 or r.flag & 0x704:
                continue
            q = dict((g, k) for k, g in r.get_aligned_pairs(matches_only=True)).get(pos - 1)
            if q is not None and r.query_sequence[q] == alt and r.query_qualities[q] >= min_q:
                n += 1
    return n


def test_gatk_snvs_pass_with_the_same_alt_reads(bt474: dict) -> None:
    """Every GATK SNV with >= 4 alt reads passes with GATK's alt reads within 10 %, or, where
    not, with exactly the reads whose base quality is >= 20 (tkiseq's rule; GATK counts
    lower ones too, and then agrees within 10 %); the 3-read ones pass or are explained."""
    gatk = bt474["gatk"]
    ours = bt474["calls"].set_index("pos")
    bam = bt474["data"] / "star_2.6.1a.bam"
    agree = 0
    snvs = gatk[(gatk.alt_reads >= 3) & (gatk.ref.str.len() == gatk.alt.str.len())]
    for row in snvs.itertuples():
        if row.alt_reads == 3 and row.pos in EXPLAINED_AT_3:
            assert row.pos not in ours.index or ours.loc[row.pos, "filter"] != "PASS"
            continue
        mine = ours.loc[row.pos]
        assert mine["filter"] == "PASS", row.pos
        if abs(mine.alt_reads - row.alt_reads) <= 0.1 * row.alt_reads:
            agree += 1
            continue
        assert mine.alt_reads == _alt_reads_at(bam, row.pos, row.alt, 20), row.pos
        q10 = _alt_reads_at(bam, row.pos, row.alt, 10)
        assert abs(q10 - row.alt_reads) <= 0.12 * row.alt_reads, (row.pos, q10, row.alt_reads)
    assert agree == 18  # of the 21 SNVs with >= 4 alt reads (3 differ by base quality only)


def test_pak4_insertion_has_its_seven_reads(bt474: dict) -> None:
    """STAR puts the TG insertion at the right end of its TG repeat (ref 135020), the VCF at
    the left (135008): the reads still count for it."""
    ins = bt474["calls"].set_index("pos").loc[135008]
    assert (ins.ref, ins.alt, ins.ref_reads, ins.alt_reads, ins["filter"]) == (
        "A",
        "ATG",
        0,
        7,
        "PASS",
    )


def test_no_pass_call_that_gatk_lacks(bt474: dict) -> None:
    ours = bt474["calls"]
    passing = set(ours[ours["filter"] == "PASS"].pos)
    assert passing <= set(bt474["gatk"].pos)
    assert len(passing) == 22  # of GATK's 28: its 21 SNVs with >= 4 alt reads + the insertion


def _dialects(gtf: Path, fa: pysam.FastaFile, folder: Path) -> dict[str, Path]:
    """The real GTF rewritten in other conventions: with gene, transcript, start/stop codon
    rows (GENCODE/Ensembl full), with the stop inside the CDS and no codon rows
    (RefSeq-derived), with transcript and stop codon rows but no gene rows (UCSC-derived)."""
    with gzip.open(gtf, "rt") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh if "\t" in line]
    by_tx: dict[str, list[list[str]]] = {}
    for f in rows:
        by_tx.setdefault(re.search(r'transcript_id "([^"]+)"', f[8]).group(1), []).append(f)  # type: ignore[union-attr]

    def stop_of(tx_rows: list[list[str]]) -> tuple[int, int] | None:
        cds = [(int(f[3]), int(f[4])) for f in tx_rows if f[2] == "CDS"]
        if not cds:
            return None
        minus = tx_rows[0][6] == "-"
        lo, hi = (
            (min(a for a, _ in cds) - 3, min(a for a, _ in cds) - 1)
            if minus
            else (max(b for _, b in cds) + 1, max(b for _, b in cds) + 3)
        )
        codon = fa.fetch("minigenome", lo - 1, hi)
        codon = codon.translate(COMPLEMENT)[::-1] if minus else codon
        inside = any(int(f[3]) <= lo and hi <= int(f[4]) for f in tx_rows if f[2] == "exon")
        return (lo, hi) if CODON.get(codon) == "Ter" and inside else None

    out: dict[str, list[str]] = {"full": [], "refseq": [], "ucsc": []}
    genes: dict[str, list[str]] = {}
    for tx_rows in by_tx.values():
        first = tx_rows[0]
        span = [min(int(f[3]) for f in tx_rows), max(int(f[4]) for f in tx_rows)]
        g = genes.setdefault(
            first[8].split(";")[0], [*first[:2], "gene", *map(str, span), *first[5:]]
        )
        g[3], g[4] = str(min(int(g[3]), span[0])), str(max(int(g[4]), span[1]))
        tx = "\t".join([*first[:2], "transcript", *map(str, span), *first[5:]])
        stop = stop_of(tx_rows)
        body = ["\t".join(f) for f in tx_rows]
        codon_rows = (
            []
            if stop is None
            else ["\t".join([*first[:2], "stop_codon", str(stop[0]), str(stop[1]), *first[5:]])]
        )
        out["full"] += [tx, *body, *codon_rows]
        out["ucsc"] += [tx, *codon_rows, *body]
        refseq = []
        for f in tx_rows:
            f = list(f)
            if stop is not None and f[2] == "CDS":
                minus = f[6] == "-"
                if minus and int(f[3]) == stop[1] + 1:
                    f[3] = str(stop[0])
                elif not minus and int(f[4]) == stop[0] - 1:
                    f[4] = str(stop[1])
            refseq.append("\t".join(f))
        out["refseq"] += refseq
    paths = {}
    for name, lines in out.items():
        if name == "full":
            lines = ["\t".join(g) for g in genes.values()] + lines
        paths[name] = folder / f"{name}.gtf"
        paths[name].write_text("\n".join(lines) + "\n")
    return paths


def test_gtf_dialects_give_the_same_hgvs(bt474: dict) -> None:
    """GENCODE/Ensembl full, RefSeq-derived (stop in the CDS) and UCSC-derived GTFs of the
    same models name every GATK call as the exon+CDS-only export does."""
    data, tmp = bt474["data"], bt474["tmp"]
    fasta = data / "minigenome.fa"
    fa = pysam.FastaFile(str(fasta))
    gatk_vcf = tmp / "gatk.vcf.gz"
    columns = ["pos", "gene", "consequence", "hgvsc", "hgvsp", "transcript"]
    expected = bt474["gatk_ann"][columns]
    for name, gtf in _dialects(data / "annotations.gtf.gz", fa, tmp).items():
        bundle = prepare(gtf, fasta, tmp / name)
        table = pd.read_csv(annotate_calls(name, gatk_vcf, fasta, bundle, tmp / name), sep="\t")
        pd.testing.assert_frame_equal(table[columns], expected, obj=name)


def test_gtf_without_cds_says_so_in_one_line(bt474: dict, caplog: pytest.LogCaptureFixture) -> None:
    data, tmp = bt474["data"], bt474["tmp"]
    gtf = tmp / "exons_only.gtf"
    with gzip.open(data / "annotations.gtf.gz", "rt") as fh:
        gtf.write_text("".join(line for line in fh if "\tCDS\t" not in line))
    with caplog.at_level(logging.WARNING):
        prepare(gtf, data / "minigenome.fa", tmp / "no_cds")
    (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "\n" not in message and "no CDS rows" in message and "no protein" in message


def test_prepare_refuses_a_fasta_of_other_contigs(
    bt474: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A FASTA that shares no contig with the GTF is one error line (exit 2), nothing written;
    a FASTA with only some of the GTF's contigs is a warning."""
    data = bt474["data"]
    other = tmp_path / "other.fa"
    other.write_text(">chr1\n" + "ACGT" * 50 + "\n")
    args = [
        "prepare",
        "--gtf",
        str(data / "annotations.gtf.gz"),
        "--fasta",
        str(other),
        "--outdir",
        str(tmp_path / "ref"),
    ]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("tkiseq: error: ") and "no contig is in" in err
    assert not (tmp_path / "ref" / "annotation").exists()
    gtf = tmp_path / "two.gtf"
    with gzip.open(data / "annotations.gtf.gz", "rt") as fh:
        lines = fh.readlines()
    extra = lines[0].replace("minigenome", "chrUn_other", 1).replace("TIMELESS", "OTHER")
    gtf.write_text("".join(lines) + extra)
    fasta = data / "minigenome.fa"
    assert main([*args[:2], str(gtf), "--fasta", str(fasta), "--outdir", str(tmp_path / "r2")]) == 0
    warning = capsys.readouterr().err
    assert "tkiseq: warning:" in warning and "1 of 2 contigs" in warning


def test_tkiseq_alignment_gives_the_same_passing_calls(bt474: dict) -> None:
    """The FASTQs through tkiseq's own STAR (index from the real GTF) pass the same 22 calls;
    AD within 10 % of the given BAM's (STAR 2.6.1a) at each, the PAK4 insertion 0,7 again."""
    data, tmp = bt474["data"], bt474["tmp"]
    fasta = data / "minigenome.fa"
    build_index(fasta, data / "annotations.gtf.gz", tmp / "star", threads=2, read_length=50)
    align_sample(
        "m",
        data / "BT474_R1.fastq.gz",
        data / "BT474_R2.fastq.gz",
        tmp / "star",
        tmp / "aln",
        threads=2,
    )
    calls = call_bam("m", tmp / "aln" / "m.bam", fasta, bt474["bundle"], tmp / "calls_m")
    filter_calls("m", calls, tmp / "dbsnp.vcf.gz", fasta, tmp / "filt_m", FilterParams())
    ours = _vcf(tmp / "filt_m" / "m.all.vcf.gz").set_index("pos")
    given = bt474["calls"].set_index("pos")
    passing = ours[ours["filter"] == "PASS"]
    assert set(passing.index) == set(given[given["filter"] == "PASS"].index)
    for pos, row in passing.iterrows():
        assert abs(row.alt_reads - given.loc[pos, "alt_reads"]) <= 0.1 * row.alt_reads, pos
    assert tuple(ours.loc[135008, ["ref_reads", "alt_reads"]]) == (0, 7)
