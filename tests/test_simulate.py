"""The simulator's truth must be true: checked against the files it wrote, independently."""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from tkiseq.errors import InputError
from tkiseq.simulate import simulate
from tkiseq.simulate.dna import THREE_LETTER, revcomp_str, translate


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "tiny"
    simulate(out, "tiny", 1)
    return out


def _truth(tiny: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(tiny / "truth" / f"{name}.tsv", sep="\t", keep_default_na=False)


@pytest.fixture(scope="session")
def transcripts(tiny: Path) -> dict[str, dict]:
    """GTF parsed independently: per transcript name, strand, exons and CDS (+ stop) pieces."""
    fasta = pysam.FastaFile(str(tiny / "genome.fa"))
    out: dict[str, dict] = defaultdict(lambda: {"exon": [], "CDS": [], "stop_codon": []})
    genes = {}
    for line in (tiny / "genes.gtf").read_text().splitlines():
        if line.startswith("#"):
            continue
        chrom, _, feature, start, end, _, strand, frame, attrs = line.split("\t")
        a = dict(re.findall(r'(\S+) "([^"]*)"', attrs))
        if feature == "gene":
            genes[a["gene_id"]] = (chrom, int(start), int(end))
        elif feature in ("exon", "CDS", "stop_codon", "transcript"):
            t = out[a["transcript_name"]]
            t.update(chrom=chrom, strand=strand, gene=a["gene_name"], gene_id=a["gene_id"])
            if feature != "transcript":
                t[feature].append((int(start), int(end), frame))
    for t in out.values():
        t["gene_span"] = genes[t["gene_id"]]
        for key in ("exon", "CDS", "stop_codon"):
            pieces = sorted(t[key], reverse=t["strand"] == "-")
            seq = "".join(fasta.fetch(t["chrom"], s - 1, e) for s, e, _ in sorted(pieces))
            t[key + "_seq"] = revcomp_str(seq) if t["strand"] == "-" else seq
            t[key] = pieces
    return dict(out)


def test_same_seed_same_bytes_other_seed_other_reads(tiny: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    simulate(again, "tiny", 1)
    files = sorted(p.relative_to(tiny) for p in tiny.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for f in files:
        assert (tiny / f).read_bytes() == (again / f).read_bytes(), f
    simulate(other, "tiny", 2)
    r1 = Path("fastq/BA_P01_R1.fastq.gz")
    assert (tiny / r1).read_bytes() != (other / r1).read_bytes()


def test_gtf_models_are_valid(transcripts: dict[str, dict], tiny: Path) -> None:
    assert (tiny / "genes.gtf").read_text().startswith("##description: tkiseq simulated")
    coding = 0
    for name, t in transcripts.items():
        _, gstart, gend = t["gene_span"]
        assert all(gstart <= s <= e <= gend for s, e, _ in t["exon"]), name
        if not t["CDS"]:
            continue
        coding += 1
        cds = t["CDS_seq"] + t["stop_codon_seq"]
        assert len(cds) % 3 == 0, name
        protein = translate(cds)
        assert protein[0] == "M" and protein[-1] == "*" and "*" not in protein[:-1], name
        done = 0
        for s, e, frame in t["CDS"]:  # phase column agrees with the bases before each piece
            assert int(frame) == (3 - done % 3) % 3, name
            done += e - s + 1
    assert coding > 120


def test_abl1_isoform_1a_numbering(transcripts: dict[str, dict]) -> None:
    cds = transcripts["ABL1-201"]["CDS_seq"]
    protein = translate(cds)
    assert len(protein) == 1130
    for aa, number in (("E", 255), ("T", 315), ("H", 396), ("K", 404), ("M", 244), ("F", 359)):
        assert protein[number - 1] == aa
    assert cds[1209:1212] == "AAG"  # codon 404 starts at c.1210
    assert len(translate(transcripts["ABL1-202"]["CDS_seq"])) == 1149  # isoform 1b: +19


def test_bcr_abl1_junctions_in_frame(transcripts: dict[str, dict], tiny: Path) -> None:
    bcr, abl1 = transcripts["BCR-201"], transcripts["ABL1-201"]
    a2 = abl1["exon"][1]
    before_a2 = sum(e - s + 1 for s, e, _ in abl1["CDS"] if e < a2[0])
    for exon in (1, 13, 14):
        last = bcr["exon"][exon - 1][1]
        coding = sum(min(e, last) - s + 1 for s, e, _ in bcr["CDS"] if s <= last)
        assert coding % 3 == before_a2 % 3 == 0
    fus = _truth(tiny, "fusions")
    bcr_abl1 = fus[(fus.gene5 == "BCR") & (fus.gene3 == "ABL1")]
    assert sorted(bcr_abl1.isoform) == ["e13a2", "e14a2", "e1a2"]
    assert set(bcr_abl1.reading_frame) == {"in-frame"}


def test_variants_match_genome_and_protein(tiny: Path, transcripts: dict[str, dict]) -> None:
    fasta = pysam.FastaFile(str(tiny / "genome.fa"))
    var = _truth(tiny, "variants")
    assert {"somatic", "germline_dbsnp", "germline_private"} <= set(var.kind)
    assert set(var.expected_pass) == {"yes", "no"}
    for v in var.itertuples():
        assert fasta.fetch(v.chrom, v.pos - 1, v.pos - 1 + len(v.ref)) == v.ref
        m = re.fullmatch(r"c\.(\d+)([ACGT])>([ACGT])", v.hgvsc)
        if not m:
            continue
        cds = transcripts[f"{v.gene}-201"]["CDS_seq"]
        c, ref, alt = int(m[1]), m[2], m[3]
        assert cds[c - 1] == ref
        mutated = translate(cds[: c - 1] + alt + cds[c:])
        k = (c - 1) // 3
        ref_aa, alt_aa = translate(cds)[k], mutated[k]
        if ref_aa == alt_aa:
            assert v.hgvsp == f"p.{THREE_LETTER[ref_aa]}{k + 1}="
        else:
            assert v.hgvsp == f"p.{THREE_LETTER[ref_aa]}{k + 1}{THREE_LETTER[alt_aa]}"
            assert v.hgvsp_short == f"p.{ref_aa}{k + 1}{alt_aa}"
    shorts = set(var.hgvsp_short)
    assert {"p.T315I", "p.E255K", "p.H396P", "p.K404E", "p.R273H", "p.H1038R"} <= shorts
    somatic = var[var.kind == "somatic"]
    assert {"frameshift_variant", "inframe_deletion"} <= set(somatic.consequence)
    low_vaf = somatic[(somatic.alt_reads >= 3) & (somatic.vaf <= 0.1)]
    assert len(low_vaf) >= 1 and (somatic.alt_reads < 3).any()


def _fastq(path: Path) -> tuple[list[bytes], np.ndarray]:
    lines = gzip.decompress(path.read_bytes()).split(b"\n")[:-1]
    assert len(lines) % 4 == 0
    names, seqs, plus, quals = lines[0::4], lines[1::4], lines[2::4], lines[3::4]
    assert set(plus) == {b"+"}
    assert all(len(s) == len(q) == 101 for s, q in zip(seqs, quals, strict=True))
    return names, np.frombuffer(b"".join(seqs), np.uint8).reshape(-1, 101)


@pytest.fixture(scope="session")
def reads(tiny: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for row in _truth(tiny, "samples").itertuples():
        names1, r1 = _fastq(tiny / "fastq" / f"{row.sample}_R1.fastq.gz")
        names2, r2 = _fastq(tiny / "fastq" / f"{row.sample}_R2.fastq.gz")
        assert len(r1) == len(r2) == row.read_pairs
        assert names1[0] == f"@{row.sample}:1/1".encode() and names2[-1].endswith(b"/2")
        out[row.sample] = (r1, r2)
    return out


def test_samplesheet_points_at_fastqs(tiny: Path, reads: dict) -> None:
    sheet = pd.read_csv(tiny / "samplesheet.csv")
    assert list(sheet.columns) == ["sample", "fastq_1", "fastq_2", "strandedness"]
    assert set(sheet.strandedness) == {"auto"} and set(sheet["sample"]) == set(reads)
    assert all((tiny / p).is_file() for p in [*sheet.fastq_1, *sheet.fastq_2])


def test_library_strandedness_holds(tiny: Path, transcripts: dict, reads: dict) -> None:
    k = 25
    sense = {
        t["exon_seq"][i : i + k]
        for t in transcripts.values()
        for i in range(len(t["exon_seq"]) - k + 1)
    }
    for row in _truth(tiny, "samples").itertuples():
        r1 = reads[row.sample][0][:3000]
        fwd = anti = 0
        for read in r1:
            kmer = read[:k].tobytes().decode()
            fwd += kmer in sense
            anti += revcomp_str(kmer) in sense
        frac = fwd / (fwd + anti)
        expected = {"forward": (0.97, 1.0), "reverse": (0.0, 0.03), "unstranded": (0.35, 0.65)}
        lo, hi = expected[row.library_strandedness]
        assert lo <= frac <= hi, (row.sample, frac)


def _codes(reads: np.ndarray, k: int) -> np.ndarray:
    """Integer code of every k-mer of every read (N gets its own digit)."""
    idx = np.zeros(256, np.int64)
    idx[np.frombuffer(b"CGTN", np.uint8)] = (1, 2, 3, 4)
    x = idx[reads]
    code = np.zeros((len(reads), reads.shape[1] - k + 1), np.int64)
    for j in range(k):
        code = code * 5 + x[:, j : j + code.shape[1]]
    return code


BLOCK = 6  # three disjoint 6-mers of the 20-mer: <= 2 errors leave one of them exact


def _recount(mates: list[tuple[np.ndarray, np.ndarray]], junction: str) -> int:
    """Fragments with a read holding the 20-mer around the junction (<= 2 mismatches)."""
    hit = np.zeros(len(mates[0][0]), bool)
    for probe in (junction, revcomp_str(junction)):
        seeds = [
            _codes(np.frombuffer(probe[a : a + BLOCK].encode(), np.uint8)[None, :], BLOCK)[0, 0]
            for a in (0, 6, 12)
        ]
        target = np.frombuffer(probe.encode(), np.uint8)
        for reads, codes in mates:
            rows = np.flatnonzero(np.isin(codes, seeds).any(axis=1))
            win = np.lib.stride_tricks.sliding_window_view(reads[rows], 20, axis=1)
            hit[rows[(win != target).sum(axis=2).min(axis=1) <= 2]] = True
    return int(hit.sum())


def test_fusion_split_reads_recount(tiny: Path, transcripts: dict, reads: dict) -> None:
    fus = _truth(tiny, "fusions")
    planted = fus[fus.kind == "fusion"]
    assert len(planted) == 7 and (planted.split_reads >= 5).all()
    assert (planted.spanning_pairs > 0).all()
    assert (fus.kind == "readthrough_decoy").sum() >= 2 and (fus.kind == "noise").sum() >= 100
    for sample, group in planted.groupby("sample"):
        mates = [(r, _codes(r, BLOCK)) for r in reads[sample]]
        for f in group.itertuples():
            t5, t3 = transcripts[f"{f.gene5}-201"], transcripts[f"{f.gene3}-201"]
            left = "".join(_exon_seqs(t5)[: f.exon5])[-10:]
            right = "".join(_exon_seqs(t3)[f.exon3 - 1 :])[:10]
            assert _recount(mates, left + right) == f.split_reads, f


def _exon_seqs(t: dict) -> list[str]:
    out, pos = [], 0
    for s, e, _ in t["exon"]:
        out.append(t["exon_seq"][pos : pos + e - s + 1])
        pos += e - s + 1
    return out


def test_dbsnp_uses_ncbi_contigs_and_is_indexed(tiny: Path) -> None:
    vcf = pysam.VariantFile(str(tiny / "dbsnp.vcf.gz"))
    assert "9" in vcf.header.contigs and "MT" in vcf.header.contigs
    assert not any(c.startswith("chr") for c in vcf.header.contigs)
    var = _truth(tiny, "variants")
    t315i = var[var.hgvsp_short == "p.T315I"].iloc[0]
    decoy = list(vcf.fetch("9", t315i.pos - 1, t315i.pos))
    assert len(decoy) == 1 and decoy[0].alts[0] != t315i.alt  # same site, other allele
    for v in var[var.kind == "germline_dbsnp"].itertuples():
        (rec,) = vcf.fetch(v.chrom.removeprefix("chr"), v.pos - 1, v.pos)
        assert rec.alts[0] == v.alt and rec.id.startswith("rs")
    assert sum(1 for _ in vcf.fetch()) > 15_000


def test_copy_number_and_subtypes_agree(tiny: Path) -> None:
    cnv = pd.read_csv(tiny / "cnv.csv").pivot(index="sample", columns="gene", values="status")
    sub = _truth(tiny, "subtypes").set_index("sample")
    assert (sub.ikzf1plus == "yes").sum() == 2
    pax5_only = (cnv.PAX5 == "DEL") & (cnv.IKZF1 == "NO_DEL")
    assert pax5_only.sum() == 1
    for s in sub.index[sub.ikzf1_del4_7 == "yes"]:
        assert cnv.loc[s, "IKZF1"] == "DEL"
    splice = _truth(tiny, "splice_lesions")
    assert len(splice) == 2 and (splice.junction_reads > 5).all()


def test_expression_truth_roles(tiny: Path) -> None:
    expr = _truth(tiny, "expression")
    roles = expr.drop_duplicates("gene_name").role.value_counts()
    assert roles["immune_auc_associated"] + roles["auc_associated"] >= 24
    assert roles["outlier_decoy"] == 3
    assert expr.gene_id.str.match(r"ENSG99\d{9}\.\d+$").all()
    gmt = (tiny / "gene_sets.gmt").read_text().splitlines()
    immune = next(line.split("\t")[2:] for line in gmt if line.startswith("SIM_IMMUNE_RESPONSE"))
    assert set(expr[expr.role == "immune_auc_associated"].gene_name) == set(immune)


def test_non_empty_outdir_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="exists and is not empty"):
        simulate(out, "tiny", 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
