"""RNA karyotype: copy number per chromosome arm from gene dosage and het-SNP allele fractions.

The idea of RNAseqCNV (Barinka et al., Leukemia 2022) and MD-ALL, built here:

* dosage: per gene, the sample's VST minus the diploid reference's median VST (a log2 ratio:
  VST is log2-like at the counts the gene filter keeps, compressing fold changes by a few per
  cent at moderate counts); per arm, a weighted median over those genes, the weight being the
  inverse of the gene's robust (MAD) variance across the reference samples;
* allele fractions: dbSNP-matched calls (germline sites, >= 3 alt reads as ``variants call``
  writes them) with depth >= ``min_snv_depth``; the share of heterozygous sites tells loss of
  heterozygosity, and the peak of the folded minor-allele fraction tells balanced (0.5) from
  2:1 (1/3) and 3:1 (1/4) states.

Both are combined per arm. Log2 ratios are re-centred on the arms whose alleles are balanced, so
a near-haploid sample (whose few disomies look like gains after library-size normalisation)
is read correctly: its balanced arms are the two-copy ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tkiseq import tables
from tkiseq.subtypes.arms import AUTOSOMES, centromeres

KARYOTYPE_COLUMNS = tables.columns("karyotype")
NOT_ASSESSABLE = "not assessable"
Y_GENES = ("RPS4Y1", "DDX3Y", "KDM5D", "UTY", "EIF1AY", "ZFY", "USP9Y")


@dataclass(frozen=True)
class KaryotypeParams:
    """Thresholds of the RNA karyotype (defaults argued in docs/output.md)."""

    min_reference_samples: int = 3  # a diploid reference needs at least this many samples
    min_gene_count: float = 10.0  # normalised count a gene needs in the reference ...
    min_gene_fraction: float = 0.8  # ... in at least this share of reference samples
    min_genes_per_arm: int = 6  # fewer: the arm's dosage is not assessed
    min_snv_depth: int = 20  # reads at a dbSNP site for its allele fraction to count
    min_snvs_per_arm: int = 5  # fewer sites (het or not): no allele evidence for the arm
    het_range: tuple[float, float] = (0.1, 0.9)  # sites in this VAF range make maf_peak
    kernel_bandwidth: float = 0.04  # of the minor-allele-fraction density (maf_peak)
    het_prior: float = 0.6  # share of called dbSNP sites heterozygous in the germline
    min_dosage_sd: float = 0.08  # floor of an arm's log2-ratio spread across the cohort
    copy_prior: float = 1.0  # log-prior penalty per copy away from the baseline ...
    loh_prior: float = 2.0  # ... and for a state without a minor haplotype
    high_posterior: float = 0.99  # posterior of the best state for "high" (0.85: "medium")
    sex_gene_min_count: float = 10.0  # normalised count at which XIST / chrY genes are "on"
    iamp21_window: int = 5  # genes per sliding window along 21q
    iamp21_min_log2: float = 1.0  # a window at >= 4 copies ...
    iamp21_min_span: float = 0.8  # ... standing this far above the arm's lowest window


def weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted median of a samples x genes matrix (weights per gene)."""
    order = np.argsort(values, axis=1)
    v = np.take_along_axis(values, order, axis=1)
    cw = np.cumsum(weights[order], axis=1)
    half = cw[:, -1:] / 2
    idx = (cw < half).sum(axis=1)
    return v[np.arange(len(v)), idx]


def gene_filter(normalised: np.ndarray, params: KaryotypeParams) -> np.ndarray:
    """Genes counted well enough in the reference samples (RNAseqCNV keeps > 3 reads in 80 %)."""
    share = (normalised >= params.min_gene_count).mean(axis=0)
    return share >= params.min_gene_fraction


def gene_ratios(
    vst: pd.DataFrame,
    reference_vst: pd.DataFrame,
    reference_normalised: pd.DataFrame,
    params: KaryotypeParams,
) -> tuple[pd.DataFrame, pd.Series]:
    """Per-gene log2 ratio (sample VST - reference median VST) over the genes counted well in
    the reference, and each gene's weight (inverse robust variance across the
    reference samples)."""
    keep = gene_filter(reference_normalised.to_numpy(), params)
    genes = vst.columns[keep]
    ref = reference_vst[genes].to_numpy()
    centre = np.median(ref, axis=0)
    ratio = vst[genes].to_numpy() - centre
    # robust spread: an aneuploid sample among the reference must not down-weight the very
    # genes it deviates on (a plain variance would, and bias its own arms towards zero)
    spread = 1.4826 * np.median(np.abs(ref - centre), axis=0)
    weight = 1.0 / (spread**2 + 0.01)
    return pd.DataFrame(ratio, index=vst.index, columns=genes), pd.Series(weight, index=genes)


