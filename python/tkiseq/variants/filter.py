"""The study filter (docs/science.md#variant-filter): >= 3 alt reads, VAF > 0.1, no dbSNP; and two
RNA artefacts the study's thresholds let through:

- ``fusion_junction``: a call within ``fusion_window`` bases past a breakpoint of one of the
  sample's own fusions (``fusions/<sample>.fusions.tsv``), on the intron side: reads that
  cross the fusion junction are aligned a few bases into the partner's intron, and their
  mismatches there are the other partner's exon (BCR intron 14 "splice donor" calls in
  e14a2 BCR::ABL1 samples);
- ``paralog``: reads of a near-identical paralog aligned here carry the paralog's other
  differences: at least ``paralog_noisy_fraction`` of the alt reads have >= 2 mismatches
  besides the allele (INFO/AXM) and such reads are more frequent among the alt reads than
  among the site's ref reads (INFO/RXM; one-sided Fisher's exact test, P <
  ``paralog_pvalue``, the test GATK uses for strand bias); or >= ``paralog_low_mapq`` of the
  reads over the site are multi-mapped (INFO/LMQ). All counted by ``call``. The ref reads
  are the site's own background (a noisy region makes both noisy), so the rule needs no
  error rate and cannot fire at a site without ref reads; on the deep simulated libraries it
  flags every paralog site (205 of 205) and no true variant (44), where the former rule (mean
  other mismatches >= 3) let 72 of them pass;
- ``pseudogene``: in an exon of a pseudogene and of no other gene (INFO/PSEUDOGENE, marked by
  ``call`` from the annotation's gene types): RNA reads there are mostly the parent gene's
  (spliced reads of GAPDH placed whole on its intronless processed copy), too few per site for
  the paralog test (3-7 alt reads at GAPDHP1 on the deep simulated libraries, all false).

Every call is kept in ``<sample>.all.vcf.gz`` with FILTER saying why it failed (nothing is
dropped silently); ``<sample>.pass.vcf.gz`` holds the calls passing all three. VAF is alt reads
/ the reads at the site (FORMAT/DP, any allele; ref + alt when DP is missing or smaller), i.e.
the bcftools expression ``FMT/AD[0:1]/FMT/DP``: at a site homozygous for a germline allele,
a few error reads of a third allele have a ref + alt VAF of 1.0 (3 of 3 reads) but are 3 of
2,680 reads. Records are streamed as text in bounded batches, so
memory does not grow with the size of the VCF or of dbSNP.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pysam

from tkiseq.errors import InputError
from tkiseq.genome.contigs import require_shared
from tkiseq.stage_options import option
from tkiseq.variants.dbsnp import CLUSTER_GAP, CLUSTER_SIZE, Dbsnp, trim_alleles
from tkiseq.variants.normalise import inspect_vcf, normalise_vcf
from tkiseq.variants.thresholds import MIN_ALT_READS, MIN_VAF
from tkiseq.variants.vcfio import indexed_vcf_output

HEADER_LINES = (
    '##FILTER=<ID=min_alt_reads,Description="Fewer than {min_alt_reads} alt reads">',
    '##FILTER=<ID=min_vaf,Description="VAF = alt reads / reads at the site (FORMAT/DP) not '
    'above {min_vaf}">',
    '##FILTER=<ID=dbsnp,Description="Same chrom, pos, ref and alt as a dbSNP record">',
    '##INFO=<ID=DBSNP,Number=1,Type=String,Description="rsID of the matching dbSNP allele">',
    '##FILTER=<ID=fusion_junction,Description="Within {fusion_window} bases past a breakpoint of '
    'a fusion of this sample, on the intron side (reads crossing the fusion junction)">',
    '##FILTER=<ID=pseudogene,Description="In an exon of a pseudogene and of no other gene '
    '(INFO/PSEUDOGENE): reads of the parent gene">',
    '##FILTER=<ID=paralog,Description="At least {paralog_noisy_fraction} of the alt reads with '
    ">= 2 mismatches besides the allele (INFO/AXM), more than among the ref reads (INFO/RXM; "
    "one-sided Fisher P < {paralog_pvalue}), or >= {paralog_low_mapq} of the reads "
    'multi-mapped (INFO/LMQ)">',
)
FUSION_COLUMNS = ("breakpoint5", "breakpoint3")


@dataclass(frozen=True)
class FilterParams:
    """Thresholds of the study filter; a call passes with alt >= min_alt_reads, VAF > min_vaf,
    and none of the artefact rules (module docstring) applies."""

    min_alt_reads: int = option(MIN_ALT_READS, help="a PASS call has at least this many alt reads")
    min_vaf: float = option(MIN_VAF, help="a PASS call's VAF is strictly above this")
    fusion_window: int = option(
        10, help="fusion_junction: bases past a breakpoint, on the intron side"
    )
    paralog_noisy_fraction: float = option(
        0.25,
        help="paralog: share of the alt reads with >= 2 other mismatches (INFO/AXM) at least this",
    )
    paralog_pvalue: float = option(
        0.05, help="paralog: ... and more of them than among the ref reads, Fisher P below this"
    )
    paralog_low_mapq: float = option(
        0.5, help="paralog: or this fraction of the reads over the site multi-mapped (INFO/LMQ)"
    )


def site_depth(ref: int, alt: int, dp: str) -> int:
    """The VAF's denominator: FORMAT/DP, never less than ref + alt (some callers' DP is)."""
    return max(ref + alt, int(dp) if dp.isdigit() else 0)


def allele_depths(ad: str) -> tuple[int, int]:
    """(ref reads, alt reads) from a split record's AD value; missing values count 0."""
    parts = ad.split(",")
    ref = int(parts[0]) if parts[0] not in ("", ".") else 0
    alt = int(parts[1]) if len(parts) > 1 and parts[1] not in ("", ".") else 0
    return ref, alt


