"""Allele counts at every exonic site with alt support: a caller for subclonal RNA variants.

A diploid genotype model (``bcftools call``) discards alleles at VAF 0.1-0.3, which are common
in leukemic RNA; the study's decision is made on read counts anyway (>= 3 alt reads, VAF > 0.1,
applied by ``filter``). So every alt allele seen in the pileup is emitted with FORMAT/AD and DP
and the filter decides. Candidates come from the pileup; where the decision can still change
their AD is recounted read by read (see ``counts``). Pileup settings:

- reads: skip unmapped, secondary, QC-failed and duplicate-flagged reads; mapping quality
  >= 20 (STAR gives 255 to unique and <= 3 to multi-mapped reads, so this keeps unique
  alignments and works for other aligners' BAMs too); reads of improper pairs kept (-A) and
  both mates counted where they overlap (-x), as the recount counts them;
- bases: base quality >= 20, BAQ off (-B) so AD equals the reads observed;
- indels: candidates from >= 2 gapped reads making >= 1 % of the reads, no depth cap;
- the BAM is one sample whatever its read groups say (--ignore-RG), as the recount reads it.

So the pileup sees every read the recount can count, and an SNV's pileup alt count bounds
its recount: an SNV with fewer than ``min_alt_reads`` alt reads in the pileup (almost all
candidates: sequencing errors) cannot pass and keeps its pileup AD, marked INFO/PILEUP. Nor
can an SNV whose VAF stays <= ``min_vaf`` with every ref read the rules could remove taken
away (``counts.vaf_bounded``: at depth, errors reach 3 alt reads at a VAF far below 0.1).
Indels are always recounted (bcftools' indel AD undercounts), the rest with the evidence rules
of ``counts``, with the GTF's introns as the annotation.

Plumbing (measured in ``tests/benchmarks/README.md``; the pileup is most of the cost): each
step is bcftools in this process on uncompressed BCF, and only the output is compressed, once.
mpileup's default INFO statistics and its I16, QS and PL (inputs of ``bcftools call``, which
this caller does not run) are not kept. ``bcftools view`` keeps the sites with an allele and
drops their ``<*>``, ``norm`` splits them; ``bcftools query`` hands only the indels and the SNVs
with enough alt reads to Python as text (tens of thousands at depth, of which a handful are
recounted); ``bcftools annotate`` merges the recounts back and marks the rest INFO/PILEUP.

Regions: exons plus 10 bp of splice region at internal exon boundaries (not beyond the
transcript's ends) from the GTF. The contigs are split into ``threads`` consecutive runs of
about equal mapped reads (the BAM index's counts), one job each (pileup streamed over whole
contigs with the exons as targets, ``-T``, so spliced reads are read once rather than once per
exon as with exon regions; then the recount, one fetch per window of nearby candidates); the
jobs' outputs are joined block by block (``concat --naive``).
"""

from __future__ import annotations

import bisect
import tempfile
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise
from pathlib import Path

import pysam

from tkiseq.errors import InputError
from tkiseq.genome.bundle import merge_intervals, open_bundle
from tkiseq.genome.contigs import require_shared
from tkiseq.variants.counts import MIN_BASEQ, MIN_MAPQ, CallParams, Intron, recount_candidates
from tkiseq.variants.normalise import fasta_contigs
from tkiseq.variants.transcripts import Transcript, read_transcripts
from tkiseq.variants.vcfio import bcftools, indexed_vcf_output

SPLICE_PAD = 10
MAX_DEPTH = 1_000_000
# FORMAT/AD and DP, without mpileup's default INFO tests (bias statistics for `bcftools call`,
# which this caller does not run); I16, QS and PL (also for `bcftools call`) are then dropped
ANNOTATIONS = ",".join(
    ["FORMAT/AD", "FORMAT/DP"]
    + [f"-INFO/{t}" for t in ("BQBZ", "IDV", "IMF", "MQ0F", "MQBZ", "RPBZ", "SCBZ", "SGB", "VDB")]
)
DROPPED = "INFO/I16,INFO/QS,FORMAT/PL"
PSEUDOGENE_HEADER = (
    '##INFO=<ID=PSEUDOGENE,Number=0,Type=Flag,Description="In an exon of a pseudogene and of '
    "no other gene: RNA reads there are mostly the parent gene's\">"
)
PILEUP_HEADER = (
    '##INFO=<ID=PILEUP,Number=0,Type=Flag,Description="AD and DP from the pileup, not '
    'recounted: an SNV whose pileup counts bound the recount below the study thresholds">'
)
__all__ = ["CallParams", "call_bam"]