def dosage_by_arm(
    ratios: pd.DataFrame, weights: pd.Series, arms: pd.Series, params: KaryotypeParams
) -> tuple[pd.DataFrame, pd.Series]:
    """Weighted-median log2 ratio per sample (rows) and arm (``1p`` columns), and the number of
    genes per arm; arms with fewer than ``min_genes_per_arm`` genes are NaN."""
    genes = ratios.columns[ratios.columns.isin(arms.index)]
    label = arms.loc[genes].to_numpy()
    values, w = ratios[genes].to_numpy(), weights[genes].to_numpy()
    lr, n = {}, {}
    for arm in pd.unique(label):
        cols = np.flatnonzero(label == arm)
        n[arm] = len(cols)
        lr[arm] = (
            weighted_median(values[:, cols], w[cols])
            if len(cols) >= params.min_genes_per_arm
            else np.full(len(values), np.nan)
        )
    return pd.DataFrame(lr, index=ratios.index), pd.Series(n, dtype=int)


PEAK_GRID = np.linspace(0.0, 0.5, 51)


def _density(vaf: np.ndarray, params: KaryotypeParams) -> np.ndarray:
    """Sites x ``PEAK_GRID`` Gaussian kernels of the folded minor-allele fraction, mirrored at
    0.5 so a balanced peak is not pulled below 0.5 by folding."""
    folded = np.minimum(vaf, 1 - vaf)[:, None]
    h = params.kernel_bandwidth
    return np.exp(-0.5 * ((PEAK_GRID - folded) / h) ** 2) + np.exp(
        -0.5 * ((PEAK_GRID - (1 - folded)) / h) ** 2
    )


def minor_allele_peak(vaf: np.ndarray, params: KaryotypeParams) -> float:
    """Mode of the folded minor-allele fraction of heterozygous sites (Gaussian kernel)."""
    return float(PEAK_GRID[np.argmax(_density(vaf, params).sum(axis=0))])


# (copies, copies of the minor haplotype): loss, copy-neutral LOH, disomy, trisomy, tetrasomy
# (3:1 and 2:2), pentasomy; the states an arm of a leukaemic genome takes in practice
STATES = ((1, 0), (2, 0), (2, 1), (3, 1), (4, 1), (4, 2), (5, 1), (5, 2))
SITE_ERROR = 0.02  # allele fraction of a homozygous site that is not 0 or 1 (errors, mapping)


def site_loglik(alt: np.ndarray, depth: np.ndarray, params: KaryotypeParams) -> np.ndarray:
    """Sites x ``STATES`` log-likelihoods of dbSNP-site allele counts (up to a per-site
    constant, the binomial coefficient, which no comparison of states needs).

    Each site is heterozygous in the germline with probability ``het_prior`` (its alleles then
    at minor/copies or the reverse, either haplotype carrying the alt) or homozygous (alt
    fraction ~1); a state without a minor haplotype (LOH) makes every site look homozygous.
    """
    a = np.asarray(alt, dtype=float)[:, None]
    d = np.asarray(depth, dtype=float)[:, None]

    def lp(p: np.ndarray) -> np.ndarray:
        return a * np.log(p) + (d - a) * np.log1p(-p)

    p = np.array([max(m / cn, SITE_ERROR) for cn, m in STATES])[None, :]
    het = np.logaddexp(lp(p), lp(1 - p))
    hom = lp(np.array([[1 - SITE_ERROR]]))
    return np.logaddexp(np.log(params.het_prior / 2) + het, np.log(1 - params.het_prior) + hom)


def allele_loglik(alt: np.ndarray, depth: np.ndarray, params: KaryotypeParams) -> np.ndarray:
    """Log-likelihood of each of ``STATES`` for one arm's sites (``site_loglik`` summed)."""
    return site_loglik(alt, depth, params).sum(axis=0)


