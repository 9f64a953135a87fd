"""Benchmark: `tkiseq variants call` vs `bcftools mpileup | bcftools call -mv`, and the recall
cost / precision gain of each recount evidence rule on the simulator's truth.

    python -m tests.benchmarks.bench_variant_call speed --data DATA --results RESULTS
        [--samples BA_P01] [--workdir /tmp/tkiseq-bench-call] [--repeats 2]
    python -m tests.benchmarks.bench_variant_call rules --data DATA --results RESULTS
    python -m tests.benchmarks.bench_variant_call depth --bams 1M=a.bam,4M=b.bam
        --fasta genome.fa --gtf genes.gtf [--threads 2] [--before /work/main/python]
        [--dbsnp dbsnp.vcf.gz] [--workdir /tmp/tkiseq-bench-call] [--repeats 1]

DATA is a `tkiseq simulate` folder and RESULTS the `tkiseq run` outdir on it. `speed` times
`variants call`, bcftools, and `variants call` without the recount shortcut (every candidate
recounted) on one sample's BAM, on all samples' BAMs merged into one (the deepest library
available without aligning anew) and on that merged BAM with every base quality set to 35
(the simulator gives its sequencing errors low qualities, which -Q 20 drops; with confident
errors every one-read error is a candidate, the regime of issue 13; the no-shortcut run is
left out there: it recounts every one of those candidates in Python). Runs alternate in order
so all see the same machine load; CPU time (user + system) is the fair comparison on a shared
machine; peak RSS is that of the largest process of each tree. bcftools (pysam's) gets the
same target regions (exons + splice regions from the GTF), no depth cap and one sample per
BAM (--ignore-RG: the merged BAM keeps its six read groups), as `variants call` has; it runs
as the pipe it is, two processes (mpileup -Ou into a FIFO read by call).

`depth` is benchmark (a) of issue 13: on each given BAM (e.g. one deep sample, ~1M read pairs,
and four merged, ~4M), `variants call --threads N` (default 2, the pipe's two processes) and
the bcftools pipe side by side, plus, with ``--before``, `variants call` of another checkout
(its ``python/`` folder put first on PYTHONPATH: the code before a change). Besides wall, CPU
and peak RSS it counts each output's records that reach >= 3 alt reads at VAF > 0.1 (the
study's count thresholds), and with ``--dbsnp`` runs the study filter on the `variants call`
outputs and checks that both checkouts give the same PASS set.

`rules` takes every sample's candidates (the pileup's alleles, which do not depend on the
rules), recounts them under each rule set, applies the study filter (with the sample's
fusions.tsv, as the pipeline does) and scores the PASS calls against `truth/variants.tsv`:
recall of detectable somatic variants (>= 3 alt reads and VAF > 0.1 in the reads),
precision, false PASS calls, and the alt reads counted for the true calls as a fraction of
the truth's alt reads.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from array import array
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pysam
import pysam.bcftools
from tests.benchmarks.measure import measured

from tkiseq.genome.bundle import build_bundle, open_bundle
from tkiseq.genome.contigs import require_shared
from tkiseq.variants.call import CallParams, annotated_introns, call_bam, exon_regions
from tkiseq.variants.counts import add_allele_depths
from tkiseq.variants.filter import filter_calls
from tkiseq.variants.transcripts import read_transcripts

KEY = ["sample", "chrom", "pos", "ref", "alt"]
FORMER = CallParams(edge=5, clip_pad=8, junction_pad=8, overhang=10, intron_end=0)  # before
CONFIDENT = 35
RULES = ("edge", "clip_pad", "junction_pad", "overhang", "intron_end")
RECOUNT_ALL = CallParams(min_alt_reads=0, min_vaf=0)  # no shortcut: every candidate recounted


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system of the tree) and peak RSS (MB) of ``cmd``
    (``measure.measured``); CPU time is what to compare on a machine shared with other jobs."""
    return measured(cmd, quiet=True, env=env)


