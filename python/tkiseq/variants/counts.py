"""Allele depths counted read by read from the BAM, with RNA-aware evidence rules.

Used for user VCFs without FORMAT/AD and to recount the pileup's candidates (bcftools' indel
AD undercounts reads that carry the indel). Reads: no duplicates, secondary or QC-failed
reads, mapping quality >= 20 (STAR: unique); substitutions need base quality >= 20.

Where a read's bases are not evidence (for either allele), and why (``CallParams``; 0 turns a
rule off; ``tests/benchmarks/README.md`` has each rule's measured recall cost and precision
gain, which chose the defaults):

- ``edge``: bases next to a plain end of the alignment (the aligner extends ends with
  mismatches rather than open a gap or a junction it cannot see). Off: STAR soft-clips
  mismatching ends itself, and true alleles near read ends (ABL1 E255K) lost their reads;
- ``clip_pad``: bases next to a soft clip. Off for the same reason; the false calls these
  two rules removed are the ``intron_end`` artefact, which that rule removes alone;
- ``junction_pad`` (8): bases next to a splice junction (N) that is not an annotated
  intron: STAR places a short overhang at a nearby wrong acceptor, so the few shifted bases
  next to the cut mismatch the genome in read after read, a recurrent artefact with 3+ alt
  reads (no measured recall cost; the simulator makes no such junction, the unit test
  does). Annotated junctions keep counting, so variants at exon boundaries keep their
  spliced reads; without an annotation (user VCFs) junctions are not checked;
- ``overhang``: a block shorter than this between a junction and an end of the alignment
  (its placement is a guess). Off: it cost alt reads and removed no false call; a short
  block after an unannotated junction is inside ``junction_pad`` anyway;
- ``intron_end`` (10): bases of an annotated intron in the last ``intron_end`` bases of a
  segment that runs into the intron from its exon and stops there (end or clip): a spliced
  read whose next exon piece was too short for the aligner to place, so it extended the read
  into the intron, where the next exon's bases mismatch (a few bases past an exon end, 3+
  reads, VAF up to 1: the same mechanism as reads crossing a fusion junction). Unlike
  ``edge``/``clip_pad`` it spares exonic bases, so true alleles near read ends keep counting.

Besides AD and DP, each recounted allele gets INFO/AMM (mean mismatches of its alt reads
other than the allele itself, from NM), INFO/AXM and INFO/RXM (alt reads with >= 2
mismatches besides the allele, ref reads with >= 2 mismatches) and INFO/LMQ (fraction of the
reads over the site with mapping quality < 20): reads of a paralog carry the paralog's
differences and sit among multi-mapped reads, which ``filter`` turns into FILTER
``paralog``. Two, not one, so that a true allele phased with one germline SNP nearby (every
alt read one mismatch more) is not mistaken for a paralog.

Candidates are grouped into windows of nearby sites and each window's reads are fetched once,
each read's CIGAR walked once (one streaming pass per region, not one fetch per site). For
``call``, ``recount_candidates`` first drops the SNVs ``vaf_bounded`` proves cannot pass; the
reads it needs for that bound come from the scan's junction counts (``near_cuts``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar, cast

import pysam

from tkiseq.errors import InputError
from tkiseq.stage_options import option, positive_int
from tkiseq.variants.thresholds import MIN_ALT_READS, MIN_VAF

MIN_MAPQ = 20
MIN_BASEQ = 20
SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400  # unmapped, secondary, QC fail, duplicate
SKIP_FLAG_NAMES = "UNMAP,SECONDARY,QCFAIL,DUP"  # the same, as samtools and bcftools take them
WINDOW_GAP = 1000  # sites closer than this share one fetch ...
WINDOW_SITES = 5000  # ... up to this many, so memory stays flat in depth

Intron = tuple[int, int]  # 0-based half-open reference span of an N operation
Haplotypes = tuple[str, str]  # reference, alt: the bases after an indel's anchor
HAPLOTYPE_BASES = 20
Cut = str | Intron  # "end", "clip" or the intron at a segment's boundary
_S = TypeVar("_S", bound=tuple)  # a site: (chrom, 1-based pos, ...)
_INS, _DEL, _SKIP, _SOFT = 1, 2, 3, 4
_ALIGNED = frozenset({0, 7, 8})
_CLIPS = frozenset({_SOFT, 5})  # soft and hard clips
HEADER_LINES = (
    '##INFO=<ID=AMM,Number=1,Type=Float,Description="Mean mismatches of the alt reads besides '
    'the allele (NM minus its own edit), counted by tkiseq">',
    '##INFO=<ID=LMQ,Number=1,Type=Float,Description="Fraction of the reads over the site with '
    'mapping quality < 20, counted by tkiseq">',
    '##INFO=<ID=AXM,Number=1,Type=Integer,Description="Alt reads with >= 2 mismatches besides '
    'the allele, counted by tkiseq">',
    '##INFO=<ID=RXM,Number=1,Type=Integer,Description="Ref reads with >= 2 mismatches, counted '
    'by tkiseq">',
)
NOISY_MISMATCHES = 2  # mismatches besides the allele that make a read look like a paralog's


@dataclass(frozen=True)
class CallParams:
    """Tunables of ``variants call``: the recount shortcut and the evidence rules."""

    # the filter's thresholds: a call that cannot pass them is not written (or not recounted)
    min_alt_reads: int = option(
        MIN_ALT_READS,
        help="SNVs with fewer alt reads (base quality >= 20) are not written, they cannot pass "
        "(the filter's --min-alt-reads)",
    )
    min_vaf: float = option(
        MIN_VAF,
        help="SNVs whose VAF stays at or below this whatever the recount removes are not "
        "recounted (the filter's --min-vaf)",
    )
    edge: int = option(
        0, help="bases this close to a plain alignment end are not evidence (0: off)"
    )
    clip_pad: int = option(0, help="bases this close to a soft clip are not evidence (0: off)")
    junction_pad: int = option(
        8, help="bases this close to an unannotated splice junction are not evidence"
    )
    overhang: int = option(
        0,
        help="a block shorter than this between a junction and a read end is not evidence (0: off)",
    )
    intron_end: int = option(
        10,
        help="intron bases within this many of the end of a segment that runs into an "
        "annotated intron are not evidence",
    )
    threads: int = option(1, type=positive_int, help="regions called in parallel")


@dataclass
class SiteCount:
    """Reads of one split allele: ref, alt, any base (DP), alt mismatches, low-MAPQ reads."""

    ref: int = 0
    alt: int = 0
    depth: int = 0
    alt_mismatches: int = 0
    alt_noisy: int = 0
    ref_noisy: int = 0
    covering: int = 0
    low_mapq: int = 0


def pad(cut: Cut, introns: frozenset[Intron] | None, p: CallParams) -> int:
    """Bases next to ``cut`` that are not evidence (module docstring)."""
    if cut == "end":
        return p.edge
    if cut == "clip":
        return p.clip_pad
    return p.junction_pad if introns is not None and cut not in introns else 0


@cache
def _bounds(introns: frozenset[Intron]) -> tuple[list[int], list[int]]:
    """Sorted starts and sorted ends of the annotated introns (built once per set)."""
    return sorted(a for a, _ in introns), sorted(b for _, b in introns)


@dataclass(frozen=True)
class Read:
    """What the rules and counts need of an alignment, taken from pysam once per read (each
    pysam property builds a new object on every access), with its CIGAR walked once into
    aligned blocks and the segments between cuts (junctions or alignment ends)."""

    seq: str
    quals: object  # array of base qualities, or None
    mapq: int
    nm: int | None
    # reference start, end, query start, indel right after the block (+ ins, - del), segment
    blocks: list[tuple[int, int, int, int, int]]
    segments: list[tuple[int, int, Cut, Cut]]  # reference start, end, left and right cut

    @classmethod
    def of(cls, aln: pysam.AlignedSegment) -> Read:
        cigar = aln.cigartuples or []  # reads here are mapped: never empty
        blocks: list[tuple[int, int, int, int, int]] = []
        segments: list[tuple[int, int, Cut, Cut]] = []
        r = seg_start = aln.reference_start
        q = 0
        left: Cut = "clip" if cigar[0][0] in _CLIPS else "end"
        for i, (op, n) in enumerate(cigar):
            if op in _ALIGNED:
                nxt = cigar[i + 1] if i + 1 < len(cigar) else (0, 0)
                indel = {_INS: nxt[1], _DEL: -nxt[1]}.get(nxt[0], 0)
                blocks.append((r, r + n, q, indel, len(segments)))
                r, q = r + n, q + n
            elif op == _DEL:
                r += n
            elif op == _SKIP:
                segments.append((seg_start, r, left, (r, r + n)))
                left, r, seg_start = (r, r + n), r + n, r + n
            elif op in (_INS, _SOFT):
                q += n
        segments.append((seg_start, r, left, "clip" if cigar[-1][0] in _CLIPS else "end"))
        nm = cast(int, aln.get_tag("NM")) if aln.has_tag("NM") else None
        return cls(
            aln.query_sequence or "", aln.query_qualities, aln.mapping_quality, nm, blocks, segments
        )

    def locate(self, site: int) -> tuple[int, int, int] | None:
        """(query position, indel right after it, segment) of 0-based ``site``; None when the
        read has no base there."""
        for start, end, q, indel, seg in self.blocks:
            if start <= site < end:
                return q + site - start, indel if site == end - 1 else 0, seg
        return None

    def tail(self, site: int) -> str:
        """The read's bases after 0-based ``site`` up to its next junction: through its own
        insertions and deletions (a read places an indel anywhere in a repeat, STAR at its
        right end, the VCF at its left), and on into a soft clip at the alignment's end."""
        for i, (start, end, q, _, seg) in enumerate(self.blocks):
            if start <= site < end:
                rest = [b for b in self.blocks[i:] if b[4] == seg]
                last = rest[-1] is self.blocks[-1]
                stop = rest[-1][2] + rest[-1][1] - rest[-1][0]
                return self.seq[q + site - start + 1 : None if last else stop]
        return ""

    def evidence(self, introns: frozenset[Intron] | None, p: CallParams) -> list[tuple[int, int]]:
        """Per segment, the sites [lo, hi) whose bases are evidence under the rules (module
        docstring): pads next to the cuts, no short overhang, and for ``intron_end`` no site
        at or past an annotated intron start within the last ``intron_end`` bases of a segment
        that stops there (or before an intron end within its first ``intron_end`` bases)."""
        out = []
        n = p.intron_end
        starts, ends = _bounds(introns) if introns and n > 0 else ([], [])
        for start, end, left, right in self.segments:
            lo, hi = start + pad(left, introns, p), end - pad(right, introns, p)
            if isinstance(left, tuple) != isinstance(right, tuple) and end - start < p.overhang:
                hi = lo
            if starts and not isinstance(right, tuple):  # an intron start in [end - n, end)
                i = bisect.bisect_left(starts, max(start + 1, end - n))
                if i < len(starts):
                    hi = min(hi, starts[i])
            if ends and not isinstance(left, tuple):  # an intron end in (start, start + n]
                j = bisect.bisect_right(ends, min(start + n, end - 1)) - 1
                if j >= 0:
                    lo = max(lo, ends[j])
            out.append((lo, hi))
        return out