def alleles_by_arm(snvs: pd.DataFrame, params: KaryotypeParams) -> pd.DataFrame:
    """Per sample and arm: n_snvs (sites at depth), maf_peak (of sites in ``het_range``, NaN
    with fewer than two) and ``loglik`` (``allele_loglik``; None below ``min_snvs_per_arm``).

    ``snvs``: sample, arm_label (e.g. ``1p``), alt_reads, depth (dbSNP-matched calls).
    """
    cols = ["sample", "arm_label", "n_snvs", "maf_peak", "loglik"]
    deep = snvs[snvs["depth"] >= params.min_snv_depth]
    rows = []
    lo, hi = params.het_range
    for sample, one in deep.groupby("sample", sort=False):
        alt, depth = one["alt_reads"].to_numpy(int), one["depth"].to_numpy(int)
        arm, group = np.unique(one["arm_label"].to_numpy(), return_inverse=True)
        ll = np.zeros((len(arm), len(STATES)))
        np.add.at(ll, group, site_loglik(alt, depth, params))
        n = np.bincount(group, minlength=len(arm))
        vaf = alt / depth
        het = (vaf >= lo) & (vaf <= hi)
        density = np.zeros((len(arm), len(PEAK_GRID)))
        np.add.at(density, group[het], _density(vaf[het], params))
        n_het = np.bincount(group[het], minlength=len(arm))
        for k, label in enumerate(arm):
            peak = float(PEAK_GRID[np.argmax(density[k])]) if n_het[k] >= 2 else np.nan
            enough = n[k] >= params.min_snvs_per_arm
            rows.append((sample, label, int(n[k]), peak, ll[k] if enough else None))
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True)
class ArmCall:
    """One arm's combined call."""

    copy_number: float
    call: str
    confidence: str


def combine_arm(
    log2_ratio: float,
    dosage_sd: float,
    allele_ll: np.ndarray | None,
    baseline: int,
    params: KaryotypeParams,
) -> ArmCall:
    """Most probable of ``STATES`` given the centred dosage (Gaussian around log2(copies /
    baseline), sd ``dosage_sd``) and the allele likelihoods, with a prior against each copy
    away from the baseline; confidence from the state's posterior probability (RNAseqCNV marks
    calls under 0.85 uncertain). LOH without dosage cannot tell a loss from copy-neutral LOH:
    that shows as a low posterior."""
    has_dosage = not np.isnan(log2_ratio)
    if not has_dosage and allele_ll is None:
        return ArmCall(np.nan, NOT_ASSESSABLE, "low")
    cn = np.array([c for c, _ in STATES], dtype=float)
    minor = np.array([m for _, m in STATES])
    score = -params.copy_prior * np.abs(cn - baseline) - params.loh_prior * (minor == 0)
    if has_dosage:
        score += -0.5 * ((log2_ratio - np.log2(cn / baseline)) / dosage_sd) ** 2
    if allele_ll is not None:
        score += allele_ll
    post = np.exp(score - score.max())
    post /= post.sum()
    best = int(np.argmax(post))
    copies, m = STATES[best]
    if copies == baseline == 2 and m == 0:
        call = "cnLOH"
    else:
        call = "gain" if copies > baseline else ("loss" if copies < baseline else "normal")
    p = post[best]
    confidence = "high" if p >= params.high_posterior else "medium" if p >= 0.85 else "low"
    return ArmCall(float(copies), call, confidence)


def infer_sex(
    normalised: pd.DataFrame, gene_names: pd.Series, params: KaryotypeParams
) -> pd.Series:
    """``female`` (XIST on, chrY genes off), ``male`` (the reverse) or ``unknown`` (both or neither
    expressed, or the genes are absent from the annotation) per sample."""
    by_name = pd.Series(gene_names.index, index=gene_names.to_numpy())
    on = params.sex_gene_min_count

    def level(names: tuple[str, ...]) -> pd.Series | None:
        ids = [by_name[n] for n in names if n in by_name.index]
        ids = [i for i in ids if i in normalised.columns]
        return normalised[ids].median(axis=1) if ids else None

    xist, ygenes = level(("XIST",)), level(Y_GENES)
    female = xist >= on if xist is not None else pd.Series(False, index=normalised.index)
    male = ygenes >= on if ygenes is not None else pd.Series(False, index=normalised.index)
    sex = np.where(female & ~male, "female", np.where(male & ~female, "male", "unknown"))
    return pd.Series(sex, index=normalised.index)