def bcftools_call(bam: str, fasta: str, bed: str, out: str) -> None:
    """`bcftools mpileup -a AD,DP -T bed -d 1000000 --ignore-RG -Ou | bcftools call -mv`: two
    processes joined by a FIFO (pysam's bcftools has no command-line binary to pipe)."""
    fifo = f"{out}.fifo"
    Path(fifo).unlink(missing_ok=True)
    os.mkfifo(fifo)
    me = [sys.executable, "-m", "tests.benchmarks.bench_variant_call"]
    try:
        procs = [
            subprocess.Popen([*me, "_mpileup", bam, fasta, bed, fifo]),
            subprocess.Popen([*me, "_call", fifo, out]),
        ]
        if any(proc.wait() != 0 for proc in procs):
            raise SystemExit("bcftools pipe failed")
    finally:
        Path(fifo).unlink()


def _mpileup(bam: str, fasta: str, bed: str, out: str) -> None:
    pysam.bcftools.mpileup(
        "-f",
        fasta,
        "-T",
        bed,
        "-a",
        "FORMAT/AD,FORMAT/DP",
        "-d",
        "1000000",
        "--ignore-RG",
        "-Ou",
        "-o",
        out,
        bam,
        catch_stdout=False,
    )


def _call(raw: str, out: str) -> None:
    pysam.bcftools.call("-mv", "-Oz", "-o", out, raw, catch_stdout=False)


def annotation_of(gtf: Path, fasta: Path, work: Path) -> Path:
    """The annotation bundle of ``gtf`` (``tkiseq prepare``'s), made once under ``work``."""
    dest = work / "annotation"
    if not dest.exists():
        work.mkdir(parents=True, exist_ok=True)
        build_bundle(gtf, fasta, dest)
    return dest


def regions_bed(annotation: Path, bam: Path, dest: Path) -> Path:
    with pysam.AlignmentFile(str(bam)) as af:
        contigs = list(af.references)
    regions = exon_regions(read_transcripts(open_bundle(annotation)), {c: c for c in contigs})
    dest.write_text("".join(f"{c}\t{a - 1}\t{b}\n" for c in contigs for a, b in regions.get(c, [])))
    return dest


def speed(a: argparse.Namespace) -> None:
    work = a.workdir
    work.mkdir(parents=True, exist_ok=True)
    fasta, gtf = a.data / "genome.fa", a.data / "genes.gtf"
    bams = {s: a.results / "align" / s / f"{s}.bam" for s in samples(a.data)}
    merged = work / "merged.bam"
    if not Path(f"{merged}.bai").exists():
        pysam.merge("-f", "-o", str(merged), *map(str, bams.values()))
        pysam.index(str(merged))
    confident = work / f"merged.q{CONFIDENT}.bam"
    if not Path(f"{confident}.bai").exists():
        flat_qualities(merged, confident)
    inputs = {s: bams[s] for s in a.samples.split(",")} | {"merged": merged}
    inputs |= {f"merged.q{CONFIDENT}": confident}
    annotation = annotation_of(gtf, fasta, work)
    bed = regions_bed(annotation, merged, work / "regions.bed")
    py = sys.executable
    print("bam\tpairs\tcaller\twall_s\tcpu_s\tpeak_rss_mb\tcandidates\trecounted")
    for name, bam in inputs.items():
        pairs = _mapped(bam) // 2
        for k in range(a.repeats):
            out = work / f"{name}.{k}"
            tkiseq = [
                py,
                "-m",
                "tkiseq",
                "variants",
                "call",
                "--sample",
                "S",
                "--bam",
                str(bam),
                "--fasta",
                str(fasta),
                "--annotation",
                str(annotation),
                "--outdir",
                str(out),
            ]
            runs: dict[str, list[str]] = {
                "tkiseq": tkiseq,
                "bcftools": [
                    py,
                    "-m",
                    "tests.benchmarks.bench_variant_call",
                    "_bcftools",
                    str(bam),
                    str(fasta),
                    str(bed),
                    f"{out}.bcftools.vcf.gz",
                ],
                "tkiseq, recount every candidate": [
                    py,
                    "-m",
                    "tests.benchmarks.bench_variant_call",
                    "_recount_all",
                    str(bam),
                    str(fasta),
                    str(annotation),
                    f"{out}.all",
                ],
            }
            if bam == confident:  # (module docstring)
                del runs["tkiseq, recount every candidate"]
            order = list(runs) if k % 2 == 0 else list(runs)[::-1]
            for caller in order:
                wall, cpu, rss = timed(runs[caller])
                counts = ""
                if caller == "tkiseq":
                    with pysam.VariantFile(str(out / "S.calls.vcf.gz")) as vf:
                        flags = [("PILEUP" in r.info) for r in vf]
                    counts = f"\t{len(flags)}\t{flags.count(False)}"
                print(
                    f"{name}\t{pairs}\t{caller}\t{wall:.1f}\t{cpu:.1f}\t{rss:.0f}{counts}",
                    flush=True,
                )


