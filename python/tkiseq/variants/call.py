"""Allele counts at every exonic site the study's rule can pass: a caller for subclonal RNA
variants.

A diploid genotype model (``bcftools call``) discards alleles at VAF 0.1-0.3, which are common
in leukemic RNA; the study's decision is made on read counts anyway (>= 3 alt reads, VAF > 0.1,
applied by ``filter``). So every allele the reads could make pass is emitted with FORMAT/AD
and DP and the filter decides; where the decision can still change, AD is recounted read by
read (see ``counts``).

Reads (as ``bcftools mpileup -q 20 -Q 20 -B -A -x --ff UNMAP,SECONDARY,QCFAIL,DUP``, which
finds the indels): skip unmapped, secondary, QC-failed and duplicate-flagged reads; mapping
quality >= 20 (STAR gives 255 to unique and <= 3 to multi-mapped reads, so this keeps unique
alignments and works for other aligners' BAMs too); reads of improper pairs kept and both
mates counted where they overlap, as the recount counts them; bases of quality >= 20, no BAQ,
so AD equals the reads observed; the BAM is one sample whatever its read groups say.

Candidates (``scan``): SNVs with >= ``min_alt_reads`` reads of one alt base, found by one
pass over the reads that compares each aligned block with the genome; their depth (DP, and
ref = DP - the site's mismatching bases) from ``samtools depth``: the pileup's AD and DP
exactly (39,753 of 39,753 sites of a 1M-pair library), at a quarter of its cost. Indels: the
pileup (``bcftools mpileup``, which realigns the reads at an indel) only at the anchors of >= 2
gapped reads, with >= 1 % of the reads gapped. Alleles with fewer alt reads (at depth, almost
every candidate: 250,000 sequencing errors per 1M pairs) are not written: they cannot pass.

Recount: indels always (bcftools' indel AD undercounts), SNVs unless their VAF stays <=
``min_vaf`` with every ref read the rules could remove taken away (``counts.vaf_bounded``: at
depth, errors reach 3 alt reads at a VAF far below 0.1); those keep the scan's counts, marked
INFO/PILEUP. The recount applies the evidence rules of ``counts`` with the annotation's
introns. ``bcftools annotate`` merges the recounts back; only the output is compressed.

Regions: exons plus 10 bp of splice region at internal exon boundaries (not beyond the
transcript's ends). The contigs are split into ``threads`` consecutive runs of about equal
mapped reads (the BAM index's counts), one job each; the jobs' outputs are joined block by
block (``concat --naive``).
"""

from __future__ import annotations

import bisect
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise
from pathlib import Path

import pysam

from tkiseq import __version__
from tkiseq.errors import InputError
from tkiseq.genome.bundle import merge_intervals, open_bundle
from tkiseq.genome.contigs import require_shared
from tkiseq.variants.counts import (
    MIN_BASEQ,
    MIN_MAPQ,
    SKIP_FLAG_NAMES,
    CallParams,
    Intron,
    near_cuts,
    recount_candidates,
)
from tkiseq.variants.normalise import fasta_contigs
from tkiseq.variants.scan import MIN_GAPPED, Candidates, scan_contig
from tkiseq.variants.transcripts import Transcript, read_transcripts
from tkiseq.variants.vcfio import bcftools, indexed_vcf_output

SPLICE_PAD = 10
MAX_DEPTH = 1_000_000
# FORMAT/AD and DP, without mpileup's default INFO tests (bias statistics for `bcftools call`,
# which this caller does not run)
ANNOTATIONS = ",".join(
    ["FORMAT/AD", "FORMAT/DP"]
    + [f"-INFO/{t}" for t in ("BQBZ", "IDV", "IMF", "MQ0F", "MQBZ", "RPBZ", "SCBZ", "SGB", "VDB")]
)
PSEUDOGENE_HEADER = (
    '##INFO=<ID=PSEUDOGENE,Number=0,Type=Flag,Description="In an exon of a pseudogene and of '
    "no other gene: RNA reads there are mostly the parent gene's\">"
)
PILEUP_HEADER = (
    '##INFO=<ID=PILEUP,Number=0,Type=Flag,Description="AD and DP as the pileup counts them '
    "(scan and samtools depth), not recounted: an SNV whose counts bound the recount below the "
    'study thresholds">'
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


def _header(sample: str, fasta: Path, contigs: dict[str, int]) -> str:
    """The calls' VCF header: the BAM's contigs, FORMAT/AD and DP, one sample."""
    lines = [
        "##fileformat=VCFv4.2",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        f"##reference=file://{fasta.resolve()}",
        *(f"##contig=<ID={c},length={n}>" for c, n in contigs.items()),
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths (high-quality bases)">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Number of high-quality bases">',
        f"##source=tkiseq variants call {__version__}",
        "\t".join(
            ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample)
        ),
    ]
    return "\n".join(lines) + "\n"


