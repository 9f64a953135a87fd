"""Planted variants (somatic, germline at dbSNP sites, private germline) and the dbSNP VCF.

Every variant is described once on the canonical transcript (c. and p. notation from translating
the mutated CDS) and once on the genome (VCF-style, left-aligned with the anchor base).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam

from tkiseq.simulate import catalog
from tkiseq.simulate.cohort import Sample
from tkiseq.simulate.dna import THREE_LETTER, decode, revcomp_str, translate
from tkiseq.simulate.genome import Genome, Transcript

# key -> (gene, c. position, ref, alt) with bases on the transcript strand
SOMATIC_SNVS = {
    "ABL1_T315I": ("ABL1", 944, "C", "T"),
    "ABL1_E255K": ("ABL1", 763, "G", "A"),
    "ABL1_H396P": ("ABL1", 1187, "A", "C"),
    "ABL1_K404E": ("ABL1", 1210, "A", "G"),
    "TP53_R273H": ("TP53", 818, "G", "A"),
    "TP53_R248Q": ("TP53", 743, "G", "A"),
    "ZEB2_H1038R": ("ZEB2", 3113, "A", "G"),
    "IKZF1_N159Y": ("IKZF1", 475, "A", "T"),
    "PAX5_P80R": ("PAX5", 239, "C", "G"),
    "KRAS_G12D": ("KRAS", 35, "G", "A"),
}
# key -> (gene, kind): sites are searched so the event cannot shift (unambiguous left-alignment)
SOMATIC_INDELS = {
    "SH2B3_fs": ("SH2B3", "del1"),
    "JAK2_inframe": ("JAK2", "del3"),
    "SETD2_ins": ("SETD2", "ins1"),
}
DECOY_ALT_OF = "ABL1_T315I"  # dbSNP holds this position with a different alt allele
N_DBSNP_GERMLINE = 12
N_PRIVATE_GERMLINE = 3
N_RANDOM_DBSNP = 20_000


@dataclass(frozen=True)
class Variant:
    """A planted variant on the genome and on the canonical transcript."""

    key: str
    gene: str
    kind: str
    chrom: str
    pos: int
    ref: str
    alt: str
    consequence: str
    hgvsc: str
    hgvsp: str
    hgvsp_short: str
    rsid: str = ""

    @property
    def is_snv(self) -> bool:
        """True for single-base substitutions."""
        return len(self.ref) == len(self.alt) == 1


def _hgvsp(t: Transcript, mut_mrna: str) -> tuple[str, str, str]:
    """(consequence, p. long, p. short) by translating reference and mutated CDS."""
    s, e = t.cds  # type: ignore[misc]
    ref_p = translate(decode(t.seq[s:e]))
    mut_p = translate(mut_mrna[s:], to_stop=True)
    k = (
        next(i for i, (a, b) in enumerate(zip(ref_p, mut_p, strict=False)) if a != b)
        if (mut_p != ref_p)
        else -1
    )
    delta = len(mut_mrna) - len(t.seq)
    if delta % 3:
        n_new = len(mut_p) - k
        r, a = ref_p[k], mut_p[k]
        if a == "*":
            return "frameshift_variant", f"p.{THREE_LETTER[r]}{k + 1}Ter", f"p.{r}{k + 1}*"
        long = f"p.{THREE_LETTER[r]}{k + 1}{THREE_LETTER[a]}fsTer{n_new}"
        return "frameshift_variant", long, f"p.{r}{k + 1}{a}fs*{n_new}"
    if delta == -3:
        r = ref_p[k]
        return "inframe_deletion", f"p.{THREE_LETTER[r]}{k + 1}del", f"p.{r}{k + 1}del"
    if k < 0:
        return "synonymous_variant", "p.=", "p.="
    r, a = ref_p[k], mut_p[k]
    consequence = "stop_gained" if a == "*" else "missense_variant"
    return consequence, f"p.{THREE_LETTER[r]}{k + 1}{THREE_LETTER[a]}", f"p.{r}{k + 1}{a}"


def _site(genome: Genome, t: Transcript, i: int) -> tuple[str, int, str]:
    return genome.locate(int(t.gpos[i]))


def snv(genome: Genome, key: str, gene: str, i: int, alt: str, kind: str) -> Variant:
    """SNV at mRNA index ``i`` of the canonical transcript, ``alt`` on the transcript strand."""
    t = genome.genes[gene].transcripts[0]
    s = t.cds[0]  # type: ignore[index]
    ref = chr(t.seq[i])
    mut = decode(t.seq[:i]) + alt + decode(t.seq[i + 1 :])
    consequence, long, short = _hgvsp(t, mut)
    chrom, pos, strand = _site(genome, t, i)
    gref, galt = (ref, alt) if strand == "+" else (revcomp_str(ref), revcomp_str(alt))
    assert genome.base(chrom, pos) == gref
    if long == "p.=":
        aa = translate(decode(t.seq[s + (i - s) // 3 * 3 :][:3]))
        long, short = f"p.{THREE_LETTER[aa]}{(i - s) // 3 + 1}=", f"p.{aa}{(i - s) // 3 + 1}="
    hgvsc = f"c.{i - s + 1}{ref}>{alt}"
    return Variant(key, gene, kind, chrom, pos, gref, galt, consequence, hgvsc, long, short)


def _indel(genome: Genome, key: str, gene: str, i: int, n_del: int, ins: str) -> Variant:
    """Deletion of mRNA bases [i, i+n_del) or insertion of ``ins`` before mRNA base ``i``."""
    t = genome.genes[gene].transcripts[0]
    s = t.cds[0]  # type: ignore[index]
    mut = decode(t.seq[:i]) + ins + decode(t.seq[i + n_del :])
    consequence, long, short = _hgvsp(t, mut)
    if n_del:
        sites = [_site(genome, t, j) for j in range(i, i + n_del)]
        chrom = sites[0][0]
        lo, hi = min(p for _, p, _ in sites), max(p for _, p, _ in sites)
        anchor = genome.base(chrom, lo - 1)
        ref = anchor + "".join(genome.base(chrom, p) for p in range(lo, hi + 1))
        pos, alt = lo - 1, anchor
        c = f"c.{i - s + 1}del" if n_del == 1 else f"c.{i - s + 1}_{i - s + n_del}del"
    else:
        (chrom, p1, strand), (_, p2, _) = _site(genome, t, i - 1), _site(genome, t, i)
        pos = min(p1, p2)
        ref = genome.base(chrom, pos)
        alt = ref + (ins if strand == "+" else revcomp_str(ins))
        c = f"c.{i - s}_{i - s + 1}ins{ins}"
    return Variant(key, gene, "somatic", chrom, pos, ref, alt, consequence, c, long, short)


def _safe_indices(t: Transcript, margin: int = 15) -> np.ndarray:
    """CDS indices at least ``margin`` bases from exon edges and CDS ends."""
    s, e = t.cds  # type: ignore[misc]
    idx = np.arange(s + 30, e - 30)
    ends = t.exon_ends()
    dist = np.min(np.abs(idx[:, None] - ends[None, :]), axis=1)
    return idx[dist >= margin]


def _find_indel(rng: np.random.Generator, genome: Genome, key: str, gene: str, kind: str):
    t = genome.genes[gene].transcripts[0]
    seq, s = decode(t.seq), t.cds[0]  # type: ignore[index]
    for i in rng.permutation(_safe_indices(t)):
        i = int(i)
        if kind == "del1" and seq[i - 1] != seq[i] != seq[i + 1]:
            return _indel(genome, key, gene, i, 1, "")
        if (
            kind == "del3"
            and (i - s) % 3 == 0
            and seq[i - 1] != seq[i + 2]
            and seq[i + 3] != seq[i]
        ):
            aa = translate(seq[i - 3 : i + 6])
            if aa[0] != aa[1] != aa[2] and "*" not in aa:
                return _indel(genome, key, gene, i, 3, "")
        if kind == "ins1":
            base = next(b for b in "ACGT" if b not in (seq[i - 1], seq[i]))
            return _indel(genome, key, gene, i, 0, base)
    raise AssertionError(f"no site for {key}")


def _random_snvs(
    rng: np.random.Generator,
    genome: Genome,
    genes: list[str],
    n: int,
    kind: str,
    prefix: str,
    taken: set[tuple[str, int]],
) -> list[Variant]:
    out: list[Variant] = []
    while len(out) < n:
        gene = genes[int(rng.integers(len(genes)))]
        t = genome.genes[gene].transcripts[0]
        i = int(rng.choice(_safe_indices(t, 30)))
        chrom, pos, _ = _site(genome, t, i)
        if any(c == chrom and abs(p - pos) < 50 for c, p in taken):
            continue
        taken.add((chrom, pos))
        alt = "ACGT"[(("ACGT".index(chr(t.seq[i]))) + int(rng.integers(1, 4))) % 4]
        v = snv(genome, f"{prefix}{len(out) + 1}", gene, i, alt, kind)
        rsid = f"rs{990000001 + len(out) * 7919}" if kind == "germline_dbsnp" else ""
        out.append(Variant(**{**v.__dict__, "rsid": rsid}))
    return out


def plan_variants(rng: np.random.Generator, genome: Genome) -> dict[str, Variant]:
    """All variant sites of the run, keyed; samples pick from these."""
    out: dict[str, Variant] = {}
    for key, (gene, c, ref, alt) in SOMATIC_SNVS.items():
        t = genome.genes[gene].transcripts[0]
        i = t.cds[0] + c - 1  # type: ignore[index]
        assert chr(t.seq[i]) == ref, (key, chr(t.seq[i]))
        out[key] = snv(genome, key, gene, i, alt, "somatic")
    for key, (gene, kind) in SOMATIC_INDELS.items():
        out[key] = _find_indel(rng, genome, key, gene, kind)
    taken = {(v.chrom, v.pos) for v in out.values()}
    pool = [
        g for g in (*catalog.HOUSEKEEPING, *catalog.B_CELL) if genome.genes[g].transcripts[0].cds
    ]
    for v in _random_snvs(rng, genome, pool, N_DBSNP_GERMLINE, "germline_dbsnp", "DBSNP", taken):
        out[v.key] = v
    for v in _random_snvs(rng, genome, pool, N_PRIVATE_GERMLINE, "germline_private", "PRIV", taken):
        out[v.key] = v
    for v in _filler_snvs(rng, genome, taken):
        out[v.key] = v
    return out


def _filler_snvs(rng: np.random.Generator, genome: Genome, taken: set) -> list[Variant]:
    """``FILLER_SNPS`` common dbSNP sites in every karyotype filler gene (cohort preset)."""
    out: list[Variant] = []
    for gene in (g for g in genome.genes if g.startswith("FILL")):
        t = genome.genes[gene].transcripts[0]
        picked: list[int] = []
        for i in rng.permutation(_safe_indices(t, 30)):
            if len(picked) == catalog.FILLER_SNPS:
                break
            if all(abs(int(i) - j) >= 60 for j in picked):
                picked.append(int(i))
        for i in picked:
            alt = "ACGT"[(("ACGT".index(chr(t.seq[i]))) + int(rng.integers(1, 4))) % 4]
            v = snv(genome, f"KSNP{len(out) + 1}", gene, i, alt, "germline_dbsnp")
            taken.add((v.chrom, v.pos))
            out.append(Variant(**{**v.__dict__, "rsid": f"rs98{len(out) + 1:07d}"}))
    return out


def write_dbsnp(
    rng: np.random.Generator, genome: Genome, planted: dict[str, Variant], path: Path
) -> None:
    """dbSNP-like VCF with NCBI contig names (no ``chr``): planted germline sites, a decoy with
    another alt at a somatic site, and ~20,000 random SNVs away from every planted variant."""
    records: list[tuple[str, int, str, str, str]] = []
    for v in planted.values():
        if v.kind == "germline_dbsnp":
            records.append((v.chrom, v.pos, v.rsid, v.ref, v.alt))
    decoy = planted[DECOY_ALT_OF]
    other = next(b for b in "ACGT" if b not in (decoy.ref, decoy.alt))
    records.append((decoy.chrom, decoy.pos, "rs990999999", decoy.ref, other))
    blocked = {
        (v.chrom, p) for v in planted.values() for p in range(v.pos - 2, v.pos + len(v.ref) + 2)
    }
    sizes = np.array([len(s) for s in genome.contigs.values()])
    names = list(genome.contigs)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    draws = np.unique(rng.integers(0, starts[-1], N_RANDOM_DBSNP + 200))[:N_RANDOM_DBSNP]
    ids = rng.permutation(N_RANDOM_DBSNP) + 100_000_000
    for n, g in enumerate(draws):
        c = int(np.searchsorted(starts, g, side="right")) - 1
        chrom, pos = names[c], int(g - starts[c]) + 1
        ref = genome.base(chrom, pos)
        if (chrom, pos) in blocked or ref not in "ACGT":
            continue
        alt = "ACGT"[("ACGT".index(ref) + int(rng.integers(1, 4))) % 4]
        records.append((chrom, pos, f"rs{ids[n]}", ref, alt))
    order = {c: i for i, c in enumerate(names)}
    records.sort(key=lambda r: (order[r[0]], r[1]))
    ncbi = {c: ("MT" if c == "chrM" else c.removeprefix("chr")) for c in names}
    lines = ["##fileformat=VCFv4.2", "##source=tkiseq simulated dbSNP"]
    lines += [f"##contig=<ID={ncbi[c]},length={len(genome.contigs[c])}>" for c in names]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    lines += [f"{ncbi[c]}\t{p}\t{i}\t{r}\t{a}\t.\t.\t." for c, p, i, r, a in records]
    plain = path.with_suffix("")
    plain.write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)


TINY_SOMATIC = (
    (("ABL1_T315I", 0.45), ("ZEB2_H1038R", 0.3)),
    (("ABL1_E255K", 0.25), ("ABL1_H396P", 0.04), ("SH2B3_fs", 0.4)),
    (("ABL1_K404E", 0.35), ("TP53_R273H", 0.5), ("KRAS_G12D", 0.06)),
    (("PAX5_P80R", 0.45), ("JAK2_inframe", 0.35)),
    (("IKZF1_N159Y", 0.3), ("TP53_R248Q", 0.2)),
    (("SETD2_ins", 0.3), ("ZEB2_H1038R", 0.08)),
)
# deep: the failure modes at depth: ABL1 E255K (alt reads near read ends lost to edge
# rules), frameshifts with few alt reads (SETD2 is expressed low), two e14a2 samples (0, 1)
DEEP_SOMATIC = (
    (("ABL1_E255K", 0.12), ("TP53_R273H", 0.5), ("SETD2_ins", 0.45)),
    (("ABL1_T315I", 0.45), ("KRAS_G12D", 0.06), ("SH2B3_fs", 0.12)),
    (("ABL1_K404E", 0.35), ("ABL1_H396P", 0.04), ("JAK2_inframe", 0.35), ("ZEB2_H1038R", 0.3)),
    (("PAX5_P80R", 0.45), ("IKZF1_N159Y", 0.3), ("TP53_R248Q", 0.2)),
)
FIXED_SOMATIC = {"tiny": TINY_SOMATIC, "deep": DEEP_SOMATIC}
# cohort: variant -> ranks by imatinib AUC (0 = most resistant), resistance mutations on top
COHORT_SOMATIC = {
    "ABL1_T315I": (0, 1),
    "ABL1_E255K": (2, 5),
    "ABL1_H396P": (3,),
    "ABL1_K404E": (7,),
    "ZEB2_H1038R": (0, 4, 9, 19),
    "TP53_R273H": (6, 29),
    "TP53_R248Q": (11,),
    "SH2B3_fs": (8, 14, 24),
    "JAK2_inframe": (17,),
    "SETD2_ins": (13, 39),
    "IKZF1_N159Y": (32,),
    "PAX5_P80R": (44,),
    "KRAS_G12D": (21, 34),
}
COHORT_VAFS = (0.45, 0.3, 0.2, 0.15, 0.35, 0.5, 0.08, 0.25)
LOW_VAF = {"ABL1_H396P": 0.04, "KRAS_G12D": 0.06}


GENOTYPES = (0.0, 0.5, 1.0)
COMMON_SNP_GENOTYPES = (0.25, 0.5, 0.25)  # filler sites: allele frequency 0.5
DBSNP_GENOTYPES = (0.4, 0.45, 0.15)


def germline_vaf(genotype: float, copies: int, minor: int, rng: np.random.Generator) -> float:
    """Expected alt fraction of a germline site on a chromosome with ``copies`` copies: a
    heterozygous site is lost (LOH, either allele) on one copy and at minor/copies or the
    reverse (whichever haplotype carries the alt) on a gain."""
    if genotype != 0.5 or copies == 2:
        return genotype
    if copies == 1:
        return float(rng.random() < 0.5)
    return (minor if rng.random() < 0.5 else copies - minor) / copies


def assign_variants(
    rng: np.random.Generator,
    planted: dict[str, Variant],
    z_auc: np.ndarray,
    design: str,
    samples: list[Sample] | None = None,
) -> list[list[tuple[Variant, float]]]:
    """Per sample: (variant, planned VAF) for somatic calls and germline genotypes (allele
    fractions follow each sample's planted chromosome copies). ``design``: a key of
    ``FIXED_SOMATIC`` (somatic variants placed by hand) or ``cohort`` (placed by AUC rank)."""
    n = len(z_auc)
    carried: list[list[tuple[Variant, float]]] = [[] for _ in range(n)]
    if design in FIXED_SOMATIC:
        for i, muts in enumerate(FIXED_SOMATIC[design]):
            carried[i] += [(planted[k], vaf) for k, vaf in muts]
    else:
        rank = np.argsort(-z_auc)
        m = 0
        for key, ranks in COHORT_SOMATIC.items():
            for r in ranks:
                vaf = (
                    LOW_VAF.get(key, COHORT_VAFS[m % len(COHORT_VAFS)])
                    if r == ranks[0]
                    else (COHORT_VAFS[m % len(COHORT_VAFS)])
                )
                carried[int(rank[r])].append((planted[key], vaf))
                m += 1
    for k, pax5 in enumerate(samples or ()):
        if pax5.subtype == "PAX5 P80R":
            carried[k].append((planted["PAX5_P80R"], 0.45))
    for v in planted.values():
        if v.kind == "germline_dbsnp":
            p = COMMON_SNP_GENOTYPES if v.key.startswith("KSNP") else DBSNP_GENOTYPES
            genotype = rng.choice(GENOTYPES, size=n, p=p)
            for i in np.flatnonzero(genotype).tolist():
                s = samples[i] if samples else None
                copies = s.copies.get(v.chrom, 2) if s else 2
                minor = s.minor.get(v.chrom, 1) if s else 1
                vaf = germline_vaf(float(genotype[i]), copies, minor, rng)
                if vaf:
                    carried[i].append((v, vaf))
        elif v.kind == "germline_private":
            for i in rng.choice(n, size=max(1, n // 5), replace=False):
                carried[int(i)].append((v, 0.5))
    return carried