def _periodic_run(seq: str, unit: str) -> int:
    """Length of the prefix of ``seq`` that repeats ``unit`` (how far an indel of ``unit``
    can slide right)."""
    k = 0
    while k < len(seq) and seq[k] == unit[k % len(unit)]:
        k += 1
    return k


def haplotypes(genome: pysam.FastaFile, chrom: str, pos: int, ref: str, alt: str) -> Haplotypes:
    """The reference's and the indel allele's sequence after the anchor base at 1-based
    ``pos``: through the repeat the indel can slide along and ``HAPLOTYPE_BASES`` beyond, so
    that a read placing the indel anywhere in the repeat (STAR: at its right end; the VCF:
    at its left) is told by the bases past the repeat."""
    end = pos - 1 + len(ref)
    unit = (alt[1:] or ref[1:]).upper()
    span = 4 * HAPLOTYPE_BASES
    while True:
        after = genome.fetch(chrom, end, end + span).upper()
        run = _periodic_run(after, unit)
        if run + HAPLOTYPE_BASES <= len(after) or len(after) < span:
            break
        span *= 4
    n = len(ref) - 1 + run + HAPLOTYPE_BASES
    return (ref[1:] + after)[:n], (alt[1:] + after)[:n]


def indel_side(tail: str, haps: Haplotypes) -> int:
    """+1 when a read's bases after the anchor are nearer the alt haplotype, -1 the
    reference's, 0 when they cannot tell (none, or as near both)."""
    n = min(len(tail), len(haps[0]))
    d_ref = sum(a != b for a, b in zip(tail[:n], haps[0], strict=False))
    d_alt = sum(a != b for a, b in zip(tail[:n], haps[1], strict=False))
    return (d_alt < d_ref) - (d_ref < d_alt)