def site_depths(bam: str, contig: str, found: Candidates, work: str) -> dict[int, int]:
    """``samtools depth`` at a contig's SNV sites (0-based -> high-quality bases of the pileup's
    reads), reading that contig's reads only."""
    sites, depth = f"{work}.sites.bed", f"{work}.depth.txt"
    with open(sites, "w") as fh:
        fh.writelines(f"{contig}\t{pos}\t{pos + 1}\n" for pos in sorted({s[0] for s in found.snvs}))
    pysam.samtools.depth(
        "-q",
        str(MIN_BASEQ),
        "-Q",
        str(MIN_MAPQ),
        "-G",
        SKIP_FLAG_NAMES,
        "-r",
        contig,
        "-b",
        sites,
        "-o",
        depth,
        bam,
        catch_stdout=False,
    )
    with open(depth) as fh:
        out = {int(p) - 1: int(d) for _, p, d in (line.split("\t") for line in fh)}
    for path in (sites, depth):
        Path(path).unlink()
    return out


def _indels(
    bam: str, fasta: str, contig: str, anchors: list[int], targets: str, work: str
) -> list[tuple[int, str, str, str, str]]:
    """The pileup's indel alleles at a contig's anchors (split, left-aligned): (1-based pos,
    ref, alt, AD, DP) with AD and DP as text, ``ref,alt``."""
    regions, raw, seen, split, table = (
        f"{work}.{x}" for x in ("anchors.bed", "raw.bcf", "seen.bcf", "split.bcf", "indels.txt")
    )
    Path(regions).write_text("".join(f"{contig}\t{a}\t{a + 1}\n" for a in anchors))
    bcftools(
        "mpileup",
        "-f",
        fasta,
        "-R",
        regions,
        "-T",
        targets,
        "-a",
        ANNOTATIONS,
        "-q",
        str(MIN_MAPQ),
        "-Q",
        str(MIN_BASEQ),
        "-B",
        "-A",
        "-x",
        "--ignore-RG",
        "--ff",
        SKIP_FLAG_NAMES,
        "-d",
        str(MAX_DEPTH),
        "-L",
        str(MAX_DEPTH),
        "-m",
        str(MIN_GAPPED),
        "-F",
        "0.01",
        "-Ou",
        "-o",
        raw,
        bam,
    )
    bcftools("view", "-i", "INDEL=1", "-Ou", "-o", seen, raw)
    bcftools("norm", "-m", "-any", "-f", fasta, "-Ou", "-o", split, seen)
    bcftools(
        "query",
        "-i",
        'TYPE!="snp" && ALT!="<*>" && FMT/AD[0:1]>0',
        "-f",
        r"%POS\t%REF\t%ALT\t[%AD]\t[%DP]\n",
        "-o",
        table,
        split,
    )
    with open(table) as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    for path in (regions, raw, seen, split, table):
        Path(path).unlink()
    return [(int(pos), ref, alt, ad, dp) for pos, ref, alt, ad, dp in rows]


def _contig_rows(
    bam: str,
    fasta: str,
    contig: str,
    found: Candidates,
    targets: str,
    introns: frozenset[Intron],
    work: str,
    params: CallParams,
) -> list[tuple[int, str, str, str, str, int]]:
    """A contig's candidates, sorted: (1-based pos, ref, alt, AD, DP, X of the VAF bound)."""
    depth = site_depths(bam, contig, found, work)
    near = near_cuts(found.junctions, introns, params.junction_pad)
    rows = []
    for pos, ref, alt, n_alt, mismatching in found.snvs:
        d = depth.get(pos, 0)
        ad = f"{max(0, d - mismatching)},{n_alt}"
        rows.append((pos + 1, ref, alt, ad, str(d), near.get(pos, 0)))
    if found.anchors:
        rows += [(*row, 0) for row in _indels(bam, fasta, contig, found.anchors, targets, work)]
    rows.sort(key=lambda row: row[0])
    return rows