def karyotype_table(
    lr: pd.DataFrame,
    n_genes: pd.Series,
    alleles: pd.DataFrame,
    sex: pd.Series,
    params: KaryotypeParams,
) -> pd.DataFrame:
    """The per-arm table (``KARYOTYPE_COLUMNS``) for every sample and arm.

    Each sample's log2 ratios are first re-centred on its arms whose alleles alone say two
    balanced copies (see the module docstring); the arm's dosage spread is the robust (MAD)
    spread of its log2 ratio across the cohort.
    """
    cen = centromeres()
    arms = [
        c.removeprefix("chr") + a
        for c in (*AUTOSOMES, "chrX")
        for a in ("p", "q")
        if not (a == "p" and cen.loc[c, "acrocentric"])
    ]
    lr = lr.reindex(columns=arms)
    mad = (lr - lr.median(axis=0)).abs().median(axis=0) * 1.4826
    sd = mad.fillna(params.min_dosage_sd).clip(lower=params.min_dosage_sd)
    by_key = {(r.sample, r.arm_label): r for r in alleles.itertuples(index=False)}
    disomy = STATES.index((2, 1))
    rows = []
    for sample in lr.index:
        male = sex.get(sample) == "male"
        info = {}
        for label in arms:
            r = by_key.get((sample, label))
            ll = None if r is None or (label[0] == "X" and male) else r.loglik
            info[label] = (0 if r is None else r.n_snvs, np.nan if r is None else r.maf_peak, ll)
        balanced = [
            lr.at[sample, label]
            for label, (_, _, ll) in info.items()
            if ll is not None and label[0] != "X" and int(np.argmax(ll)) == disomy
        ]
        balanced = [x for x in balanced if not np.isnan(x)]
        centre = float(np.median(balanced)) if len(balanced) >= 3 else 0.0
        for label in arms:
            n_snvs, peak, ll = info[label]
            baseline = 1 if (label[0] == "X" and male) else 2
            centred = lr.at[sample, label] - centre
            arm_call = combine_arm(centred, float(sd[label]), ll, baseline, params)
            rows.append(
                (
                    sample, f"chr{label[:-1]}", label[-1], int(n_genes.get(label, 0)), centred,
                    n_snvs, peak, arm_call.copy_number, arm_call.call, arm_call.confidence,
                )
            )  # fmt: skip
    return pd.DataFrame(rows, columns=KARYOTYPE_COLUMNS)


def ploidy_class(chromosome_number: float) -> str:
    """The ``ploidy_class`` vocabulary of docs/output.md from the modal chromosome number."""
    if np.isnan(chromosome_number):
        return NOT_ASSESSABLE
    n = int(chromosome_number)
    for upper, name in (
        (23, "unclassified"),
        (30, "near haploid"),
        (39, "low hypodiploid"),
        (46, "diploid"),
        (50, "low hyperdiploid"),
        (67, "high hyperdiploid"),
    ):
        if n <= upper:
            return name
    return "near triploid or higher"


@dataclass(frozen=True)
class SampleKaryotype:
    """Whole-chromosome summary of one sample."""

    chromosome_number: float
    karyotype: str
    ploidy_class: str
    sex: str
    assessed_arms: int


def summarise(table: pd.DataFrame, sex: str) -> SampleKaryotype:
    """Chromosome copies from one sample's arm rows: the change every assessed arm shares (p at
    three and q at four copies: a gained chromosome with an extra q arm); arms on both sides
    of the baseline count as the baseline (arm-level changes do not change the chromosome
    count), unassessed chromosomes too."""
    assessed = table[table["copy_number"].notna()]
    if assessed.empty:
        return SampleKaryotype(np.nan, NOT_ASSESSABLE, NOT_ASSESSABLE, sex, 0)
    total, changes = 0, []
    by_chrom = assessed.groupby("chrom")["copy_number"].apply(np.asarray).to_dict()
    for chrom in (*AUTOSOMES, "chrX"):
        base = 1 if (chrom == "chrX" and sex == "male") else 2
        cn = by_chrom.get(chrom, np.array([]))
        copies = base
        if len(cn) and ((cn > base).all() or (cn < base).all()):
            copies = int(cn[np.argmin(np.abs(cn - base))])  # the change both arms share
        total += copies
        name = chrom.removeprefix("chr")
        changes += [f"+{name}"] * max(0, copies - base) + [f"-{name}"] * max(0, base - copies)
    total += 1 if sex == "male" else 0
    order = {f"{c.removeprefix('chr')}": i for i, c in enumerate(("chrX", *AUTOSOMES))}
    changes.sort(key=lambda x: (x[0] == "-", order[x[1:]]))
    text = ",".join(changes) if changes else "no whole-chromosome change"
    return SampleKaryotype(float(total), text, ploidy_class(total), sex, len(assessed))


def iamp21(ratio_21q: np.ndarray, params: KaryotypeParams) -> bool:
    """Focal high-level gain on 21q: a window of genes (in genomic order) at >= 4 copies that
    stands well above the rest of the arm (whole-arm gains do not qualify)."""
    w = params.iamp21_window
    if len(ratio_21q) < 2 * w:
        return False
    windows = np.array([np.median(ratio_21q[i : i + w]) for i in range(len(ratio_21q) - w + 1)])
    return bool(
        windows.max() >= params.iamp21_min_log2
        and windows.max() - windows.min() >= params.iamp21_min_span
    )