def flat_qualities(bam: Path, dest: Path) -> None:
    """``bam`` with every base quality set to CONFIDENT: the simulator's sequencing errors
    carry low qualities that -Q 20 drops, real instruments often give errors high ones; this
    is the regime of the issue (every one-read error is a candidate)."""
    with (
        pysam.AlignmentFile(str(bam)) as src,
        pysam.AlignmentFile(str(dest), "wb", template=src) as out,
    ):
        for aln in src:
            if aln.query_qualities is not None:
                aln.query_qualities = array("B", [CONFIDENT]) * aln.query_length
            out.write(aln)
    pysam.index(str(dest))


def recount_all(bam: str, fasta: str, annotation: str, outdir: str) -> None:
    """``variants call`` without the shortcut: every candidate recounted."""
    call_bam("S", Path(bam), Path(fasta), Path(annotation), Path(outdir), params=RECOUNT_ALL)


def passing_counts(vcf: Path) -> int:
    """Records with >= 3 alt reads and VAF > 0.1 (the study's count thresholds)."""
    keep = "FMT/AD[0:1]>=3 && FMT/AD[0:1]/FMT/DP>0.1"
    text = pysam.bcftools.view("-H", "-i", keep, str(vcf))
    return len(text.splitlines())


def pass_set(vcf: Path, dbsnp: Path, fasta: Path, folder: Path) -> set[tuple[str, int, str, str]]:
    """PASS calls of the study filter (no fusions table: the BAMs may mix samples); only
    records with >= 3 alt reads go in, as no other can pass."""
    folder.mkdir(parents=True, exist_ok=True)
    few = folder / "candidates.vcf.gz"
    pysam.bcftools.view("-i", "FMT/AD[0:1]>=3", "-Oz", "-o", str(few), str(vcf), catch_stdout=False)
    pysam.tabix_index(str(few), preset="vcf", force=True)
    _, passed = filter_calls("S", few, dbsnp, fasta, folder)
    with pysam.VariantFile(str(passed)) as vf:
        return {(r.chrom, r.pos, r.ref, r.alts[0]) for r in vf}