def filter_reasons(
    ref_reads: int,
    alt_reads: int,
    rsid: str | None,
    p: FilterParams,
    info: dict[str, str] | None = None,
    at_fusion: bool = False,
    depth: int = 0,
) -> list[str]:
    """FILTER values of one call (empty list = PASS); ``info``: its INFO (a flag maps to "");
    ``depth``: the site's reads (``site_depth``; ref + alt when smaller)."""
    reasons = []
    if alt_reads < p.min_alt_reads:
        reasons.append("min_alt_reads")
    total = max(depth, ref_reads + alt_reads)
    if total == 0 or not alt_reads / total > p.min_vaf:
        reasons.append("min_vaf")
    if rsid is not None:
        reasons.append("dbsnp")
    if at_fusion:
        reasons.append("fusion_junction")
    info = info or {}
    if "PSEUDOGENE" in info:
        reasons.append("pseudogene")
    noisy = int(info.get("AXM", 0)), int(info.get("RXM", 0))
    if float(info.get("LMQ", 0)) >= p.paralog_low_mapq or paralog_reads(
        alt_reads, ref_reads, *noisy, p
    ):
        reasons.append("paralog")
    return reasons


def paralog_reads(alt: int, ref: int, alt_noisy: int, ref_noisy: int, p: FilterParams) -> bool:
    """Alt reads with >= 2 other mismatches common and enriched over the site's ref reads."""
    if alt == 0 or ref == 0 or alt_noisy < p.paralog_noisy_fraction * alt:
        return False
    from scipy.stats import fisher_exact  # here: half a second to import, rarely needed

    table = [[alt_noisy, alt - alt_noisy], [ref_noisy, max(0, ref - ref_noisy)]]
    return bool(fisher_exact(table, alternative="greater").pvalue < p.paralog_pvalue)


Junctions = dict[str, list[tuple[int, int]]]  # contig -> 1-based inclusive spans to flag


def fusion_spans(fusions: Path, window: int) -> Junctions:
    """The ``window`` bases past each breakpoint of ``<sample>.fusions.tsv``, intron side.

    breakpoint5 is the 5' partner's last transcribed base (past it: downstream on its strand),
    breakpoint3 the 3' partner's first (past it, seen from the junction: upstream).
    """
    if not fusions.exists():
        raise InputError(fusions, "file not found")
    spans: Junctions = {}
    with fusions.open() as fh:
        header = fh.readline().rstrip("\n").split("\t")
        missing = [c for c in FUSION_COLUMNS if c not in header]
        if missing:
            raise InputError(fusions, f"missing column(s) {', '.join(missing)}", line=1)
        for n, line in enumerate(fh, start=2):
            row = dict(zip(header, line.rstrip("\n").split("\t"), strict=False))
            for col, downstream in (("breakpoint5", True), ("breakpoint3", False)):
                parts = row.get(col, "").rsplit(":", 2)
                if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in "+-":
                    raise InputError(
                        fusions,
                        f"{col} is {row.get(col, '')!r}; expected chrom:pos:strand",
                        line=n,
                        column=header.index(col) + 1,
                    )
                chrom, pos = parts[0], int(parts[1])
                forward = (parts[2] == "+") == downstream
                span = (pos + 1, pos + window) if forward else (pos - window, pos - 1)
                spans.setdefault(chrom, []).append(span)
    return spans


def near_fusion(spans: Junctions, chrom: str | None, pos: int, ref: str) -> bool:
    """True when the record's reference bases overlap a flagged span."""
    end = pos + len(ref) - 1
    return chrom is not None and any(a <= end and pos <= b for a, b in spans.get(chrom, ()))


def _batches(lines: Iterator[str], source: Path) -> Iterator[list[list[str]]]:
    """Split records into runs of nearby positions on one contig; check the sort order."""
    batch: list[list[str]] = []
    done: set[str] = set()
    chrom, last = "", 0
    for line in lines:
        f = line.rstrip("\n").split("\t")
        pos = int(f[1])
        if f[0] != chrom:
            if f[0] in done:
                raise InputError(
                    source, f"not sorted: contig {f[0]} appears in two blocks", hint="bcftools sort"
                )
            done.add(chrom)
            chrom = f[0]
        elif pos < last:
            raise InputError(
                source, f"not sorted: {chrom}:{pos} after {chrom}:{last}", hint="bcftools sort"
            )
        if batch and (
            f[0] != batch[-1][0] or pos - last > CLUSTER_GAP or len(batch) >= CLUSTER_SIZE
        ):
            yield batch
            batch = []
        batch.append(f)
        last = pos
    if batch:
        yield batch


