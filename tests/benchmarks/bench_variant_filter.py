"""Benchmark: `tkiseq variants filter` vs the bcftools equivalent on generated data.

    python -m tests.benchmarks.bench_variant_filter [--records 250000,1000000,2000000]
        [--dbsnp 10000000]

Generates (once, cached under --cache) a 4 x 50 Mb genome, a dbSNP VCF of >= --dbsnp records
(contigs named 1..4, as NCBI does) and one sample VCF per --records size (chr1..4) with
FORMAT/AD, a fifth of them dbSNP alleles. Reports wall time, records/s and peak RSS of each
run; peak RSS across the VCF sizes shows memory does not grow with the VCF.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pysam
import pysam.bcftools
from tests.benchmarks.measure import timed

CONTIGS = 4
LENGTH = 50_000_000
BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


def _genome(cache: Path, rng: np.random.Generator) -> tuple[Path, list[np.ndarray]]:
    fasta = cache / "genome.fa"
    seqs = [BASES[rng.integers(0, 4, LENGTH)] for _ in range(CONTIGS)]
    if not Path(f"{fasta}.fai").exists():
        with fasta.open("wb") as fh:
            for i, seq in enumerate(seqs, start=1):
                fh.write(f">chr{i}\n".encode())
                for k in range(0, LENGTH, 60):
                    fh.write(seq[k : k + 60].tobytes() + b"\n")
        pysam.faidx(str(fasta))
    return fasta, seqs


def _write_bgzf(path: Path, header: str, chunks) -> None:
    plain = path.with_suffix("")
    with plain.open("w") as fh:
        fh.write(header)
        for text in chunks:
            fh.write(text)
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)


def _sites(rng: np.random.Generator, seq: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    pos = np.unique(rng.integers(1, LENGTH, int(n * 1.02)))[:n]
    ref = seq[pos - 1]
    shift = rng.integers(1, 4, len(pos))
    alt = BASES[(np.searchsorted(BASES, ref) + shift) % 4]
    return pos, ref, alt


def generate(cache: Path, sizes: list[int], n_dbsnp: int) -> dict[str, Path]:
    """Write (or reuse) genome, dbSNP and one VCF of each size in ``sizes``."""
    cache.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    fasta, seqs = _genome(cache, rng)
    dbsnp = cache / f"dbsnp_{n_dbsnp}.vcf.gz"
    per = -(-n_dbsnp // CONTIGS)
    db_sites = [_sites(np.random.default_rng(10 + i), s, per) for i, s in enumerate(seqs)]
    head = "##fileformat=VCFv4.2\n" + "".join(
        f"##contig=<ID={i},length={LENGTH}>\n" for i in range(1, CONTIGS + 1)
    )
    cols = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
    if not Path(f"{dbsnp}.tbi").exists():

        def db_chunks():
            for i, (pos, ref, alt) in enumerate(db_sites, start=1):
                for k in range(0, len(pos), 500_000):
                    sl = slice(k, k + 500_000)
                    yield "".join(
                        f"{i}\t{p}\trs{i}{p}\t{chr(r)}\t{chr(a)}\t.\t.\t.\n"
                        for p, r, a in zip(pos[sl], ref[sl], alt[sl], strict=True)
                    )

        _write_bgzf(dbsnp, head + cols + "\n", db_chunks())
    out = {"fasta": fasta, "dbsnp": dbsnp}
    for n in sizes:
        vcf = cache / f"calls_{n}.vcf.gz"
        out[f"vcf_{n}"] = vcf
        if Path(f"{vcf}.tbi").exists():
            continue
        vhead = "##fileformat=VCFv4.2\n" + "".join(
            f"##contig=<ID=chr{i},length={LENGTH}>\n" for i in range(1, CONTIGS + 1)
        )
        vhead += '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">\n'
        vhead += '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'

        def vcf_chunks(n=n):
            r = np.random.default_rng(n)
            for i, seq in enumerate(seqs, start=1):
                m = n // CONTIGS
                pos, ref, alt = _sites(r, seq, m)
                dpos, dref, dalt = db_sites[i - 1]
                pick = r.choice(len(dpos), m // 5, replace=False)
                pos = np.concatenate([pos, dpos[pick]])
                ref = np.concatenate([ref, dref[pick]])
                alt = np.concatenate([alt, dalt[pick]])
                pos, first = np.unique(pos, return_index=True)
                ref, alt = ref[first][:m], alt[first][:m]
                pos = pos[:m]
                ad_ref = r.integers(0, 60, len(pos))
                ad_alt = r.integers(0, 12, len(pos))
                yield "".join(
                    f"chr{i}\t{p}\t.\t{chr(a)}\t{chr(b)}\t.\t.\t.\tGT:AD\t0/1:{x},{y}\n"
                    for p, a, b, x, y in zip(pos, ref, alt, ad_ref, ad_alt, strict=True)
                )

        _write_bgzf(vcf, vhead + cols + "\tFORMAT\tS1\n", vcf_chunks())
    db_chr = cache / f"dbsnp_{n_dbsnp}.chr.vcf.gz"
    if not Path(f"{db_chr}.tbi").exists():  # bcftools isec needs identical contig names
        names = cache / "chrs.txt"
        names.write_text("".join(f"{i}\tchr{i}\n" for i in range(1, CONTIGS + 1)))
        pysam.bcftools.annotate(
            "--rename-chrs", str(names), "-Oz", "-o", str(db_chr), str(dbsnp), catch_stdout=False
        )
        pysam.tabix_index(str(db_chr), preset="vcf", force=True)
    out["dbsnp_chr"] = db_chr
    return out


BCFTOOLS = """
import sys, pysam.bcftools as b
vcf, fasta, db, out = sys.argv[1:]
b.norm("-m", "-any", "-f", fasta, "-Oz", "-o", f"{out}/norm.vcf.gz", vcf, catch_stdout=False)
b.index("-t", f"{out}/norm.vcf.gz", catch_stdout=False)
b.view("-i", "FMT/AD[0:1]>=3 && FMT/AD[0:1]/(FMT/AD[0:0]+FMT/AD[0:1])>0.1", "-Oz",
       "-o", f"{out}/kept.vcf.gz", f"{out}/norm.vcf.gz", catch_stdout=False)