def depth(a: argparse.Namespace) -> None:
    """Benchmark (a): `variants call` vs the bcftools pipe per BAM (module docstring)."""
    work = a.workdir / "depth"
    work.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    bams = dict(item.split("=", 1) for item in a.bams.split(","))
    annotation = annotation_of(a.gtf, a.fasta, work)
    print(
        f"# load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} (1, 5 min), "
        f"{os.cpu_count()} cores",
        flush=True,
    )
    print(
        "bam\tpairs\tcaller\tprocesses\twall_s\tcpu_s\tpeak_rss_mb\tcandidates\t"
        "recounted\tcount_pass\tfilter_pass"
    )
    for name, bam_path in bams.items():
        bam = Path(bam_path)
        pairs = _mapped(bam) // 2
        bed = regions_bed(annotation, bam, work / f"{name}.regions.bed")
        for k in range(a.repeats):
            out = work / f"{name}.{k}"
            call = [
                "-m",
                "tkiseq",
                "variants",
                "call",
                "--sample",
                "S",
                "--bam",
                str(bam),
                "--fasta",
                str(a.fasta),
                "--threads",
                str(a.threads),
            ]
            runs: dict[str, tuple[list[str], dict[str, str] | None]] = {
                "tkiseq": (
                    [py, *call, "--annotation", str(annotation), "--outdir", str(out / "tkiseq")],
                    None,
                ),
                "bcftools": (
                    [
                        py,
                        "-m",
                        "tests.benchmarks.bench_variant_call",
                        "_bcftools",
                        str(bam),
                        str(a.fasta),
                        str(bed),
                        f"{out}.bcftools.vcf.gz",
                    ],
                    None,
                ),
            }
            if a.before:
                env = dict(os.environ, PYTHONPATH=str(a.before))
                before = [
                    py,
                    *call,
                    "--annotation",
                    str(annotation),
                    "--outdir",
                    str(out / "before"),
                ]
                runs["tkiseq before"] = (before, env)
            order = list(runs) if k % 2 == 0 else list(runs)[::-1]
            passes: dict[str, set[tuple[str, int, str, str]]] = {}
            for caller in order:
                cmd, env = runs[caller]
                wall, cpu, rss = timed(cmd, env)
                procs = "2 (pipe)" if caller == "bcftools" else f"--threads {a.threads}"
                if caller == "bcftools":
                    vcf = Path(f"{out}.bcftools.vcf.gz")
                    cols = f"{_records(vcf)}\t\t{passing_counts(vcf)}\t"
                else:
                    vcf = out / ("tkiseq" if caller == "tkiseq" else "before") / "S.calls.vcf.gz"
                    with pysam.VariantFile(str(vcf)) as vf:
                        flags = [("PILEUP" in r.info) for r in vf]
                    cols = f"{len(flags)}\t{flags.count(False)}\t{passing_counts(vcf)}\t"
                    if a.dbsnp:
                        passes[caller] = pass_set(vcf, a.dbsnp, a.fasta, out / f"{caller}.filter")
                        cols += str(len(passes[caller]))
                print(
                    f"{name}\t{pairs}\t{caller}\t{procs}\t{wall:.1f}\t{cpu:.1f}\t{rss:.0f}\t{cols}",
                    flush=True,
                )
            if len(passes) == 2:
                same = passes["tkiseq"] == passes["tkiseq before"]
                print(f"# {name}: same PASS set as before: {same} ({len(passes['tkiseq'])})")
    print(f"# load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} (1, 5 min)")


def _records(vcf: Path) -> int:
    with pysam.VariantFile(str(vcf)) as vf:
        return sum(1 for _ in vf)


def _mapped(bam: Path) -> int:
    return sum(int(line.split("\t")[2]) for line in pysam.idxstats(str(bam)).splitlines())


def samples(data: Path) -> list[str]:
    return list(pd.read_csv(data / "samplesheet.csv")["sample"])


def score(data: Path, passed: pd.DataFrame) -> dict[str, float]:
    truth = pd.read_csv(data / "truth" / "variants.tsv", sep="\t", dtype={"chrom": str})
    merged = truth.merge(passed, on=KEY, how="left", indicator=True)
    detectable = merged[(merged.kind == "somatic") & (merged.alt_reads >= 3) & (merged.vaf > 0.1)]
    found = detectable[detectable["_merge"] == "both"]
    hits = passed.merge(truth, on=KEY, how="left")
    true = hits.kind.isin(["somatic", "germline_private"])
    counted = passed.merge(detectable[[*KEY, "alt_reads"]], on=KEY, suffixes=("", "_truth"))
    return {
        "recall": len(found) / len(detectable),
        "precision": true.sum() / max(1, len(hits)),
        "false_pass": int((~true).sum()),
        "alt_reads_kept": counted.alt_n.sum() / max(1, counted.alt_reads.sum()),
    }