def add_read(
    c: SiteCount,
    read: Read,
    evidence: list[tuple[int, int]],
    site: int,
    ref: str,
    alt: str,
    haps: Haplotypes | None = None,
) -> None:
    """Add one read's evidence at 0-based ``site`` for the split allele ``ref``>``alt`` (the
    read's flags already checked; ``evidence``: ``read.evidence``; ``haps``: an indel's
    ``haplotypes``).

    An indel's read without a gap there is told by the bases it has after the anchor: a read
    that stops at the indel, or soft-clips the allele's bases (STAR does, near read ends), was
    counted as reference before; it is now alt when those bases are the allele's, and not
    counted when they are too few to tell (SH2B3 c.52del in the deep libraries: 54 -> 63 alt
    reads of 64 in the truth, VAF 0.099 -> 0.11). So is a read that places the indel
    elsewhere in its repeat (STAR: at the right end, the VCF: at the left): its bases through
    the repeat and past it are the allele's (PAK4 TG insertion on real BT474 reads: 0 -> 7
    alt reads, as GATK counts)."""
    found = read.locate(site)
    if found is None:
        return
    if read.mapq < MIN_MAPQ:
        c.covering += 1
        c.low_mapq += 1
        return
    q, read_indel, seg = found
    lo, hi = evidence[seg]
    if not lo <= site < hi:
        return
    c.covering += 1
    seq = read.seq
    indel = len(alt) - len(ref)
    is_alt = is_ref = False
    if indel == 0:
        if read.quals is not None and read.quals[q] < MIN_BASEQ:  # type: ignore[index]
            return
        base = seq[q : q + len(alt)]
        is_alt, is_ref = base == alt, base == ref
    elif read_indel == indel and (indel < 0 or seq[q : q + len(alt)] == alt):
        is_alt = True
    elif read_indel == 0 and haps is not None:
        side = indel_side(read.tail(site), haps)
        is_alt, is_ref = side > 0, side < 0
    c.depth += 1
    if is_ref:
        c.ref += 1
        c.ref_noisy += (read.nm or 0) >= NOISY_MISMATCHES
    if is_alt:
        c.alt += 1
        own = abs(indel) if indel else len(alt)
        other = max(0, (own if read.nm is None else read.nm) - own)
        c.alt_mismatches += other
        c.alt_noisy += other >= NOISY_MISMATCHES