b.index("-t", f"{out}/kept.vcf.gz", catch_stdout=False)
b.isec("-C", "-w1", "-Oz", "-p", f"{out}/isec", f"{out}/kept.vcf.gz", db, catch_stdout=False)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", default="250000,1000000,2000000", help="comma-separated")
    ap.add_argument("--dbsnp", type=int, default=10_000_000)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/tkiseq-bench-variants"))
    a = ap.parse_args()
    t0 = time.perf_counter()
    sizes = [int(x) for x in a.records.split(",")]
    files = generate(a.cache, sizes, a.dbsnp)
    print(f"inputs ready in {time.perf_counter() - t0:.0f} s under {a.cache}")
    print(f"{'tool':10} {'records':>9} {'wall_s':>8} {'records/s':>10} {'peak_MB':>8}")
    for n in sizes:
        vcf = files[f"vcf_{n}"]
        out = a.cache / f"out_{n}"
        wall, rss = timed(
            [
                "tkiseq",
                "variants",
                "filter",
                "--sample",
                "S1",
                "--vcf",
                str(vcf),
                "--dbsnp",
                str(files["dbsnp"]),
                "--fasta",
                str(files["fasta"]),
                "--outdir",
                str(out),
            ]
        )
        print(f"{'tkiseq':10} {n:>9} {wall:>8.1f} {n / wall:>10.0f} {rss:>8.0f}")
        bout = a.cache / f"bcftools_{n}"
        bout.mkdir(exist_ok=True)
        wall, rss = timed(
            [
                sys.executable,
                "-c",
                BCFTOOLS,
                str(vcf),
                str(files["fasta"]),
                str(files["dbsnp_chr"]),
                str(bout),
            ]
        )
        print(f"{'bcftools':10} {n:>9} {wall:>8.1f} {n / wall:>10.0f} {rss:>8.0f}")
        ours = pysam.bcftools.view("-H", str(out / "S1.pass.vcf.gz")).count("\n")
        theirs = pysam.bcftools.view("-H", str(bout / "isec" / "0000.vcf.gz")).count("\n")
        print(f"{'':10} PASS records: tkiseq {ours}, bcftools {theirs}")


if __name__ == "__main__":
    main()