def rules(a: argparse.Namespace) -> None:
    work = a.workdir / "rules"
    fasta, gtf = a.data / "genome.fa", a.data / "genes.gtf"
    dbsnp = a.data / "dbsnp.vcf.gz"
    annotation = annotation_of(gtf, fasta, work)
    transcripts = read_transcripts(open_bundle(annotation))
    default = CallParams()
    configs = {"former": FORMER}
    configs |= {f"former without {r}": replace(FORMER, **{r: 0}) for r in RULES[:4]}
    configs |= {"none": replace(FORMER, **dict.fromkeys(RULES, 0))}
    configs |= {"default": default}
    configs |= {
        f"default {'without' if getattr(default, r) else 'with'} {r}": replace(
            default, **{r: 0 if getattr(default, r) else getattr(FORMER, r)}
        )
        for r in RULES
    }
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in configs}
    for s in samples(a.data):
        bam = a.results / "align" / s / f"{s}.bam"
        with pysam.AlignmentFile(str(bam)) as af:
            contigs = list(af.references)
        rename = require_shared(str(gtf), [t.chrom for t in transcripts], str(bam), contigs)
        introns = annotated_introns(transcripts, rename)
        # the candidates: every allele the pileup saw, whatever its count
        cand = call_bam(s, bam, fasta, annotation, work / s, params=RECOUNT_ALL)
        fusions = a.results / "fusions" / f"{s}.fusions.tsv"
        for i, (name, params) in enumerate(configs.items()):
            folder = work / s / str(i)
            folder.mkdir(parents=True, exist_ok=True)
            recount = folder / "calls.vcf.gz"
            add_allele_depths(cand, bam, fasta, recount, introns, params)
            pysam.tabix_index(str(recount), preset="vcf", force=True)
            _, pass_vcf = filter_calls(s, recount, dbsnp, fasta, folder, fusions=fusions)
            with pysam.VariantFile(str(pass_vcf)) as vf:
                rows = [(s, r.chrom, r.pos, r.ref, r.alts[0], r.samples[0]["AD"][1]) for r in vf]
            tables[name].append(pd.DataFrame(rows, columns=[*KEY, "alt_n"]))
    print("rules\trecall\tprecision\tfalse_pass\talt_reads_kept")
    for name, frames in tables.items():
        m = score(a.data, pd.concat(frames, ignore_index=True))
        print(
            f"{name}\t{m['recall']:.3f}\t{m['precision']:.3f}\t{m['false_pass']}\t"
            f"{m['alt_reads_kept']:.3f}"
        )


def main() -> None:
    helpers = {
        "_bcftools": bcftools_call,
        "_mpileup": _mpileup,
        "_call": _call,
        "_recount_all": recount_all,
    }
    if sys.argv[1:2] and sys.argv[1] in helpers:
        helpers[sys.argv[1]](*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["speed", "rules", "depth"])
    parser.add_argument("--data", type=Path, help="speed, rules: a `tkiseq simulate` folder")
    parser.add_argument("--results", type=Path, help="speed, rules: `tkiseq run` on --data")
    parser.add_argument("--samples", default="BA_P01")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tkiseq-bench-call"))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--bams", help="depth: NAME=BAM,NAME=BAM")
    parser.add_argument("--fasta", type=Path)
    parser.add_argument("--gtf", type=Path)
    parser.add_argument("--dbsnp", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--before", type=Path, help="depth: python/ of the checkout to compare")
    a = parser.parse_args()
    needed = ("bams", "fasta", "gtf") if a.mode == "depth" else ("data", "results")
    if missing := [f"--{x}" for x in needed if getattr(a, x) is None]:
        parser.error(f"{a.mode} needs {', '.join(missing)}")
    {"speed": speed, "rules": rules, "depth": depth}[a.mode](a)


if __name__ == "__main__":
    main()