def _call_part(
    bam: str,
    fasta: str,
    regions: dict[str, list[tuple[int, int]]],
    targets: str,
    introns: dict[str, frozenset[Intron]],
    header: str,
    out: str,
    params: CallParams,
) -> str:
    """Per contig of ``regions`` (0-based exon spans): scan -> SNV sites that can meet the
    alt-read rule, with ``samtools depth``; the pileup at the gapped reads' anchors -> indels;
    written out before the next contig (memory holds one contig's candidates). Then the
    candidates that can still pass are recounted and merged back; a worker. Writes bgzipped
    ``out``."""
    kept, todo, counted = (f"{out}.{x}" for x in ("kept.bcf", "todo.txt", "counted.vcf.gz"))
    with (
        pysam.AlignmentFile(bam) as af,
        pysam.FastaFile(fasta) as genome,
        open(f"{out}.kept.vcf", "w") as vcf,
        open(todo, "w") as table,
    ):
        vcf.write(header)
        for c, spans in regions.items():
            found = scan_contig(af, genome, c, spans, params.min_alt_reads)
            known = introns.get(c, frozenset())
            for p, r, a, ad, dp, x in _contig_rows(
                bam, fasta, c, found, targets, known, out, params
            ):
                vcf.write(f"{c}\t{p}\t.\t{r}\t{a}\t.\t.\t.\tAD:DP\t{ad}:{dp}\n")
                table.write(f"{c}\t{p}\t{r}\t{a}\t{ad}\t{x}\n")
    # indexed (BGZF at level 0: no compression) because annotate reads it through its index
    bcftools("view", "-Ob", "-l", "0", "-W", "-o", kept, f"{out}.kept.vcf")
    recount_candidates(
        Path(todo), Path(kept), Path(bam), Path(fasta), Path(counted), introns, params
    )
    pysam.tabix_index(counted, preset="vcf", force=True)
    bcftools(
        "annotate",
        "-a",
        counted,
        "-c",
        "FORMAT/AD,FORMAT/DP,INFO/AMM,INFO/LMQ,INFO/AXM,INFO/RXM",
        "--pair-logic",
        "exact",
        "-m",
        "-PILEUP",
        "-H",
        PILEUP_HEADER,
        "-Oz",
        "-o",
        out,
        kept,
    )
    for path in (f"{out}.kept.vcf", kept, f"{kept}.csi", todo, counted, f"{counted}.tbi"):
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
    to_fasta = require_shared(str(bam), bam_contigs, str(fasta), fasta_contigs(fasta))
    renamed = [(c, to_fasta[c]) for c in bam_contigs if to_fasta.get(c, c) != c]
    if renamed:  # the reads are compared with the genome by name
        raise InputError(
            bam,
            f"contig {renamed[0][0]} is {renamed[0][1]} in {fasta}: the BAM was aligned to a"
            " genome named differently",
            hint="call on a BAM aligned to this FASTA (tkiseq align)",
        )
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
        header = _header(sample, fasta, {c: lengths[c] for c in bam_contigs})
        jobs = []
        for i, group in enumerate(contig_groups(called, weight, max(1, threads))):
            targets = Path(tmp) / f"{i}.targets.bed"
            targets.write_text(
                "".join(f"{c}\t{a - 1}\t{b}\n" for c in group for a, b in regions[c])
            )
            spans = {c: [(a - 1, b) for a, b in regions[c]] for c in group}
            known = {c: introns.get(c, frozenset()) for c in group}
            part = str(Path(tmp) / f"{i}.vcf.gz")
            jobs.append((str(bam), str(fasta), spans, str(targets), known, header, part, params))
        if len(jobs) == 1:  # no worker process to start
            parts = [_call_part(*jobs[0])]
        else:
            with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
                parts = list(pool.map(_call_part, *zip(*jobs, strict=True)))
        joined = parts[0]
        if len(parts) > 1:  # same header, sorted runs: BGZF blocks joined as they are
            joined = str(Path(tmp) / "joined.vcf.gz")
            bcftools("concat", "--naive", "-o", joined, *parts)
        with indexed_vcf_output(dest) as out:
            if pseudo:
                bed = Path(tmp) / "pseudogenes.bed"
                bed.write_text(
                    "".join(
                        f"{c}\t{a - 1}\t{b}\n" for c in bam_contigs for a, b in pseudo.get(c, [])
                    )
                )
                indexed = pysam.tabix_index(str(bed), preset="bed", force=True)
                bcftools(
                    "annotate",
                    "-a",
                    indexed,
                    "-c",
                    "CHROM,FROM,TO",
                    "-m",
                    "+PSEUDOGENE",
                    "-H",
                    PSEUDOGENE_HEADER,
                    "-Oz",
                    "-o",
                    str(out),
                    joined,
                )
            else:
                os.replace(joined, out)
    return dest