def _annotate_batch(
    batch: list[list[str]],
    db: Dbsnp,
    to_db: dict[str, str],
    p: FilterParams,
    spans: Junctions,
    to_fusions: dict[str, str],
) -> list[tuple[str, bool]]:
    """(VCF line, passed) for each record of a batch."""
    keys = [trim_alleles(int(f[1]), f[3], f[4]) for f in batch]
    rsids = db.lookup_cluster(to_db.get(batch[0][0]), keys)
    out = []
    fields: dict[str, tuple[int, ...]] = {}
    for f, rsid in zip(batch, rsids, strict=True):
        if f[8] not in fields:
            names = f[8].split(":")
            fields[f[8]] = tuple(names.index(k) if k in names else -1 for k in ("AD", "DP"))
        i, j = fields[f[8]]
        values = f[9].split(":")
        ref, alt = allele_depths(values[i] if 0 <= i < len(values) else ".")
        if f[4] in (".", "<*>", "*"):
            alt = 0
        depth = site_depth(ref, alt, values[j] if 0 <= j < len(values) else ".")
        info = dict(x.partition("=")[::2] for x in f[7].split(";"))
        at_fusion = near_fusion(spans, to_fusions.get(f[0]), int(f[1]), f[3])
        reasons = filter_reasons(ref, alt, rsid, p, info, at_fusion, depth)
        f[6] = ";".join(reasons) if reasons else "PASS"
        if rsid is not None:
            f[7] = f"DBSNP={rsid}" if f[7] in ("", ".") else f"{f[7]};DBSNP={rsid}"
        out.append(("\t".join(f) + "\n", not reasons))
    return out


def filter_calls(
    sample: str,
    vcf: Path,
    dbsnp: Path,
    fasta: Path,
    outdir: Path,
    params: FilterParams = FilterParams(),
    fusions: Path | None = None,
) -> tuple[Path, Path]:
    """Write ``<sample>.all.vcf.gz`` and ``<sample>.pass.vcf.gz`` (+ .tbi) into ``outdir``.

    ``fusions``: the sample's ``fusions.tsv``, whose breakpoints flag ``fusion_junction``.
    """
    _, contigs, _ = inspect_vcf(vcf, require_ad=True)
    spans = {} if fusions is None else fusion_spans(fusions, params.fusion_window)
    db = Dbsnp(dbsnp)
    outdir.mkdir(parents=True, exist_ok=True)
    all_path = outdir / f"{sample}.all.vcf.gz"
    pass_path = outdir / f"{sample}.pass.vcf.gz"
    try:
        with tempfile.TemporaryDirectory(dir=outdir, prefix=f".{sample}.filter.") as tmp:
            norm = Path(tmp) / "norm.vcf"
            normalise_vcf(vcf, contigs, fasta, norm)
            fasta_names = list(pysam.FastaFile(str(fasta)).references)
            to_db = require_shared(str(fasta), fasta_names, str(dbsnp), db.contigs)
            to_fusions = (
                require_shared(str(fasta), fasta_names, str(fusions), list(spans)) if spans else {}
            )
            with (
                indexed_vcf_output(all_path) as tmp_all,
                indexed_vcf_output(pass_path) as tmp_pass,
                norm.open() as fh,
                pysam.BGZFile(str(tmp_all), "wb") as out_all,  # type: ignore[call-arg]
                pysam.BGZFile(str(tmp_pass), "wb") as out_pass,  # type: ignore[call-arg]
            ):
                header = _header(fh, params)
                out_all.write(header.encode())
                out_pass.write(header.encode())
                for batch in _batches(fh, vcf):
                    rows = _annotate_batch(batch, db, to_db, params, spans, to_fusions)
                    out_all.write("".join(line for line, _ in rows).encode())
                    out_pass.write("".join(line for line, ok in rows if ok).encode())
    finally:
        db.close()
    return all_path, pass_path


def _header(fh: object, p: FilterParams) -> str:
    """Read the header from ``fh`` up to #CHROM; add the filter's FILTER/INFO definitions."""
    lines: list[str] = []
    for line in fh:  # type: ignore[attr-defined]
        if line.startswith("#CHROM"):
            ids = {x.split(",")[0] for x in lines if x.startswith(("##FILTER", "##INFO"))}
            for extra in HEADER_LINES:
                text = extra.format(**vars(p))
                if text.split(",")[0] not in ids:
                    lines.append(text + "\n")
            lines.append(f"##tkiseq_filterCommand={shlex.join(sys.argv)}\n")
            lines.append(line)
            return "".join(lines)
        lines.append(line)
    raise InputError("VCF", "no #CHROM header line")