def count_alleles(
    bam: pysam.AlignmentFile,
    genome: pysam.FastaFile,
    chrom: str,
    pos: int,
    ref: str,
    alt: str,
    introns: frozenset[Intron] | None = None,
    p: CallParams = CallParams(),
) -> tuple[int, int]:
    """(ref reads, alt reads) of a split, left-aligned allele at 1-based ``pos``."""
    (c,) = count_window(bam, genome, chrom, [(pos, ref, alt)], introns, p)
    return c.ref, c.alt


def count_window(
    bam: pysam.AlignmentFile,
    genome: pysam.FastaFile,
    chrom: str,
    sites: list[tuple[int, str, str]],
    introns: frozenset[Intron] | None,
    p: CallParams,
) -> list[SiteCount]:
    """Counts of sorted split alleles (1-based pos, ref, alt) from one fetch of their span."""
    counts = [SiteCount() for _ in sites]
    starts = [pos - 1 for pos, _, _ in sites]
    haps = [
        haplotypes(genome, chrom, pos, ref, alt) if len(ref) != len(alt) else None
        for pos, ref, alt in sites
    ]
    for aln in bam.fetch(chrom, starts[0], starts[-1] + 1):
        if aln.flag & SKIP_FLAGS:
            continue
        lo = bisect.bisect_left(starts, aln.reference_start)
        hi = bisect.bisect_left(starts, aln.reference_end or aln.reference_start)
        if lo == hi:
            continue
        read = Read.of(aln)
        evidence = read.evidence(introns, p) if read.mapq >= MIN_MAPQ else []
        for k in range(lo, hi):
            pos, ref, alt = sites[k]
            add_read(counts[k], read, evidence, pos - 1, ref, alt, haps[k])
    return counts


