"""Wall time and peak memory of ``tkiseq fusions call`` on one large generated sample.

Run from the repository root:

    python -m tests.benchmarks.bench_fusions [--lines 1200000] [--workdir /tmp/tkiseq-bench-fusions]

Generates a GTF of 3,000 genes (6 exons each, 25 contigs), a Chimeric.out.junction of
``--lines`` alignments (real fusions with thousands of reads in both orientations, spanning
pairs, multimapping reads and, for the most part, random one-read noise between exonic
positions, the worst case for the caller because nearly every line is its own breakpoint)
and an SJ.out.tab of 200,000 junctions, then times ``tkiseq fusions call`` in a child process on
one core. Target: <= 60 s and <= 2 GB.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from tests.benchmarks.measure import timed

from tkiseq.fusions.junctions import CHIMERIC_HEADER
from tkiseq.genome.bundle import build_bundle

N_CONTIGS = 25
GENES_PER_CONTIG = 120
N_EXONS = 6


def write_gtf(path: Path) -> list[tuple[str, str, list[tuple[int, int]]]]:
    """Genes every 20 kb, exons of 150 bases every 2 kb; returns (chrom, strand, exons)."""
    genes, lines = [], []
    for c in range(1, N_CONTIGS + 1):
        chrom = f"chr{c}"
        for g in range(GENES_PER_CONTIG):
            start = 10_000 + g * 20_000
            strand = "+" if g % 2 else "-"
            exons = [(start + 2000 * i, start + 2000 * i + 149) for i in range(N_EXONS)]
            gid, name = f"G{c}_{g}", f"G{c}N{g}"  # no shared family stems
            attrs = f'gene_id "{gid}"; transcript_id "T{c}_{g}"; gene_name "{name}";'
            lines.append(
                f"{chrom}\tB\tgene\t{exons[0][0]}\t{exons[-1][1]}\t.\t{strand}\t.\t{attrs}"
            )
            for s, e in exons:
                lines.append(f"{chrom}\tB\texon\t{s}\t{e}\t.\t{strand}\t.\t{attrs}")
            lines.append(f"{chrom}\tB\tCDS\t{exons[1][0]}\t{exons[4][1]}\t.\t{strand}\t.\t{attrs}")
            genes.append((chrom, strand, exons))
    path.write_text("\n".join(lines) + "\n")
    return genes


def write_junctions(path: Path, genes: list, n_lines: int, rng: np.random.Generator) -> None:
    """Mostly random noise; 20 fusions with 2,000 split reads each, half read reversed."""
    idx = rng.integers(0, len(genes), size=(n_lines, 2))
    exon = rng.integers(0, N_EXONS, size=(n_lines, 2))
    offset = rng.integers(0, 150, size=(n_lines, 2))
    jtype = np.where(rng.random(n_lines) < 0.3, -1, 1)
    n_aln = np.where(rng.random(n_lines) < 0.05, 2, 1)
    with path.open("w") as fh:
        fh.write("\t".join([*CHIMERIC_HEADER, "PEmerged_bool", "readgrp"]) + "\n")
        for i in range(n_lines):
            fusion = i < 40_000
            if fusion:  # exon 3 end of gene k -> exon 2 start of gene k + 1000
                k = i % 20
                ga, gb = genes[k], genes[k + 1000]
                ea, eb = ga[2][2], gb[2][1]
                pos_a = ea[1] + 1 if ga[1] == "+" else ea[0] - 1
                pos_b = eb[0] - 1 if gb[1] == "+" else eb[1] + 1
                a, b = (ga[0], pos_a, ga[1]), (gb[0], pos_b, gb[1])
                if i % 2:
                    flip = {"+": "-", "-": "+"}
                    a, b = (b[0], b[1], flip[b[2]]), (a[0], a[1], flip[a[2]])
            else:
                ga, gb = genes[idx[i, 0]], genes[idx[i, 1]]
                a = (ga[0], ga[2][exon[i, 0]][0] + offset[i, 0], ga[1])
                b = (gb[0], gb[2][exon[i, 1]][0] + offset[i, 1], gb[1])
            jt = 1 if fusion else jtype[i]
            fh.write(
                f"{a[0]}\t{a[1]}\t{a[2]}\t{b[0]}\t{b[1]}\t{b[2]}\t{jt}\t0\t0\tread{i}\t"
                f"{a[1] - 60}\t60M41S\t{b[1]}\t60S41M\t{n_aln[i]}\t202\t150\t190\t190\t0\tRG\n"
            )
        fh.write("# 2.7.10b   STAR (generated)\n")
        fh.write(f"# Nreads {n_lines * 40}\tNreadsUnique {n_lines * 30}\tNreadsMulti 1000\n")


def write_sj(path: Path, genes: list, rng: np.random.Generator, n: int = 200_000) -> None:
    """Annotated exon-exon junctions with read counts, plus unannotated random ones."""
    with path.open("w") as fh:
        for i in range(n):
            chrom, strand, exons = genes[i % len(genes)]
            j = int(rng.integers(0, N_EXONS - 1))
            start, end = exons[j][1] + 1, exons[j + 1][0] - 1 + (i // len(genes))
            fh.write(
                f"{chrom}\t{start}\t{end}\t{1 if strand == '+' else 2}\t1\t{int(i < 3000)}"
                f"\t{int(rng.integers(1, 200))}\t0\t50\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_200_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench-fusions"))
    args = parser.parse_args()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    t0 = time.perf_counter()
    genes = write_gtf(work / "genes.gtf")
    write_junctions(work / "B.Chimeric.out.junction", genes, args.lines, rng)
    write_sj(work / "B.SJ.out.tab", genes, rng)
    print(f"generated {args.lines:,} junction lines in {time.perf_counter() - t0:.1f} s")
    build_bundle(work / "genes.gtf", None, work / "annotation")  # tkiseq prepare, once
    cmd = [
        "taskset",
        "-c",
        "0",
        sys.executable,
        "-m",
        "tkiseq",
        "fusions",
        "call",
        "--sample",
        "B",
        "--chimeric",
        str(work / "B.Chimeric.out.junction"),
        "--sj",
        str(work / "B.SJ.out.tab"),
        "--annotation",
        str(work / "annotation"),
        "--outdir",
        str(work / "out"),
    ]
    wall, rss = timed(cmd)
    calls = (work / "out" / "B.fusions.tsv").read_text().splitlines()
    high = sum("\thigh\t" in line for line in calls)
    print(f"tkiseq fusions call: {wall:.1f} s wall, {rss:.0f} MB peak RSS (one core)")
    print(f"{len(calls) - 1:,} candidates, {high} high confidence (20 planted)")
    print("target: <= 60 s, <= 2048 MB:", "met" if wall <= 60 and rss <= 2048 else "MISSED")


if __name__ == "__main__":
    main()
