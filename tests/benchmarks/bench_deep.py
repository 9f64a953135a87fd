"""Benchmark (b) of issue 13 on the deep preset: per-sample time outside STAR as a ratio of
STAR's own time, and the PASS calls scored against the simulator's truth.

    python -m tests.benchmarks.bench_deep [--data DATA] [--results RESULTS]
        [--workdir /tmp/tkiseq-bench-deep]

Without ``--data`` it simulates ``--preset deep`` (4 samples x 1M read pairs) into the workdir;
without ``--results`` it runs ``tkiseq run --threads 2`` on it. Then, per sample:

- STAR's time: ``Started mapping on`` -> ``Finished on`` of ``<sample>.Log.final.out`` (1 s
  resolution; the genome load before it is counted outside STAR, with what the align task
  does after STAR: the end of the duplicate-marking pipe, which runs beside STAR, and the
  strandedness);
- outside STAR: the align task's wall (``pipeline_info/trace.tsv``) minus STAR's time, plus the
  wall of every other task of that sample (variants call/filter/annotate, fusions,
  splice-lesions); the stage that dominates is named;
- the ratio, and its median over samples against the 0.25 target;
- the align task's own steps besides STAR, timed one by one on the first sample.

Scoring reuses ``bench_variant_call.score`` (recall of somatic variants with >= 3 alt reads and
VAF > 0.1 in the reads; precision of PASS calls against somatic and private germline truth).
Every missed and every false PASS call is listed with its FILTER, counts and INFO/AMM, LMQ;
false calls at ``truth/paralog_sites.tsv`` (reads of the unassembled CD99 copy) are marked.
The issue's failure modes are reported one by one: ABL1 E255K, the SETD2 frameshift with few
alt reads, calls past the BCR breakpoint of the e14a2 samples, the paralog sites by FILTER.
The library itself is measured on the first sample's BAM: duplicates (samtools markdup), error
rate by read cycle and the share of mismatching bases with quality >= 20 (reads vs genome).
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
from tests.benchmarks.bench_variant_call import KEY, score
from tests.benchmarks.measure import timed

from tkiseq.align import fastq
from tkiseq.align.star import duplicate_marking, run_pipe, samtools_command

TARGET = 0.25
STAR_FORMAT = "%b %d %H:%M:%S"
BCR_WINDOW = 10  # bases past the BCR breakpoint checked for junction artefacts
LIBRARY_READS = 300_000


def simulate(out: Path) -> None:
    cmd = [sys.executable, "-m", "tkiseq", "simulate", "--preset", "deep", "--outdir", str(out)]
    wall, _ = timed(cmd)
    print(f"simulate --preset deep: {wall:.0f} s")


def run(data: Path, out: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "tkiseq",
        "run",
        "--input",
        str(data / "samplesheet.csv"),
        "--phenotypes",
        str(data / "phenotypes.csv"),
        "--cnv",
        str(data / "cnv.csv"),
        "--fasta",
        str(data / "genome.fa"),
        "--gtf",
        str(data / "genes.gtf"),
        "--dbsnp",
        str(data / "dbsnp.vcf.gz"),
        "--gene-sets",
        str(data / "gene_sets.gmt"),
        "--outdir",
        str(out),
        "--threads",
        "2",
    ]
    wall, rss = timed(cmd, quiet=True)
    print(f"tkiseq run --threads 2: {wall:.0f} s wall, peak RSS {rss:.0f} MB")


def star_seconds(log: Path) -> float:
    """STAR's mapping time from its Log.final.out (the year is not logged: same day assumed,
    a run past midnight handled by adding a day)."""
    stamps = {}
    for line in log.read_text().splitlines():
        key, _, value = line.partition("|")
        if key.strip() in ("Started mapping on", "Finished on"):
            stamps[key.strip()] = datetime.strptime(value.strip(), STAR_FORMAT)
    seconds = (stamps["Finished on"] - stamps["Started mapping on"]).total_seconds()
    return seconds + 86400 if seconds < 0 else seconds


def timing(data: Path, results: Path) -> pd.DataFrame:
    """Per sample: STAR s, outside-STAR s, ratio, and the outside time per stage."""
    trace = pd.read_csv(results / "pipeline_info" / "trace.tsv", sep="\t", dtype={"sample": str})
    names = list(pd.read_csv(data / "samplesheet.csv")["sample"])
    rows = []
    for s in names:
        tasks = trace[trace["sample"] == s].set_index("stage")
        star = star_seconds(results / "align" / s / f"{s}.Log.final.out")
        parts = {"align (not STAR)": float(tasks.loc["align", "wall_s"]) - star}
        parts |= {st: float(w) for st, w in tasks["wall_s"].items() if st != "align"}
        outside = sum(parts.values())
        rows.append(
            {"sample": s, "star_s": star, "outside_s": outside, "ratio": outside / star, **parts}
        )
    return pd.DataFrame(rows)


def align_steps(data: Path, results: Path, workdir: Path) -> None:
    """The align task's steps besides STAR, timed on the first sample as the task runs them
    with ``--threads 1``: the FASTQ check (it runs beside STAR and is waited for), then the
    duplicate-marking pipe (samtools fixmate -m | sort | markdup with its index) fed the BAM
    put back in name order (STAR's unsorted output, untimed) as STAR feeds it."""
    sheet = pd.read_csv(data / "samplesheet.csv")
    s = sheet["sample"].iloc[0]
    work = workdir / "align_steps"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    reads = [data / sheet[c].iloc[0] for c in ("fastq_1", "fastq_2")]
    byname = work / "byname.bam"
    pysam.samtools.sort(
        "-n",
        "-@",
        "2",
        "-o",
        str(byname),
        str(results / "align" / s / f"{s}.bam"),
        catch_stdout=False,
    )
    print(f"{s}: align steps besides STAR (--threads 1, this machine's load)")
    t0 = time.perf_counter()
    fastq.check_pair(reads)
    print(f"  fastq check (beside STAR): {time.perf_counter() - t0:.1f} s wall")
    feed = samtools_command("view", "-u", str(byname))
    chain = duplicate_marking(work / "out.bam", work / "stats.txt", work, 1)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run_pipe([(c, c[3], work / f"{c[3]}.log") for c in (feed, *chain)])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(getattr(after, f) - getattr(before, f) for f in ("ru_utime", "ru_stime"))
    print(
        f"  samtools view -u | fixmate -m | sort | markdup --write-index: "
        f"{time.perf_counter() - t0:.1f} s wall, {cpu:.1f} s CPU (view included)"
    )
    shutil.rmtree(work)


def near_ends(bam: Path, chrom: str, pos: int, alt: str, within: int = 5) -> str:
    """Alt and ref reads over an SNV (not duplicate, MAPQ >= 20) and how many of each have the
    site within ``within`` bases of an aligned end or soft clip (what edge rules remove)."""
    n = {True: [0, 0], False: [0, 0]}
    with pysam.AlignmentFile(str(bam)) as af:
        for col in af.pileup(
            chrom,
            pos - 1,
            pos,
            truncate=True,
            stepper="nofilter",
            ignore_orphans=False,
            min_base_quality=0,
        ):
            for r in col.pileups:
                a = r.alignment
                if r.is_del or r.is_refskip or a.flag & 0xF04 or a.mapping_quality < 20:
                    continue
                is_alt = a.query_sequence[r.query_position] == alt
                q, aligned = r.query_position, (a.query_alignment_start, a.query_alignment_end)
                n[is_alt][0] += 1
                n[is_alt][1] += min(q - aligned[0], aligned[1] - 1 - q) < within
    return (
        f"alt reads {n[True][0]} ({n[True][1]} within {within} bases of an end), "
        f"other reads {n[False][0]} ({n[False][1]})"
    )


def calls(data: Path, results: Path) -> pd.DataFrame:
    """Every call of every sample: FILTER, AD, INFO/AMM, LMQ, and gene/consequence."""
    frames = []
    for s in pd.read_csv(data / "samplesheet.csv")["sample"]:
        with pysam.VariantFile(str(results / "variants" / f"{s}.all.vcf.gz")) as vf:
            rows = [
                (
                    s,
                    r.chrom,
                    r.pos,
                    r.ref,
                    r.alts[0],
                    ";".join(r.filter.keys()),
                    r.samples[0]["AD"][0],
                    r.samples[0]["AD"][1],
                    r.info.get("AMM", float("nan")),
                    r.info.get("LMQ", float("nan")),
                )
                for r in vf
            ]
        frames.append(pd.DataFrame(rows, columns=[*KEY, "filter", "ref_n", "alt_n", "amm", "lmq"]))
        table = pd.read_csv(results / "variants" / f"{s}.variants.tsv", sep="\t", dtype=str)
        frames[-1] = frames[-1].merge(
            table.assign(pos=table.pos.astype(int))[[*KEY, "gene", "consequence"]],
            on=KEY,
            how="left",
        )
    return pd.concat(frames, ignore_index=True)


def candidates(data: Path, results: Path) -> dict[str, tuple[int, int]]:
    """Records of ``<sample>.calls.vcf.gz`` (every pileup candidate) and how many of them were
    recounted read by read (no INFO/PILEUP)."""
    out = {}
    for s in pd.read_csv(data / "samplesheet.csv")["sample"]:
        with pysam.VariantFile(str(results / "variants" / f"{s}.calls.vcf.gz")) as vf:
            n = recounted = 0
            for r in vf:
                n += 1
                recounted += "PILEUP" not in r.info
        out[s] = (n, recounted)
    return out


def library(data: Path, results: Path) -> None:
    """Duplicates per sample (samtools markdup) and, on the first sample's first reads,
    mismatches by read cycle and their base qualities (uniquely mapped, not duplicate)."""
    for s in pd.read_csv(data / "samplesheet.csv")["sample"]:
        text = (results / "align" / s / f"{s}.markdup.txt").read_text()
        n = dict(re.findall(r"^([A-Z ]+): (\d+)$", text, re.M))
        share = int(n["DUPLICATE PAIR"]) / int(n["EXAMINED"])  # both counted in reads
        print(f"{s}: duplicates marked {share:.3f} of the examined reads")
    s = pd.read_csv(data / "samplesheet.csv")["sample"].iloc[0]
    fasta = pysam.FastaFile(str(data / "genome.fa"))
    length = 101
    bases, errors, confident = np.zeros(length), np.zeros(length), 0
    seen = 0
    with pysam.AlignmentFile(str(results / "align" / s / f"{s}.bam")) as bam:
        for read in bam.fetch():
            if read.mapping_quality < 255 or read.flag & 0xF04 or read.query_length != length:
                continue
            ref = fasta.fetch(read.reference_name, read.reference_start, read.reference_end)
            seq, qual = read.query_sequence, read.query_qualities
            for q, r in read.get_aligned_pairs(matches_only=True):
                cycle = length - 1 - q if read.is_reverse else q
                bases[cycle] += 1
                if seq[q] != ref[r - read.reference_start] and seq[q] != "N":
                    errors[cycle] += 1
                    confident += qual[q] >= 20
            seen += 1
            if seen == LIBRARY_READS:
                break
    rate = errors / bases
    print(f"{s}: {seen} uniquely mapped reads, mismatches per base by cycle (variants included)")
    for lo in range(0, length, 20):
        hi = min(length, lo + 20)
        print(f"  cycles {lo + 1}-{hi}: {rate[lo:hi].mean():.4f}")
    print(f"  mismatching bases with quality >= 20: {confident / errors.sum():.2f}")


def report(data: Path, results: Path, workdir: Path) -> None:
    library(data, results)
    align_steps(data, results, workdir)
    t = timing(data, results)
    print("\nper sample (wall s): STAR mapping, outside STAR, ratio; outside STAR by stage")
    print(t.round(2).to_string(index=False))
    stages = t.drop(columns=["sample", "star_s", "outside_s", "ratio"])
    print(
        f"median ratio {t.ratio.median():.3f} (target <= {TARGET}); dominant outside stage "
        f"per sample: {', '.join(stages.idxmax(axis=1))}"
    )
    for s, (n, rec) in candidates(data, results).items():
        print(f"{s}: {n} candidate alleles in calls.vcf.gz, {rec} recounted read by read")

    c = calls(data, results)
    truth = pd.read_csv(data / "truth" / "variants.tsv", sep="\t", dtype={"chrom": str})
    para = pd.read_csv(data / "truth" / "paralog_sites.tsv", sep="\t", dtype={"chrom": str})
    passed = c[c["filter"] == "PASS"]
    m = score(data, passed)
    print(
        f"\nrecall {m['recall']:.3f}, precision {m['precision']:.3f}, "
        f"false PASS {m['false_pass']}, alt reads kept {m['alt_reads_kept']:.3f}"
    )
    somatic = truth[(truth.kind == "somatic") & (truth.alt_reads >= 3) & (truth.vaf > 0.1)]
    missed = somatic.merge(c, on=KEY, how="left")
    missed = missed[missed["filter"] != "PASS"]
    print(f"missed ({len(missed)}): truth alt/depth -> call FILTER, ref/alt counted")
    for r in missed.itertuples():
        got = "no call" if pd.isna(r.filter) else f"{r.filter} {r.ref_n:.0f}/{r.alt_n:.0f}"
        print(
            f"  {r.sample} {r.gene_x} {r.hgvsp_short or r.hgvsc} {r.alt_reads}/{r.depth} -> {got}"
        )
    true = truth[truth.kind.isin(["somatic", "germline_private"])][KEY]
    false = passed.merge(true, on=KEY, how="left", indicator=True)
    false = false[false["_merge"] == "left_only"].drop(columns="_merge")
    false = false.merge(para[KEY].assign(paralog_site=True), on=KEY, how="left")
    print(f"false PASS ({len(false)}): ref/alt counted, AMM, LMQ")
    for r in false.itertuples():
        why = "paralog site (reads of the CD99 copy)" if r.paralog_site is True else ""
        print(
            f"  {r.sample} {r.chrom}:{r.pos} {r.ref}>{r.alt} {r.gene} {r.consequence} "
            f"{r.ref_n}/{r.alt_n} AMM {r.amm:.2f} LMQ {r.lmq:.2f} {why}"
        )

    print("\nfailure modes")
    for gene, label in (("ABL1", "p.E255K"), ("SETD2", None)):
        rows = truth[(truth.gene == gene) & (truth.kind == "somatic")]
        rows = rows[rows.hgvsp_short == label] if label else rows
        for r in rows.merge(c, on=KEY, how="left").itertuples():
            got = "no call" if pd.isna(r.filter) else f"{r.filter} {r.ref_n:.0f}/{r.alt_n:.0f}"
            print(
                f"  {r.sample} {gene} {r.hgvsp_short} {r.consequence_x}: truth "
                f"{r.alt_reads}/{r.depth} expected_pass {r.expected_pass} -> {got}"
            )
            if len(r.ref) == len(r.alt) == 1:
                bam = results / "align" / r.sample / f"{r.sample}.bam"
                print(f"    in the BAM: {near_ends(bam, r.chrom, r.pos, r.alt)}")
    fus = pd.read_csv(data / "truth" / "fusions.tsv", sep="\t")
    for f in fus[(fus.gene5 == "BCR") & (fus.isoform == "e14a2")].itertuples():
        chrom, pos, strand = f.breakpoint5.rsplit(":", 2)
        lo, hi = (
            (int(pos) + 1, int(pos) + BCR_WINDOW)
            if strand == "+"
            else (int(pos) - BCR_WINDOW, int(pos) - 1)
        )
        near = c[(c["sample"] == f.sample) & (c.chrom == chrom) & c.pos.between(lo, hi)]
        print(
            f"  {f.sample} BCR e14a2 breakpoint {f.breakpoint5}: {len(near)} calls within "
            f"{BCR_WINDOW} bases past it (FILTER, ref/alt counted; the BAM)"
        )
        bam = results / "align" / f.sample / f"{f.sample}.bam"
        for r in near.itertuples():
            print(
                f"    {r.pos} {r.ref}>{r.alt} {r.filter} {r.ref_n}/{r.alt_n}; "
                f"{near_ends(bam, chrom, r.pos, r.alt)}"
            )
    at = para.merge(c, on=KEY, how="left")
    for s, grp in at.groupby("sample"):
        counts = grp["filter"].fillna("no call").value_counts().to_dict()
        print(f"  {s} paralog sites ({len(grp)}, truth alt reads {grp.alt_reads.sum()}): {counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a tkiseq simulate --preset deep folder")
    parser.add_argument("--results", type=Path, help="the tkiseq run outdir on --data")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench-deep"))
    a = parser.parse_args()
    data = a.data or a.workdir / "data"
    if a.data is None:
        simulate(data)
    results = a.results or a.workdir / "results"
    if a.results is None:
        run(data, results)
    report(data, results, a.workdir)


if __name__ == "__main__":
    main()