def low_vaf(ref: int, alt: int, p: CallParams) -> bool:
    """A pileup VAF at most ``p.min_vaf`` under rules ``vaf_bounded`` can bound: only then can
    it skip the recount (and needs X)."""
    boundable = not (p.edge or p.clip_pad or p.overhang)
    return boundable and alt > 0 and alt / (ref + alt) <= p.min_vaf


def vaf_bounded(
    snvs: list[tuple[int, int, int]],
    near_cut: list[int],
    introns: frozenset[Intron] | None,
    p: CallParams,
) -> list[bool]:
    """For sorted SNVs (1-based pos, pileup ref reads, pileup alt reads): True when no recount
    can give a VAF above ``p.min_vaf``.

    A recount removes reads, never adds them (the pileup reads what it reads), so alt' <= alt
    and ref' >= ref - X, where X bounds the reads the rules can remove at the site; then
    VAF' <= alt / (max(0, ref - X) + alt). With ``edge``, ``clip_pad`` and ``overhang`` off,
    only two rules remove reads: ``junction_pad`` (X = ``near_cut``, reads with an unannotated
    junction within ``junction_pad`` bases of the site, see ``near_cuts``) and
    ``intron_end`` (no bound: sites within ``intron_end`` bases inside an annotated intron's
    edge are always recounted).
    """
    out = []
    edges: tuple[list[int], list[int]] = _bounds(introns) if introns else ([], [])
    for (pos, ref, alt), x in zip(snvs, near_cut, strict=True):
        site = pos - 1
        a = bisect.bisect_right(edges[0], site)  # intron starts <= site
        b = bisect.bisect_right(edges[1], site)  # intron ends <= site
        at_edge = (a and site - edges[0][a - 1] < p.intron_end) or (
            b < len(edges[1]) and edges[1][b] - site <= p.intron_end
        )
        out.append(
            low_vaf(ref, alt, p) and not at_edge and alt / (max(0, ref - x) + alt) <= p.min_vaf
        )
    return out


def near_cuts(junctions: dict[Intron, int], introns: frozenset[Intron], pad: int) -> dict[int, int]:
    """0-based position -> reads with an unannotated junction (``junctions``: the reads per
    junction, counted by the scan over the reads the recount counts) within ``pad`` bases of
    it: X of ``vaf_bounded``."""
    near: dict[int, int] = {}
    for (a, b), n in junctions.items():
        if (a, b) not in introns:
            for site in (*range(a - pad, a), *range(b, b + pad)):
                near[site] = near.get(site, 0) + n
    return near


def _windows(sites: Iterator[_S]) -> Iterator[list[_S]]:
    """Sorted sites (chrom, 1-based pos first) in runs on one contig: gaps below WINDOW_GAP,
    at most WINDOW_SITES."""
    run: list[_S] = []
    for site in sites:
        if run and (
            site[0] != run[-1][0] or site[1] - run[-1][1] >= WINDOW_GAP or len(run) >= WINDOW_SITES
        ):
            yield run
            run = []
        run.append(site)
    if run:
        yield run


def _header_lines(header: pysam.VariantHeader) -> None:
    """Declare AD, DP, AMM and LMQ where ``header`` lacks them."""
    if "AD" not in header.formats:
        header.add_line(
            '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths counted from '
            'the BAM by tkiseq">'
        )
    if "DP" not in header.formats:
        header.add_line(
            '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Reads with a base (any allele)'
            ' at the site that are evidence, counted by tkiseq">'
        )
    for line in HEADER_LINES:
        if line.split(",")[0].removeprefix("##INFO=<ID=") not in header.info:
            header.add_line(line)


def _set_counts(rec: pysam.VariantRecord, c: SiteCount) -> None:
    rec.samples[0]["AD"] = (c.ref, c.alt)
    rec.samples[0]["DP"] = c.depth
    rec.info["AMM"] = round(c.alt_mismatches / c.alt, 2) if c.alt else 0.0
    rec.info["LMQ"] = round(c.low_mapq / c.covering, 3) if c.covering else 0.0
    rec.info["AXM"] = c.alt_noisy
    rec.info["RXM"] = c.ref_noisy


