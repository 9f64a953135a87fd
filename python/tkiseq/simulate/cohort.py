"""Who the samples are: drug response, clinical covariates, lesions, copy number, expression.

The expression model is what the DE/GSEA stages must recover: negative-binomial counts around a
log-normal base mean, a log-linear dependence on the imatinib AUC z-score for planted genes, and
outlier decoys that are extreme in one or two samples without any relation to the AUC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from tkiseq.simulate import catalog

FUSIONS_BY_SUBTYPE = {
    "ETV6::RUNX1": ("ETV6", "RUNX1", 5, 2),
    "KMT2A::AFF1": ("KMT2A", "AFF1", 9, 5),
    "TCF3::PBX1": ("TCF3", "PBX1", 16, 3),
}
READTHROUGH = ("CTBS", "GNG5", 6, 2)  # CTBS (7 exons) exon 6 spliced to GNG5 exon 2
BCR_EXON = {"e1a2": 1, "e13a2": 13, "e14a2": 14}
FUSION_LEVEL = {"BCR::ABL1": 2400.0, "P2RY8::CRLF2": 2500.0, "other": 700.0}
READTHROUGH_LEVEL = 150.0
NOISE_FRAGMENTS = 20
REFERENCE_PAIRS = 150_000  # depth at which the base means below are stated


@dataclass(frozen=True)
class Preset:
    """A dataset's design and library: the one place the ``simulate`` options' defaults live.

    ``design`` names the sample layout: ``tiny`` and ``deep`` place their lesions by hand (fixed
    sample count), ``cohort`` draws them (any ``n_samples`` >= ``MIN_COHORT_SAMPLES``).
    ``confident_errors``: share of sequencing errors that keep an ordinary high base quality,
    as on real Illumina runs, so they pass base-quality filters. ``paralog``: add the CD99L2
    gene and reads of an unassembled ~95 %-identical copy of it (``templates.paralog_copy``).
    ``junction_homology``: BCR intron 14 starts like ABL1 exon 2 (``genome._junction_homology``).
    """

    design: str
    n_samples: int
    pairs: int  # read pairs per sample (each drawn within +-10 %)
    n_paediatric: int
    n_pdx: int
    duplicates: float = 0.05  # PCR duplicates as a share of all read pairs
    intronic: float = 0.04  # pre-mRNA (intronic) fragments as a share of the originals
    confident_errors: float = 0.0
    paralog: bool = False
    junction_homology: bool = False


PRESETS = {
    "tiny": Preset("tiny", 6, 150_000, 4, 2),
    "cohort": Preset("cohort", 51, 130_000, 32, 17),
    "deep": Preset(
        "deep",
        4,
        1_000_000,
        2,
        1,
        duplicates=0.08,
        intronic=0.045,
        confident_errors=0.6,
        paralog=True,
        junction_homology=True,
    ),
}
MIN_COHORT_SAMPLES = 45  # the cohort's planted somatic variants go up to AUC rank 44


@dataclass(frozen=True)
class FusionPlan:
    """A fusion transcript: 5' partner exons 1..exon5 joined to 3' partner exons exon3..end."""

    gene5: str
    gene3: str
    exon5: int
    exon3: int
    kind: str
    fragments: int


@dataclass
class Sample:
    """One sample's design: library, lesions and the truth labels derived from them."""

    sample: str
    strandedness: str
    pairs: int
    subtype: str
    bcr_abl1_isoform: str = ""
    crlf2: bool = False
    ikzf1_del4_7: bool = False
    cnv: dict[str, str] = field(default_factory=dict)
    fusions: list[FusionPlan] = field(default_factory=list)
    copies: dict[str, int] = field(default_factory=dict)  # chromosome -> copies (default 2)
    minor: dict[str, int] = field(default_factory=dict)  # gained chromosome -> minor copies

    @property
    def chromosome_number(self) -> int:
        """Chromosomes 1-22 and X (two X: the simulated genome has no Y)."""
        return 46 + sum(n - 2 for n in self.copies.values())

    @property
    def karyotype(self) -> str:
        """Whole-chromosome changes, gains first (X first), as ``+X,+4,+21,+21``."""
        order = ["chrX", *(f"chr{i}" for i in range(1, 23))]
        gains = [f"+{c[3:]}" for c in order for _ in range(max(0, self.copies.get(c, 2) - 2))]
        losses = [f"-{c[3:]}" for c in order for _ in range(max(0, 2 - self.copies.get(c, 2)))]
        return ",".join(gains + losses) or "no whole-chromosome change"

    @property
    def ikzf1plus(self) -> bool:
        """Core-study definition: IKZF1 deletion plus CDKN2A, CDKN2B or PAX5 deletion."""
        dele = {"DEL", "HOM_DEL"}
        return self.cnv["IKZF1"] in dele and any(
            self.cnv[g] in dele for g in ("CDKN2A", "CDKN2B", "PAX5")
        )

    @property
    def ikzf1plus_stanulla(self) -> bool | None:
        """Stanulla 2018: IKZF1 deletion plus CDKN2A/B homozygous, PAX5 or PAR1 deletion, and no
        ERG deletion; None (unknown) when only an ERG status of NA stands in the way."""
        dele = {"DEL", "HOM_DEL"}
        partner = (
            "HOM_DEL" in (self.cnv["CDKN2A"], self.cnv["CDKN2B"])
            or self.cnv["PAX5"] in dele
            or self.cnv["PAR1"] in dele
        )
        if not (self.cnv["IKZF1"] in dele and partner) or self.cnv["ERG"] in dele:
            return False
        return None if self.cnv["ERG"] == "NA" else True

    @property
    def deletion_group(self) -> str:
        """Figure 3B groups; OTHER DEL: only CDKN2A/B, RB1 or BTG1 deleted (not in any group)."""
        dele = {"DEL", "HOM_DEL"}
        if self.ikzf1plus:
            return "IKZF1plus"
        if self.cnv["IKZF1"] in dele:
            return "IKZF1"
        if self.cnv["PAX5"] in dele:
            return "PAX5+"
        others = ("CDKN2A", "CDKN2B", "RB1", "BTG1")
        return "OTHER DEL" if any(self.cnv[g] in dele for g in others) else "NO DEL"