def exon_regions(
    transcripts: list[Transcript], rename: dict[str, str]
) -> dict[str, list[tuple[int, int]]]:
    """Merged exon intervals per contig (1-based inclusive, BAM naming), padded by
    SPLICE_PAD at internal exon boundaries only."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for t in transcripts:
        if t.chrom not in rename:
            continue
        last = len(t.exons) - 1
        spans.setdefault(rename[t.chrom], []).extend(
            (a - SPLICE_PAD if i > 0 else a, b + SPLICE_PAD if i < last else b)
            for i, (a, b) in enumerate(t.exons)
        )
    return {chrom: merge_intervals(pieces) for chrom, pieces in spans.items()}


def pseudogene_regions(
    transcripts: list[Transcript], gene_types: dict[str, str], rename: dict[str, str]
) -> dict[str, list[tuple[int, int]]]:
    """Exonic bases of pseudogenes (GENCODE ``*pseudogene`` gene types) that no other gene's
    exon covers, per contig (1-based inclusive, BAM naming)."""
    pseudo: dict[str, list[tuple[int, int]]] = {}
    other: dict[str, list[tuple[int, int]]] = {}
    for t in transcripts:
        if t.chrom in rename:
            kind = pseudo if gene_types.get(t.gene_id, "").endswith("pseudogene") else other
            kind.setdefault(rename[t.chrom], []).extend(t.exons)
    out: dict[str, list[tuple[int, int]]] = {}
    for chrom, pieces in pseudo.items():
        covered = merge_intervals(other.get(chrom, []))
        ends = [d for _, d in covered]
        for a, b in merge_intervals(pieces):
            i = bisect.bisect_left(ends, a)  # the first covered span that can overlap [a, b]
            while i < len(covered) and covered[i][0] <= b:  # cut each one out of [a, b]
                c, d = covered[i]
                if c > a:
                    out.setdefault(chrom, []).append((a, c - 1))
                a, i = d + 1, i + 1
            if a <= b:
                out.setdefault(chrom, []).append((a, b))
    return out


def annotated_introns(
    transcripts: list[Transcript], rename: dict[str, str]
) -> dict[str, frozenset[Intron]]:
    """Introns per contig (BAM naming) as 0-based half-open spans, as a read's N operation."""
    found: dict[str, set[Intron]] = {}
    for t in transcripts:
        if t.chrom in rename:
            found.setdefault(rename[t.chrom], set()).update(
                (a_end, b_start - 1) for (_, a_end), (b_start, _) in pairwise(t.exons)
            )
    return {chrom: frozenset(spans) for chrom, spans in found.items()}


def contig_groups(contigs: list[str], weight: dict[str, int], n: int) -> list[list[str]]:
    """At most ``n`` consecutive runs of ``contigs`` of about equal total ``weight``; order is
    kept, so the runs' outputs concatenate sorted."""
    total = sum(weight[c] for c in contigs)
    groups: list[list[str]] = []
    run: list[str] = []
    done = 0
    for c in contigs:
        run.append(c)
        done += weight[c]
        if len(groups) < n - 1 and done >= total * (len(groups) + 1) / n:
            groups.append(run)
            run = []
    return [*groups, run] if run else groups


def _call_part(
    bam: str,
    fasta: str,
    contigs: str,
    targets: str,
    introns: dict[str, frozenset[Intron]],
    out: str,
    params: CallParams,
) -> str:
    """mpileup -> sites with an allele, split -> candidates that can pass, recounted -> the
    recounts merged back, over the whole contigs listed in ``contigs`` (BED); a worker.
    Intermediates are uncompressed BCF; only ``out`` (bgzipped VCF) is compressed."""
    raw, seen, lean, split, kept, todo, counted = (
        f"{out}.{x}"
        for x in ("raw.bcf", "seen.bcf", "lean.bcf", "split.bcf", "kept.bcf", "todo.txt",
                  "counted.vcf.gz")
    )  # fmt: skip
    bcftools(
        "mpileup", "-f", fasta, "-R", contigs, "-T", targets, "-a", ANNOTATIONS,
        "-q", str(MIN_MAPQ), "-Q", str(MIN_BASEQ), "-B", "-A", "-x", "--ignore-RG",
        "--ff", "UNMAP,SECONDARY,QCFAIL,DUP",
        "-d", str(MAX_DEPTH), "-L", str(MAX_DEPTH), "-m", "2", "-F", "0.01",
        "-Ou", "-o", raw, bam,
    )  # fmt: skip
    # every covered base is a record with ALT <*>: keep those with an allele, drop <*> there
    bcftools("view", "-i", 'N_ALT>1 || ALT!="<*>"', "-A", "-Ou", "-o", seen, raw)
    bcftools("annotate", "-x", DROPPED, "-Ou", "-o", lean, seen)
    bcftools("norm", "-m", "-any", "-f", fasta, "-Ou", "-o", split, lean)
    # indexed (BGZF at level 0: no compression) because annotate reads it through its index
    keep = 'ALT!="<*>" && FMT/AD[0:1]>0'
    bcftools("view", "-i", keep, "-Ob", "-l", "0", "-W", "-o", kept, split)
    # the recount shortcut (module docstring): only indels and SNVs that can still pass
    need = f'TYPE!="snp" || FMT/AD[0:1]>={params.min_alt_reads}'
    bcftools("query", "-i", need, "-f", r"%CHROM\t%POS\t%REF\t%ALT\t[%AD]\n", "-o", todo, kept)
    recount_candidates(Path(todo), Path(kept), Path(bam), Path(fasta), Path(counted), introns,
                       params)  # fmt: skip
    pysam.tabix_index(counted, preset="vcf", force=True)
    bcftools(
        "annotate", "-a", counted, "-c", "FORMAT/AD,FORMAT/DP,INFO/AMM,INFO/LMQ,INFO/AXM,INFO/RXM",
        "--pair-logic", "exact", "-m", "-PILEUP", "-H", PILEUP_HEADER, "-Oz", "-o", out, kept,
    )  # fmt: skip
    for path in (raw, seen, lean, split, kept, f"{kept}.csi", todo, counted, f"{counted}.tbi"):
        Path(path).unlink()
    return out