def _open_bam(bam: Path, fasta: Path) -> pysam.AlignmentFile:
    try:
        return pysam.AlignmentFile(str(bam), reference_filename=str(fasta))
    except (OSError, ValueError) as exc:
        raise InputError(bam, f"not a readable BAM ({exc})") from exc


def add_allele_depths(
    vcf: Path,
    bam: Path,
    fasta: Path,
    out: Path,
    introns: dict[str, frozenset[Intron]] | None = None,
    params: CallParams = CallParams(),
) -> None:
    """Copy ``vcf`` (split, normalised) to bgzipped ``out`` with FORMAT/AD counted from ``bam``.

    ``introns``: annotated introns per contig (BAM naming); None when there is no annotation.
    """
    with (
        _open_bam(bam, fasta) as aligned,
        pysam.FastaFile(str(fasta)) as genome,
        pysam.VariantFile(str(vcf)) as vf,
    ):
        _header_lines(vf.header)
        with pysam.VariantFile(str(out), "wz", header=vf.header) as writer:
            for run in _windows((r.chrom, r.pos, r) for r in vf):
                chrom = run[0][0]
                if chrom not in aligned.references:
                    raise InputError(bam, f"no contig {chrom} (used by the VCF)")
                known = None if introns is None else introns.get(chrom, frozenset())
                sites = [(r.pos, r.ref or "", (r.alts or ("",))[0]) for _, _, r in run]
                for (_, _, rec), c in zip(
                    run, count_window(aligned, genome, chrom, sites, known, params), strict=True
                ):
                    _set_counts(rec, c)
                    writer.write(rec)


def _candidates(lines: Iterator[str]) -> Iterator[tuple[str, int, str, str, int, int, int]]:
    """(chrom, pos, ref, alt, ref reads, alt reads, X) of candidate table lines, streamed so
    memory holds one window, not the candidates of a deep library."""
    for line in lines:
        chrom, pos, ref, alt, ad, x = line.rstrip("\n").split("\t")
        n_ref, n_alt = ad.split(",")
        yield chrom, int(pos), ref, alt, int(n_ref), int(n_alt), int(x)


def recount_candidates(
    table: Path,
    header: Path,
    bam: Path,
    fasta: Path,
    out: Path,
    introns: dict[str, frozenset[Intron]],
    params: CallParams,
) -> None:
    """Recount the candidates that can still pass; write them to bgzipped ``out``.

    ``table``: sorted candidates (split alleles), one per line: chrom, 1-based pos, ref, alt,
    the pileup's ``ref,alt`` reads and X of ``vaf_bounded`` (``near_cuts``), tab-separated;
    SNVs that ``vaf_bounded`` shows cannot pass are left out (they keep the pileup's AD).
    ``header``: the candidates' VCF, whose header ``out`` takes. The candidates arrive as
    text, not as pysam records: at depth there are tens of thousands and almost all are
    dropped.
    """
    with (
        _open_bam(bam, fasta) as aligned,
        pysam.FastaFile(str(fasta)) as genome,
        pysam.VariantFile(str(header)) as vf,
        table.open() as fh,
    ):
        _header_lines(vf.header)
        with pysam.VariantFile(str(out), "wz", header=vf.header) as writer:
            for run in _windows(_candidates(fh)):
                chrom = run[0][0]
                known = introns.get(chrom, frozenset())
                snvs = [r for r in run if len(r[2]) == len(r[3])]
                bounded = vaf_bounded(
                    [(r[1], r[4], r[5]) for r in snvs], [r[6] for r in snvs], known, params
                )
                flags = iter(bounded)  # one per SNV, in order
                todo = [r for r in run if len(r[2]) != len(r[3]) or not next(flags)]
                # the few left are far apart at depth: each group of near ones its own fetch
                for part in _windows(iter(todo)):
                    sites = [(r[1], r[2], r[3]) for r in part]
                    for (_, pos, ref, alt, *_), c in zip(
                        part,
                        count_window(aligned, genome, chrom, sites, known, params),
                        strict=True,
                    ):
                        rec = writer.new_record(contig=chrom, start=pos - 1, alleles=(ref, alt))
                        _set_counts(rec, c)
                        writer.write(rec)
