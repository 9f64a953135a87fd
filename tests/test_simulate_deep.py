"""The simulator's library options and the deep preset, measured on what it writes.

A small ``--pairs`` run of the deep preset has its duplicates, pre-mRNA share, paralog reads
and planted failure modes checked against the FASTQ and the truth tables; the confident-error
share and the 3' error rise are measured by comparing reads before and after errors are added.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from tkiseq.errors import InputError
from tkiseq.simulate import PRESETS, library, simulate
from tkiseq.simulate.catalog import PARALOG_TARGET
from tkiseq.simulate.cohort import build_cohort
from tkiseq.simulate.dna import BASES, revcomp_str
from tkiseq.simulate.genome import build_genome
from tkiseq.simulate.reads import READ_LENGTH, _sequencing_errors, sequence_sample
from tkiseq.simulate.templates import paralog_copy, sample_templates

PAIRS = 20_000


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deep") / "deep"
    simulate(out, "deep", 1, pairs=PAIRS)
    return out


def _truth(data: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(data / "truth" / f"{name}.tsv", sep="\t", keep_default_na=False)


def _seqs(path: Path) -> list[bytes]:
    return gzip.decompress(path.read_bytes()).split(b"\n")[1::4]


def test_duplicates_measured_in_the_fastq(deep: Path) -> None:
    """Pairs whose first 20 bases of both mates repeat another pair's: the duplicates, less the
    ~8 % of them (with their originals) that have an error in those 80 bases; unrelated
    fragments rarely share both ends."""
    samples = _truth(deep, "samples")
    assert len(samples) == PRESETS["deep"].n_samples == 4
    assert samples.read_pairs.between(0.85 * PAIRS, 1.15 * PAIRS).all()
    for s in samples.itertuples():
        assert abs(s.duplicate_fraction - 0.08) < 0.002
        r1, r2 = (_seqs(deep / "fastq" / f"{s.sample}_R{m}.fastq.gz") for m in (1, 2))
        keys = [a[:20] + b[:20] for a, b in zip(r1, r2, strict=True)]
        measured = 1 - len(set(keys)) / len(keys)
        assert 0.064 < measured < 0.08, (s.sample, measured)


def test_options_override_the_preset(tmp_path: Path) -> None:
    """Pre-mRNA share and duplicates follow the options, counted from the fragments drawn (the
    pre-mRNA share is of the planned originals; the mature total is a negative-binomial draw
    around its plan, so the share of the reads written varies by a few per cent)."""
    design = library("deep", pairs=30_000, intronic=0.1, duplicates=0.2, confident_errors=0.9)
    assert (design.pairs, design.intronic, design.duplicates) == (30_000, 0.1, 0.2)
    assert design.paralog and design.confident_errors == 0.9
    assert library("deep") == PRESETS["deep"]
    bigger = library("cohort", samples=60)
    assert (bigger.n_samples, bigger.n_paediatric, bigger.n_pdx) == (60, 38, 20)
    rng = np.random.default_rng(5)
    from tkiseq.simulate.catalog import gene_specs

    genome = build_genome(rng, gene_specs("deep", True))
    cohort = build_cohort(rng, design)
    copy = paralog_copy(rng, genome)
    templates, events, _ = sample_templates(rng, genome, cohort, 0, [], design, copy)
    reads, _ = sequence_sample(rng, templates, events, "S", "reverse", design.duplicates)
    frags = reads.template_fragments
    kinds = np.array([t.kind for t in templates])
    originals = reads.read_pairs - reads.duplicates
    assert frags.sum() == reads.read_pairs
    assert abs(reads.duplicates / reads.read_pairs - 0.2) < 0.002
    planned = round(cohort.samples[0].pairs * (1 - 0.2) * 0.1)
    assert sum(t.fragments for t in templates if t.kind == "premrna") == planned
    share = frags[kinds == "premrna"].sum() / reads.read_pairs
    assert abs(share - 0.1) < 0.015, share  # duplicates are drawn from every kind alike
    paralog = frags[kinds == "paralog"].sum()
    target = frags[(kinds == "mature") & np.array([t.gene == PARALOG_TARGET for t in templates])]
    assert 0.12 < paralog / target.sum() < 0.18
    assert originals > 0.75 * 30_000


def test_confident_errors_and_the_3prime_rise() -> None:
    """Errors found by comparing reads before/after: the requested share keeps an ordinary
    quality (29-41, passing -Q 20; the rest 2-15), and the error rate rises ~10x 5' to 3'."""
    rng = np.random.default_rng(3)
    clean = BASES[rng.integers(0, 4, (40_000, READ_LENGTH))]
    for share in (0.0, 0.6):
        reads = clean.copy()
        qual = _sequencing_errors(rng, reads, share).astype(int) - 33
        err = (reads != clean) & (reads != ord("N"))
        assert set(np.unique(qual[err])) <= set(range(2, 16)) | set(range(29, 42))
        confident = (qual[err] >= 20).mean()
        assert abs(confident - share) < 0.02, (share, confident)
        rate = err.mean(axis=0)
        assert rate[:10].mean() < 0.002 and 0.007 < rate[-10:].mean() < 0.013


def test_paralog_reads_and_truth(deep: Path) -> None:
    """Reads of the CD99 copy are in the FASTQ (its differences, read on either strand), and
    paralog_sites.tsv names reference bases of CD99L2 in genome.fa with other alt bases."""
    sites = _truth(deep, "paralog_sites")
    fasta = pysam.FastaFile(str(deep / "genome.fa"))
    gtf = [line.split("\t") for line in (deep / "genes.gtf").read_text().splitlines()]
    exons = [
        (int(r[3]), int(r[4]))
        for r in gtf
        if len(r) > 8 and r[2] == "exon" and f'transcript_name "{PARALOG_TARGET}-201"' in r[8]
    ]
    one = sites[sites["sample"] == "BA_P01"]
    assert 0.03 < len(one) / sum(b - a + 1 for a, b in exons) < 0.07  # ~5 % of the mRNA
    for s in one.itertuples():
        assert any(a <= s.pos <= b for a, b in exons)
        assert fasta.fetch(s.chrom, s.pos - 1, s.pos) == s.ref != s.alt
    assert (sites.alt_reads <= sites.depth).all()
    assert sites.groupby("sample").alt_reads.sum().gt(20).all()
    # 21-mers with the copy's base, inside one exon and without another difference: in reads
    text = "".join(
        gzip.decompress((deep / "fastq" / f"BA_P01_R{m}.fastq.gz").read_bytes()).decode()
        for m in (1, 2)
    )
    isolated = [
        s
        for s in one.sort_values("alt_reads", ascending=False).itertuples()
        if not ((one.pos - s.pos).abs().between(1, 10)).any()
        and any(a <= s.pos - 10 and s.pos + 10 <= b for a, b in exons)
        and s.alt_reads >= 3
    ][:5]
    assert len(isolated) >= 3
    found = 0
    for s in isolated:
        kmer = fasta.fetch(s.chrom, s.pos - 11, s.pos - 1) + s.alt
        kmer += fasta.fetch(s.chrom, s.pos, s.pos + 10)
        found += kmer in text or revcomp_str(kmer) in text
    assert found >= len(isolated) - 1


def test_failure_modes_are_planted(deep: Path) -> None:
    """The issue's three failure modes: E255K near the min_vaf bound, a frameshift with few alt
    reads (SETD2, expressed low), two e14a2 BCR::ABL1 samples; plus the paralog (above)."""
    var = _truth(deep, "variants")
    somatic = var[var.kind == "somatic"]
    assert "p.E255K" in set(somatic.hgvsp_short)
    assert (somatic[somatic.hgvsp_short == "p.E255K"].planned_vaf < 0.15).all()
    fs = somatic[(somatic.consequence == "frameshift_variant") & (somatic.gene == "SETD2")]
    assert len(fs) == 1
    fus = _truth(deep, "fusions")
    e14a2 = fus[(fus.gene5 == "BCR") & (fus.isoform == "e14a2")]
    assert len(e14a2) == 2 and e14a2["sample"].nunique() == 2
    assert (e14a2.split_reads > 0).all()
    # micro-homology: BCR intron 14 after its GT reads like ABL1 exon 2 from its third base
    fasta = pysam.FastaFile(str(deep / "genome.fa"))
    gtf = (deep / "genes.gtf").read_text().splitlines()

    def exon(transcript: str, number: int) -> tuple[str, int, int]:
        rows = [r.split("\t") for r in gtf if f'transcript_name "{transcript}"' in r]
        rows = sorted((int(r[3]), int(r[4]), r[0]) for r in rows if r[2] == "exon")
        a, b, chrom = rows[number - 1]
        return chrom, a, b

    chrom, _, end14 = exon("BCR-201", 14)
    chrom2, start2, _ = exon("ABL1-201", 2)
    assert fasta.fetch(chrom, end14, end14 + 2) == "GT"
    homology = fasta.fetch(chrom, end14 + 2, end14 + 10)
    assert homology == fasta.fetch(chrom2, start2 + 1, start2 + 9)
    assert fasta.fetch(chrom2, start2 - 1, start2 + 1) != "GT"  # a mismatch in the intron


def test_same_options_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(a, "deep", 7, pairs=3000)
    simulate(b, "deep", 7, pairs=3000)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "tiny", "--samples", "10"], "places its 6 samples by hand"),
        (["--preset", "cohort", "--samples", "12"], "needs >= 45"),
        (["--preset", "deep", "--duplicates", "1.5"], "expected a fraction from 0 to 0.9"),
        (["--preset", "deep", "--pairs", "10"], "expected at least 1000 read pairs"),
    ],
)
def test_bad_options_refused(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "tkiseq", "simulate", *args, "--outdir", str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not out.exists()
    with pytest.raises(InputError):
        library("deep", confident_errors=-0.1)