def call_bam(
    sample: str,
    bam: Path,
    fasta: Path,
    annotation: Path,
    outdir: Path,
    threads: int = 1,
    params: CallParams | None = None,
) -> Path:
    """Write ``<sample>.calls.vcf.gz`` (+ .tbi): every exonic allele with alt reads."""
    params = params or CallParams()
    for path in (bam, fasta):
        if not path.exists():
            raise InputError(path, "file not found")
    try:
        with pysam.AlignmentFile(str(bam)) as af:
            bam_contigs = list(af.references)
            lengths = dict(zip(af.references, af.lengths, strict=True))
            if not af.has_index():
                raise InputError(bam, "no index (.bai/.csi)", hint=f"run `samtools index {bam}`")
            mapped = {st.contig: st.mapped for st in af.get_index_statistics()}
    except (OSError, ValueError) as exc:
        raise InputError(bam, f"not a readable BAM ({exc})") from exc
    require_shared(str(bam), bam_contigs, str(fasta), fasta_contigs(fasta))
    bundle = open_bundle(annotation)
    rename = require_shared(str(annotation), bundle.contigs(), str(bam), bam_contigs)
    transcripts = read_transcripts(bundle)
    regions = exon_regions(transcripts, rename)
    genes = bundle.genes
    pseudo = pseudogene_regions(
        transcripts, dict(zip(genes["gene_id"], genes["gene_type"], strict=True)), rename
    )
    introns = annotated_introns(transcripts, rename)
    outdir.mkdir(parents=True, exist_ok=True)
    dest = outdir / f"{sample}.calls.vcf.gz"
    with tempfile.TemporaryDirectory(dir=outdir, prefix=f".{sample}.call.") as tmp:
        called = [c for c in bam_contigs if c in regions]
        # the pileup's work grows with the reads, which the index counts for free
        weight = {c: mapped.get(c, 0) + 1 for c in called}
        jobs = []
        for i, group in enumerate(contig_groups(called, weight, max(1, threads))):
            whole, targets = Path(tmp) / f"{i}.contigs.bed", Path(tmp) / f"{i}.targets.bed"
            whole.write_text("".join(f"{c}\t0\t{lengths[c]}\n" for c in group))
            targets.write_text(
                "".join(f"{c}\t{a - 1}\t{b}\n" for c in group for a, b in regions[c])
            )
            known = {c: introns.get(c, frozenset()) for c in group}
            part = str(Path(tmp) / f"{i}.vcf.gz")
            jobs.append((str(bam), str(fasta), str(whole), str(targets), known, part, params))
        if len(jobs) == 1:  # no worker process to start
            parts = [_call_part(*jobs[0])]
        else:
            with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
                parts = list(pool.map(_call_part, *zip(*jobs, strict=True)))
        joined = parts[0]
        if len(parts) > 1:  # same header, sorted runs: BGZF blocks joined as they are
            joined = str(Path(tmp) / "joined.vcf.gz")
            bcftools("concat", "--naive", "-o", joined, *parts)
        if pseudo:
            bed = Path(tmp) / "pseudogenes.bed"
            bed.write_text(
                "".join(f"{c}\t{a - 1}\t{b}\n" for c in bam_contigs for a, b in pseudo.get(c, []))
            )
            indexed = pysam.tabix_index(str(bed), preset="bed", force=True)
            marked = str(Path(tmp) / "marked.vcf.gz")
            bcftools("annotate", "-a", indexed, "-c", "CHROM,FROM,TO", "-m", "+PSEUDOGENE",
                     "-H", PSEUDOGENE_HEADER, "-Oz", "-o", marked, joined)  # fmt: skip
            joined = marked
        names = Path(tmp) / "names.txt"
        names.write_text(f"{sample}\n")  # --ignore-RG names the sample after the BAM file
        with indexed_vcf_output(dest) as out:
            bcftools("reheader", "-s", str(names), "-o", str(out), joined)
    return dest