@dataclass
class Cohort:
    """Samples, phenotype table and the per-gene expression design."""

    samples: list[Sample]
    phenotypes: pd.DataFrame
    z_auc: np.ndarray
    base_mean: dict[str, float]
    dispersion: dict[str, float]
    log2fc: dict[str, float]
    role: dict[str, str]
    boost: dict[tuple[str, int], float]
    chrom: dict[str, str]


def _aucs(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Imatinib AUC spread 40-170 (a few > 150); dasatinib/bosutinib correlated (rho ~0.7)."""
    u = (rng.permutation(n) + rng.uniform(0.2, 0.8, n)) / n
    z = norm.ppf(u)
    ima = np.clip(100 + 40 * z, 40, 172)
    out = {"auc_imatinib": ima}
    for drug in ("dasatinib", "bosutinib"):
        zd = 0.68 * z + 0.73 * rng.normal(size=n)
        out[f"auc_{drug}"] = np.clip(100 + 38 * zd, 35, 175)
    return pd.DataFrame({k: np.round(v, 1) for k, v in out.items()})


def _clinical(rng: np.random.Generator, preset: Preset, z: np.ndarray) -> pd.DataFrame:
    """Age, source, relapse, MRD and treatment timing; every eligibility branch is planted.

    The timing columns come from a child generator (``rng.spawn`` does not advance ``rng``), so
    adding them left every later draw of the cohort unchanged. The first six of a random order
    get one eligibility case each (tiny has exactly six samples); the rest are drawn.
    """
    n = preset.n_samples
    age = np.array(["adult"] * n, dtype=object)
    paed = rng.permutation(n)[: preset.n_paediatric]
    age[paed] = "paediatric"
    source = np.array(["primary"] * n, dtype=object)
    source[rng.permutation(paed)[: preset.n_pdx]] = "PDX"
    relapse = np.where(rng.random(n) < 1 / (1 + np.exp(0.6 - 1.3 * z)), "yes", "no")
    mrd = 10 ** np.clip(-3.5 + 0.6 * z + 0.7 * rng.normal(size=n), -5, -2)
    mrd_txt = [f"{m:.2g}" for m in mrd]
    for i in rng.permutation(n)[: max(1, n // 7)]:
        mrd_txt[i] = ""
    rng.integers(3, 70, n), rng.integers(200, 3000, n)  # former timing draws, kept for the stream
    timing = rng.spawn(1)[0]
    start = timing.choice([6, 10, 14, 25, 40, 48, 65, 90], size=n).astype(object)
    follow = timing.integers(400, 3000, n).astype(object)
    died = np.where(timing.random(n) < 0.08, "yes", "no").astype(object)
    died[relapse == "yes"] = "no"
    follow[(died == "yes") & (timing.random(n) < 0.5)] = 250  # death in CR within a year
    case = timing.permutation(n)[:6]
    # missing start | late start (> 50 d) | short follow-up in CCR | relapse within a year |
    # death in CR | early start (<= 15 d) without MRD
    m = len(case)  # fewer than six samples (deep): the first cases only
    start[case] = ["", 65, 20, 12, 30, 9][:m]
    follow[case[2:5]] = [300, 200, 800][: max(0, m - 2)]
    relapse[case[2:5]] = ["no", "yes", "no"][: max(0, m - 2)]
    died[case[2:5]] = ["no", "no", "yes"][: max(0, m - 2)]
    if m > 5:
        mrd_txt[case[5]] = ""
    for i in case[2:4]:
        mrd_txt[i] = mrd_txt[i] or "0.0005"
    return pd.DataFrame(
        {
            "relapse": relapse,
            "age_group": age,
            "source": source,
            "mrd_eoi": mrd_txt,
            "tki_start_days": start,
            "followup_days": follow,
            "died_in_cr": died,
        }
    )


def _tiny_samples(names: list[str]) -> list[Sample]:
    """The tiny preset's hand-placed lesions, so every truth class appears at least once."""
    strands = ["reverse", "reverse", "forward", "reverse", "unstranded", "reverse"]
    subtypes = ["BCR::ABL1"] * 3 + list(FUSIONS_BY_SUBTYPE)
    samples = [Sample(n, s, 0, t) for n, s, t in zip(names, strands, subtypes, strict=True)]
    for s, iso in zip(samples, BCR_EXON, strict=False):
        s.bcr_abl1_isoform = iso
    samples[0].crlf2 = True
    samples[0].ikzf1_del4_7 = samples[1].ikzf1_del4_7 = True
    dels = {0: ("IKZF1", "CDKN2A", "CDKN2B", "PAR1"), 1: ("IKZF1", "PAX5"), 2: ("PAX5",)}
    for i, s in enumerate(samples):
        s.cnv = {g: "DEL" if g in dels.get(i, ()) else "NO_DEL" for g in catalog.CNV_GENES}
    samples[0].cnv["CDKN2A"] = "HOM_DEL"
    samples[5].cnv["ERG"] = "NA"
    return samples


HYPERDIPLOID_GAINS = (  # (gained chromosomes, tetrasomic chromosome, its minor copies)
    (("chrX", "chr4", "chr6", "chr10", "chr14", "chr17", "chr18"), "chr21", 1),
    (("chr4", "chr6", "chr10", "chr14", "chr18"), "chr21", 2),
    (("chrX", "chr6", "chr8", "chr10", "chr14", "chr17"), "chr21", 1),
)
NEAR_HAPLOID_DISOMIES = ("chrX", "chr14", "chr18", "chr21")
SINGLE_GAIN = "chrX"  # the BCR::ABL1 sample with one extra chromosome


def _plant_karyotypes(samples: list[Sample]) -> None:
    """The cohort's non-BCR::ABL1 samples (the last ones, none with CRLF2-r planted) and one
    BCR::ABL1 sample with a single extra chromosome."""
    free = [s for s in reversed(samples) if not s.crlf2]
    for s, (gains, tetra, minor) in zip(free[:3], HYPERDIPLOID_GAINS, strict=True):
        s.subtype = "high hyperdiploid"
        s.copies = dict.fromkeys(gains, 3) | {tetra: 4}
        s.minor = dict.fromkeys(gains, 1) | {tetra: minor}
    haploid = free[3]
    haploid.subtype = "near haploid"
    kept = set(NEAR_HAPLOID_DISOMIES)
    haploid.copies = {f"chr{i}": 1 for i in range(1, 23) if f"chr{i}" not in kept}
    free[4].subtype = "PAX5 P80R"
    free[5].subtype = "BCR::ABL1-like"
    free[5].crlf2 = True
    free[5].cnv["PAR1"] = "DEL"
    free[6].copies, free[6].minor = {SINGLE_GAIN: 3}, {SINGLE_GAIN: 1}
    for s in free[:6]:
        s.bcr_abl1_isoform = ""


def _cohort_samples(rng: np.random.Generator, names: list[str], z: np.ndarray, age) -> list:
    """BCR::ABL1+ (p190 in ~86 % of paediatric and ~68 % of adult samples) except the planted
    karyotypes and mutation- or CRLF2-defined samples of ``_plant_karyotypes``."""
    samples = [Sample(n, "reverse", 0, "BCR::ABL1") for n in names]
    for group, frac in (("paediatric", 0.86), ("adult", 0.68)):
        idx = rng.permutation(np.flatnonzero(age == group))
        n190 = round(frac * len(idx))
        for k, i in enumerate(idx):
            samples[i].bcr_abl1_isoform = "e1a2" if k < n190 else ("e13a2", "e14a2")[k % 2]
    order = np.argsort(-z)
    for i in (order[0], order[2], order[len(z) // 3]):
        samples[i].crlf2 = True
    for i, s in enumerate(samples):
        resist = z[i] > 0
        cnv = {g: "NO_DEL" for g in catalog.CNV_GENES}
        if rng.random() < (0.6 if resist else 0.35):
            cnv["IKZF1"] = "DEL"
            s.ikzf1_del4_7 = bool(rng.random() < 0.6)
            if rng.random() < 0.45:
                cnv["CDKN2A"] = cnv["CDKN2B"] = "HOM_DEL" if rng.random() < 0.4 else "DEL"
            if rng.random() < 0.3:
                cnv["PAX5"] = "DEL"
        elif rng.random() < (0.3 if resist else 0.12):
            cnv["PAX5"] = "DEL"
        for g, p in (("BTG1", 0.1), ("ERG", 0.03), ("RB1", 0.05), ("EBF1", 0.05)):
            if rng.random() < p:
                cnv[g] = "DEL"
        if s.crlf2:
            cnv["PAR1"] = "DEL"
        for g in ("BTG1", "ERG", "RB1", "EBF1"):
            if rng.random() < 0.03:
                cnv[g] = "NA"
        s.cnv = cnv
    _plant_karyotypes(samples)
    return samples


FILLER_MEAN = 380.0  # karyotype fillers: enough reads for dbSNP sites at depth >= 20
FILLER_DISPERSION = (0.02, 0.05)


def _expression_design(
    rng: np.random.Generator, n: int, specs: tuple[catalog.GeneSpec, ...]
) -> tuple[dict, dict, dict, dict, dict]:
    """Base means (at the reference depth), dispersions, AUC slopes, roles and outlier boosts."""
    base, disp, fc, role = {}, {}, {}, {}
    for spec in specs:
        g = spec.name
        if g.startswith("FILL"):
            base[g], fc[g], role[g] = FILLER_MEAN, 0.0, "karyotype_filler"
            disp[g] = float(rng.uniform(*FILLER_DISPERSION))
            continue
        if spec.chrom == "chrM":
            mu = {"MT-CO1": 6000.0, "MT-RNR2": 5000.0}.get(g, 3000.0)
        elif g in catalog.HOUSEKEEPING:
            mu = rng.lognormal(np.log(2000), 0.4)
        elif g in catalog.VARIANT_GENES:
            mu = 2200.0 if g in ("ABL1", "ZEB2") else 1500.0
        elif g in catalog.LOW_GENES:
            mu = 25.0 if g == "SETD2" else 40.0
        elif g == "MALAT1":
            mu = 3000.0
        elif g == "GAPDHP1":
            mu = 15.0
        elif g == catalog.PARALOG_TARGET:
            mu = 1200.0
        elif g in catalog.B_CELL or g in catalog.FUSION_PARTNERS:
            mu = rng.lognormal(np.log(900), 0.4)
        elif g in catalog.IMMUNE_UP or g in catalog.AUC_DOWN:
            mu = rng.lognormal(np.log(500), 0.4)
        else:
            mu = float(np.clip(rng.lognormal(np.log(300), 0.9), 20, 4000))
        base[g] = float(mu)
        disp[g] = float(rng.uniform(0.05, 0.2))
        fc[g], role[g] = 0.0, "background"
        if g in catalog.IMMUNE_UP:
            fc[g], role[g] = float(rng.uniform(0.6, 1.5)), "immune_auc_associated"
        elif g in catalog.AUC_DOWN:
            fc[g], role[g] = -float(rng.uniform(0.6, 1.5)), "auc_associated"
        elif g in catalog.OUTLIER_DECOYS:
            role[g] = "outlier_decoy"
        elif g in catalog.FUSION_PARTNERS:
            role[g] = "fusion_partner"
    boost: dict[tuple[str, int], float] = {}
    for k, g in enumerate(catalog.OUTLIER_DECOYS):
        hits = [k % n] if k % 2 == 0 or n < 10 else [k % n, (k + n // 2) % n]
        for i in hits:
            boost[(g, i)] = float(rng.uniform(10, 30))
    return base, disp, fc, role, boost


def _deep_samples(names: list[str]) -> list[Sample]:
    """The deep preset's four samples: two e14a2 BCR::ABL1 (fusion-junction artefacts in BCR
    intron 14), one e1a2 with CRLF2-r, one ETV6::RUNX1; deletions as in tiny's first three."""
    subtypes = ["BCR::ABL1", "BCR::ABL1", "BCR::ABL1", "ETV6::RUNX1"]
    samples = [Sample(n, "reverse", 0, t) for n, t in zip(names, subtypes, strict=True)]
    for s, iso in zip(samples, ("e14a2", "e14a2", "e1a2"), strict=False):
        s.bcr_abl1_isoform = iso
    samples[2].crlf2 = True
    samples[0].ikzf1_del4_7 = True
    dels = {0: ("IKZF1", "PAX5"), 2: ("IKZF1", "CDKN2A", "CDKN2B", "PAR1"), 3: ("PAX5",)}
    for i, s in enumerate(samples):
        s.cnv = {g: "DEL" if g in dels.get(i, ()) else "NO_DEL" for g in catalog.CNV_GENES}
    return samples


def build_cohort(rng: np.random.Generator, preset: Preset | str) -> Cohort:
    """Draw the cohort for a preset (a ``Preset`` or the name of one in ``PRESETS``)."""
    preset = PRESETS[preset] if isinstance(preset, str) else preset
    preset_name = preset.design
    n = preset.n_samples
    names = [f"BA_P{i + 1:02d}" for i in range(n)]
    auc = _aucs(rng, n)
    capped = np.minimum(auc["auc_imatinib"].to_numpy(), 150.0)
    z = (capped - capped.mean()) / capped.std(ddof=1)
    clin = _clinical(rng, preset, z)
    pheno = pd.concat([pd.DataFrame({"sample": names}), auc, clin], axis=1)
    if preset_name == "tiny":
        samples = _tiny_samples(names)
    elif preset_name == "deep":
        samples = _deep_samples(names)
    else:
        samples = _cohort_samples(rng, names, z, clin["age_group"].to_numpy())
    depth = preset.pairs / REFERENCE_PAIRS
    for i, s in enumerate(samples):
        s.pairs = round(preset.pairs * rng.uniform(0.9, 1.1))
        scale = depth * s.pairs / preset.pairs
        if s.subtype == "BCR::ABL1":
            level = FUSION_LEVEL["BCR::ABL1"] * np.exp(-0.5 * z[i] + 0.2 * rng.normal())
            exon5 = BCR_EXON[s.bcr_abl1_isoform]
            s.fusions.append(FusionPlan("BCR", "ABL1", exon5, 2, "fusion", int(level * scale)))
        elif s.subtype in FUSIONS_BY_SUBTYPE:
            g5, g3, e5, e3 = FUSIONS_BY_SUBTYPE[s.subtype]
            level = FUSION_LEVEL["other"] * rng.uniform(0.8, 1.2)
            s.fusions.append(FusionPlan(g5, g3, e5, e3, "fusion", int(level * scale)))
        if s.crlf2:
            level = FUSION_LEVEL["P2RY8::CRLF2"] * scale
            s.fusions.append(FusionPlan("P2RY8", "CRLF2", 1, 1, "fusion", int(level)))
        if (preset_name == "tiny" and i in (1, 3, 4)) or (preset_name != "tiny" and i % 5 < 2):
            count = int(READTHROUGH_LEVEL * scale * rng.uniform(0.7, 1.3))
            s.fusions.append(FusionPlan(*READTHROUGH, "readthrough_decoy", count))
    specs = catalog.gene_specs(preset_name, preset.paralog)
    base, disp, fc, role, boost = _expression_design(rng, n, specs)
    chrom = {spec.name: spec.chrom for spec in specs}
    return Cohort(samples, pheno, z, base, disp, fc, role, boost, chrom)


CNV_EFFECT = {"DEL": 0.55, "HOM_DEL": 0.03, "NO_DEL": 1.0, "NA": 1.0}


def gene_means(cohort: Cohort, i: int, total: float) -> dict[str, float]:
    """Expected mature fragments per gene in sample ``i`` when ``total`` are drawn overall."""
    sample = cohort.samples[i]
    dosage = {g: sample.copies.get(cohort.chrom[g], 2) / 2 for g in cohort.base_mean}
    scale = total / sum(mu * dosage[g] for g, mu in cohort.base_mean.items())
    out = {}
    for g, mu in cohort.base_mean.items():
        factor = 2 ** (cohort.log2fc[g] * cohort.z_auc[i]) * cohort.boost.get((g, i), 1.0)
        out[g] = mu * scale * factor * CNV_EFFECT[sample.cnv.get(g, "NO_DEL")] * dosage[g]
    return out


def draw_counts(rng: np.random.Generator, cohort: Cohort, i: int, total: float) -> dict:
    """Negative-binomial (gamma-Poisson) fragment counts per gene."""
    means = gene_means(cohort, i, total)
    genes = list(means)
    mu = np.array([means[g] for g in genes])
    phi = np.array([cohort.dispersion[g] for g in genes])
    counts = rng.poisson(rng.gamma(1 / phi, mu * phi))
    return dict(zip(genes, (int(c) for c in counts), strict=True))
