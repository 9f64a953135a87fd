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

import warnings
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from tkiseq import tables
from tkiseq.subtypes.arms import AUTOSOMES, centromeres

KARYOTYPE_COLUMNS = tables.columns("karyotype")
NOT_ASSESSABLE = "not assessable"
NOT_DETERMINED = "not determined"


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
    dosage_response: float = 0.75  # RNA's log2 ratio per log2 copy ratio (damped dosage)
    copy_prior: float = 1.0  # log-prior penalty per copy away from the baseline ...
    loh_prior: float = 2.0  # ... and for a state without a minor haplotype
    high_posterior: float = 0.99  # posterior of the best state for "high" (0.85: "medium")
    min_genes_confident: int = 30  # fewer genes and no allele evidence: at most "low"
    max_allele_sites: int = 30  # an arm's allele evidence weighs at most this many sites
    sex_margin: float = 2.0  # log2 units XIST must stand above (below) the chrY genes
    centre_bandwidth: float = 0.08  # of the arm log2-ratio density whose mode is a copy level
    step_min: float = 0.25  # an arm this far from the mode is off it
    doubling_min: float = 0.55  # a step this large is a doubling, not a (damped) trisomy
    single_doubling_min: float = 0.8  # one chromosome this far up: tetrasomy or a disomy?
    max_centre_scatter: float = 0.15  # robust spread of the arms at the mode, at most
    iamp21_min_genes: int = 10  # genes per window along 21q (at least; or an eighth of 21q)
    iamp21_min_log2: float = 1.0  # the amplified segment's median, >= 4 copies ...
    iamp21_min_span: float = 0.6  # ... standing this far above the rest of 21q


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
    centre = np.nanmedian(ref, axis=0)  # NaN: a reference sample's arm left out
    ratio = vst[genes].to_numpy() - centre
    # robust spread: an aneuploid sample among the reference must not down-weight the very
    # genes it deviates on (a plain variance would, and bias its own arms towards zero)
    spread = 1.4826 * np.nanmedian(np.abs(ref - centre), axis=0)
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
    An arm's log-likelihood is scaled down to weigh at most ``max_allele_sites`` sites: real
    allele counts are overdispersed (allele-specific expression), and hundreds of sites would
    otherwise outvote any dosage.

    ``snvs``: sample, arm_label (e.g. ``1p``), alt_reads, depth (dbSNP-matched calls).
    """
    cols = ["sample", "arm_label", "n_snvs", "maf_peak", "loglik"]
    if snvs.empty:
        return pd.DataFrame(columns=cols)
    deep = snvs[snvs["depth"] >= params.min_snv_depth]
    rows = []
    lo, hi = params.het_range
    for sample, one in deep.groupby("sample", sort=False):
        alt, depth = one["alt_reads"].to_numpy(int), one["depth"].to_numpy(int)
        arm, group = np.unique(one["arm_label"].to_numpy(), return_inverse=True)
        ll = np.zeros((len(arm), len(STATES)))
        np.add.at(ll, group, site_loglik(alt, depth, params))
        n = np.bincount(group, minlength=len(arm))
        ll *= np.minimum(1.0, params.max_allele_sites / np.maximum(n, 1))[:, None]
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


def state_prior(baseline: int, params: KaryotypeParams) -> np.ndarray:
    """Log-prior of ``STATES``: a penalty per copy away from the baseline and for LOH."""
    cn = np.array([c for c, _ in STATES], dtype=float)
    minor = np.array([m for _, m in STATES])
    return -params.copy_prior * np.abs(cn - baseline) - params.loh_prior * (minor == 0)


def arm_scores(
    log2_ratio: float,
    dosage_sd: float,
    allele_ll: np.ndarray | None,
    baseline: int,
    params: KaryotypeParams,
    response: float | None = None,
) -> np.ndarray | None:
    """Unnormalised log-posterior of each of ``STATES``: the centred dosage (Gaussian around
    ``dosage_response`` x log2(copies / baseline), sd ``dosage_sd``: expression follows copy
    number damped, a trisomy adds about +0.44 rather than +0.58), the allele likelihoods, and a
    prior against each copy away from the baseline; None without either kind of evidence."""
    has_dosage = not np.isnan(log2_ratio)
    if not has_dosage and allele_ll is None:
        return None
    cn = np.array([c for c, _ in STATES], dtype=float)
    score = state_prior(baseline, params)
    if has_dosage:
        damping = params.dosage_response if response is None else response
        level = damping * np.log2(cn / baseline)
        score = score - 0.5 * ((log2_ratio - level) / dosage_sd) ** 2
    if allele_ll is not None:
        score = score + allele_ll
    return score


def call_from_scores(
    score: np.ndarray | None, baseline: int, params: KaryotypeParams, by_copies: bool = False
) -> ArmCall:
    """The most probable state and its posterior as confidence (RNAseqCNV marks calls under
    0.85 uncertain). LOH without dosage cannot tell a loss from copy-neutral LOH: that shows as
    a low posterior."""
    if score is None:
        return ArmCall(np.nan, NOT_ASSESSABLE, "low")
    post = np.exp(score - score.max())
    post /= post.sum()
    best = int(np.argmax(post))
    copies, m = STATES[best]
    if copies == baseline == 2 and m == 0:
        call = "cnLOH"
    else:
        call = "gain" if copies > baseline else ("loss" if copies < baseline else "normal")
    # without allele evidence the states of one copy number cannot be told apart: the
    # confidence is then that of the copy number
    same = np.array([c == copies for c, _ in STATES])
    p = post[same].sum() if by_copies and call != "cnLOH" else post[best]
    confidence = "high" if p >= params.high_posterior else "medium" if p >= 0.85 else "low"
    return ArmCall(float(copies), call, confidence)


def combine_arm(
    log2_ratio: float,
    dosage_sd: float,
    allele_ll: np.ndarray | None,
    baseline: int,
    params: KaryotypeParams,
) -> ArmCall:
    """One arm's call from its own evidence (``arm_scores`` then ``call_from_scores``)."""
    return call_from_scores(
        arm_scores(log2_ratio, dosage_sd, allele_ll, baseline, params), baseline, params
    )


@dataclass(frozen=True)
class Centre:
    """Where a sample's two-copy level lies and what says so: ``alleles`` (arms with two
    balanced alleles), ``dosage`` (the mode of the arm dosages, read as whole copy steps) or
    ``not determined`` (the dosages do not say which copy state their mode is)."""

    offset: float
    basis: str
    # the sample's log2 ratio per log2 copy ratio (its dosage damping)
    response: float = KaryotypeParams.dosage_response
    scatter: float = 0.0  # robust spread of its arms at the mode (its own dosage noise)


def dosage_centre(values: np.ndarray, chroms: np.ndarray, params: KaryotypeParams) -> Centre:
    """The two-copy level of one sample's autosomal arm log2 ratios from dosage alone.

    After library-size normalisation the genome's most common copy state sits near 0, but
    which state that is depends on the genome: two copies in a diploid or hyperdiploid genome,
    one in a near-haploid or low-hypodiploid genome, three in a near-triploid one. Whole
    chromosomes off the mode (every assessed arm beyond ``step_min`` of it) tell which: only
    chromosomes above it, >= 2 and all by about a doubling (>= ``doubling_min``: more than a
    trisomy can add), make the mode one copy and those chromosomes the two-copy level (a single
    one far up is not determined: a tetrasomy alone looks the same); only chromosomes below by less
    than a halving (disomies under a trisomic mode) make the mode three copies and those the
    two-copy level; anything else leaves the mode at two copies. A sample whose arms at the
    mode scatter more than ``max_centre_scatter`` is not determined.
    """
    ok = ~np.isnan(values)
    values, chroms = values[ok], chroms[ok]
    if len(values) == 0:
        return Centre(0.0, NOT_DETERMINED, params.dosage_response)
    grid = np.arange(values.min() - 0.2, values.max() + 0.2, 0.005)
    density = np.exp(-0.5 * ((grid[:, None] - values[None, :]) / params.centre_bandwidth) ** 2)
    mode = float(grid[np.argmax(density.sum(axis=1))])
    rel = values - mode
    at_mode = np.abs(rel) < params.step_min
    scatter = 1.4826 * float(np.median(np.abs(rel[at_mode])))
    if scatter > params.max_centre_scatter:
        return Centre(mode, NOT_DETERMINED, params.dosage_response, scatter)
    centre = _dosage_reading(mode, rel, chroms, params)
    return Centre(centre.offset, centre.basis, centre.response, scatter)


def _dosage_reading(
    mode: float, rel: np.ndarray, chroms: np.ndarray, params: KaryotypeParams
) -> Centre:
    """``dosage_centre``'s reading of the whole chromosomes off the mode."""
    per_chrom = pd.Series(rel).groupby(chroms)
    up = per_chrom.apply(lambda x: float(x.mean()) if (x > params.step_min).all() else np.nan)
    down = per_chrom.apply(lambda x: float(x.mean()) if (x < -params.step_min).all() else np.nan)
    up, down = up.dropna(), down.dropna()
    trisomy = float(np.log2(1.5))
    if len(up) == 1 and not len(down) and up.min() >= params.single_doubling_min:
        return Centre(mode, NOT_DETERMINED, params.dosage_response)
    if len(up) >= 2 and not len(down) and up.min() >= params.doubling_min:
        return Centre(mode + float(up.median()), "dosage", _response(float(up.median()), params))
    if len(down) >= 3 and not len(up) and down.max() > -params.doubling_min:
        step = -float(down.median())
        return Centre(mode - step, "dosage", _response(step / trisomy, params))
    if len(up) and len(down) >= 3:
        # gains and "losses": a trisomic mode (disomies below, tetrasomies above) or a
        # disomic one; whichever reads both steps with one damping
        u, d = float(up.min()), -float(down.max())
        as_two = abs(np.log((u / trisomy) / d))
        as_three = abs(np.log((u / np.log2(4 / 3)) / (d / trisomy)))
        if as_three < as_two:
            return Centre(mode - d, "dosage", _response(d / trisomy, params))
    trisomies = up[up < params.doubling_min]
    if len(trisomies) >= 3:  # the gains' own level calibrates the damping
        return Centre(mode, "dosage", _response(float(trisomies.median()) / trisomy, params))
    return Centre(mode, "dosage", params.dosage_response)


def _response(value: float, params: KaryotypeParams) -> float:
    """A sample's dosage damping measured from its own steps, within plausible bounds."""
    return float(np.clip(value, 0.5, 1.0)) if np.isfinite(value) else params.dosage_response


def karyotype_arms(cen: pd.DataFrame | None = None) -> list[str]:
    """The arm labels of the table: 1p..22q without acrocentric p arms, then Xp, Xq."""
    cen = centromeres() if cen is None else cen
    return [
        c.removeprefix("chr") + a
        for c in (*AUTOSOMES, "chrX")
        for a in ("p", "q")
        if not (a == "p" and cen.loc[c, "acrocentric"])
    ]


def _arm_spread(
    lr: pd.DataFrame, centres: dict[str, Centre], sex: pd.Series, params: KaryotypeParams
) -> pd.Series:
    """Each arm's dosage noise: the robust (MAD) spread across the cohort of its centred log2
    ratio about the nearest whole-copy level (a cohort rich in aneuploid samples must not
    widen it, as a plain spread of the ratios would)."""
    offsets = pd.Series({s: centres[s].offset for s in lr.index})
    response = np.array([centres[s].response for s in lr.index])[:, None]
    centred = lr.sub(offsets, axis=0).to_numpy(float)
    male = (sex.reindex(lr.index) == "male").to_numpy()[:, None]
    is_x = np.array([a[0] == "X" for a in lr.columns])[None, :]
    residual = centred - np.where(male & is_x, response, 0.0)  # a male X: 1 copy is its 2
    levels = response[..., None] * np.log2(np.arange(1, 6) / 2)[None, None, :]
    pick = np.abs(residual[..., None] - levels).argmin(axis=-1)
    nearest = np.take_along_axis(levels.repeat(residual.shape[1], axis=1), pick[..., None], -1)
    nearest = nearest[..., 0]
    with warnings.catch_warnings():  # an arm without dosage in every sample: NaN, filled below
        warnings.simplefilter("ignore", RuntimeWarning)
        mad = np.nanmedian(np.abs(residual - nearest), axis=0)
    spread = pd.Series(1.4826 * mad, index=lr.columns)
    return spread.fillna(params.min_dosage_sd).clip(lower=params.min_dosage_sd)


def karyotype_table(
    lr: pd.DataFrame,
    n_genes: pd.Series,
    alleles: pd.DataFrame,
    sex: pd.Series,
    params: KaryotypeParams,
) -> tuple[pd.DataFrame, dict[str, Centre]]:
    """The per-arm table (``KARYOTYPE_COLUMNS``) for every sample and arm, and each sample's
    centre.

    Each sample's log2 ratios are centred on its two-copy level: the median of its arms
    whose alleles alone say two balanced copies (>= 3 such arms), else ``dosage_centre``. The
    arm's dosage spread is the robust (MAD) spread of its log2 ratio across the cohort. A
    chromosome whose two arms agree is called as a whole from both arms' evidence together (one
    arm's sites and the other's dosage); a call from dosage alone over fewer than
    ``min_genes_confident`` genes is at most ``low`` confidence (one co-regulated gene cluster
    cannot make a confident loss).
    """
    arms = karyotype_arms()
    lr = lr.reindex(columns=arms)
    by_key = {(r.sample, r.arm_label): r for r in alleles.itertuples(index=False)}
    disomy = STATES.index((2, 1))
    autosomal = [a for a in arms if a[0] != "X"]
    chrom_of = np.array([a[:-1] for a in autosomal])
    rows, centres, evidence = [], {}, {}
    for sample in lr.index:
        male = sex.get(sample) == "male"
        info, top = {}, {}
        for label in arms:
            r = by_key.get((sample, label))
            ll = None if r is None or (label[0] == "X" and male) else r.loglik
            info[label] = (0 if r is None else r.n_snvs, np.nan if r is None else r.maf_peak, ll)
            top[label] = None if ll is None else int(np.argmax(ll))
        balanced = [lr.at[sample, label] for label in autosomal if top[label] == disomy]
        balanced = [x for x in balanced if not np.isnan(x)]
        if len(balanced) >= 3:
            offset = float(np.median(balanced))
            trisomic = STATES.index((3, 1))
            gained = [
                lr.at[sample, label] - offset for label in autosomal if top[label] == trisomic
            ]
            gained = [x for x in gained if not np.isnan(x)]
            response = (
                _response(float(np.median(gained)) / np.log2(1.5), params)
                if len(gained) >= 2
                else params.dosage_response
            )
            centres[sample] = Centre(offset, "alleles", response)
        else:
            values = lr.loc[sample, autosomal].to_numpy(float)
            centres[sample] = dosage_centre(values, chrom_of, params)
        evidence[sample] = info
    sd = _arm_spread(lr, centres, sex, params)
    for sample in lr.index:
        male = sex.get(sample) == "male"
        centre, info = centres[sample], evidence[sample]
        calls = {}
        scores = {}
        for label in arms:
            baseline = 1 if (label[0] == "X" and male) else 2
            centred = lr.at[sample, label] - centre.offset
            noise = float(np.hypot(sd[label], centre.scatter))
            scores[label] = arm_scores(
                centred, noise, info[label][2], baseline, params, centre.response
            )
        for chrom in dict.fromkeys(a[:-1] for a in arms):
            labels = [a for a in arms if a[:-1] == chrom]
            baseline = 1 if (chrom == "X" and male) else 2
            own = {
                a: call_from_scores(scores[a], baseline, params, info[a][2] is None) for a in labels
            }
            present = [a for a in labels if scores[a] is not None]
            whole = None
            if len(present) == 2 and len({own[a].copy_number for a in present}) == 1:
                first, second = (cast(np.ndarray, scores[a]) for a in present)
                joint = first + second - state_prior(baseline, params)
                dosage_only = all(info[a][2] is None for a in present)
                whole = call_from_scores(joint, baseline, params, dosage_only)
            for a in labels:
                call = whole if whole is not None else own[a]
                genes = sum(int(n_genes.get(x, 0)) for x in (present if whole else [a]))
                sites = any(info[x][2] is not None for x in (present if whole else [a]))
                if call.call != NOT_ASSESSABLE and not sites and genes < params.min_genes_confident:
                    call = ArmCall(call.copy_number, call.call, "low")
                calls[a] = call
        for label in arms:
            n_snvs, peak, _ = info[label]
            c = calls[label]
            rows.append(
                (
                    sample,
                    f"chr{label[:-1]}",
                    label[-1],
                    int(n_genes.get(label, 0)),
                    lr.at[sample, label] - centre.offset,
                    n_snvs,
                    peak,
                    c.copy_number,
                    c.call,
                    c.confidence,
                )
            )
    return pd.DataFrame(rows, columns=KARYOTYPE_COLUMNS), centres


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


def summarise(table: pd.DataFrame, sex: str, centre: Centre | None = None) -> SampleKaryotype:
    """Chromosome copies from one sample's arm rows: the change every assessed arm shares (p at
    three and q at four copies: a gained chromosome with an extra q arm); arms on both sides
    of the baseline count as the baseline (arm-level changes do not change the chromosome
    count), unassessed chromosomes too, and so do arms called with ``low`` confidence (an
    uncertain arm must not make a confident number). A sample whose two-copy level could not
    be determined gets no number and the class ``not determined``."""
    assessed = table[table["copy_number"].notna()]
    if assessed.empty:
        return SampleKaryotype(np.nan, NOT_ASSESSABLE, NOT_ASSESSABLE, sex, 0)
    if centre is not None and centre.basis == NOT_DETERMINED:
        return SampleKaryotype(np.nan, NOT_DETERMINED, NOT_DETERMINED, sex, len(assessed))
    total, changes = 0, []
    by_chrom = assessed.groupby("chrom")["copy_number"].apply(np.asarray).to_dict()
    low = assessed["confidence"] == "low" if "confidence" in assessed else []
    unsure = set(assessed.loc[low, "chrom"]) if len(low) else set()
    for chrom in (*AUTOSOMES, "chrX"):
        base = 1 if (chrom == "chrX" and sex == "male") else 2
        cn = by_chrom.get(chrom, np.array([]))
        copies = base
        if chrom not in unsure and len(cn) and ((cn > base).all() or (cn < base).all()):
            copies = int(cn[np.argmin(np.abs(cn - base))])  # the change both arms share
        total += copies
        name = chrom.removeprefix("chr")
        changes += [f"+{name}"] * max(0, copies - base) + [f"-{name}"] * max(0, base - copies)
    total += 1 if sex == "male" else 0
    order = {f"{c.removeprefix('chr')}": i for i, c in enumerate(("chrX", *AUTOSOMES))}
    changes.sort(key=lambda x: (x[0] == "-", order[x[1:]]))
    text = ",".join(changes) if changes else "no whole-chromosome change"
    return SampleKaryotype(float(total), text, ploidy_class(total), sex, len(assessed))


RUNX1_GRCH38 = (34_787_801, 36_004_667)  # chr21, the region iAMP21's amplicon always holds


def iamp21(ratio_21q: np.ndarray, params: KaryotypeParams, runx1: int | None = None) -> bool:
    """iAMP21: a contiguous segment of 21q (genes in genomic order, centred log2 ratios) whose
    genes stand at >= 4 copies by the median of windows of many genes, with the rest of 21q
    ``iamp21_min_span`` lower; the segment holds RUNX1 when its gene index ``runx1`` is given.

    A window is at least ``iamp21_min_genes`` genes (an eighth of the arm's genes where more),
    so that single highly variable genes (interferon genes, a retroviral element) cannot make a
    segment; a whole-arm gain (tetrasomy 21) leaves no lower remainder and does not qualify.
    """
    n = len(ratio_21q)
    w = max(params.iamp21_min_genes, n // 8)
    if n < 2 * w:
        return False
    windows = pd.Series(ratio_21q).rolling(w).median().to_numpy()[w - 1 :]
    high = windows >= params.iamp21_min_log2
    if not high.any():
        return False
    # runs of high windows -> gene segments [start, end)
    edges = np.flatnonzero(np.diff(np.r_[0, high.astype(int), 0]))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        lo, hi = start, stop - 1 + w
        if runx1 is not None and not (lo <= runx1 < hi):
            continue
        rest = np.r_[ratio_21q[:lo], ratio_21q[hi:]]
        if len(rest) < w:
            continue
        segment = float(np.median(ratio_21q[lo:hi]))
        span = segment - float(np.median(rest))
        if segment >= params.iamp21_min_log2 and span >= params.iamp21_min_span:
            return True
    return False


def same_sex_x(
    ratios: pd.DataFrame,
    cohort_vst: pd.DataFrame,
    ref_vst: pd.DataFrame,
    arms: pd.Series,
    sex: pd.Series,
    ref_sex: pd.Series,
    params: KaryotypeParams,
) -> None:
    """X genes of a female (male) sample against the female (male) reference samples' median,
    when there are enough of them: a mixed-sex median would put every X off by half a copy."""
    x_genes = arms.index[arms.str.startswith("X")].intersection(ratios.columns)
    for which in ("female", "male"):
        ref_rows = ref_sex.index[ref_sex == which]
        rows = sex.index[sex == which]
        if len(ref_rows) >= params.min_reference_samples and len(rows):
            median = ref_vst.loc[ref_rows, x_genes].median(axis=0)
            ratios.loc[rows, x_genes] = cohort_vst.loc[rows, x_genes] - median


@dataclass(frozen=True)
class Karyotypes:
    """What ``call_karyotypes`` found: the arm table, each sample's centre and iAMP21 flag, and
    the centred per-gene log2 ratios the arm calls rest on (samples x genes, arm genes only)."""

    table: pd.DataFrame
    centres: dict[str, Centre]
    iamp21: dict[str, bool]
    ratios: pd.DataFrame


def call_karyotypes(
    cohort_vst: pd.DataFrame,
    ref_vst: pd.DataFrame,
    ref_norm: pd.DataFrame,
    arms: pd.Series,
    genes_21q: pd.Index,
    runx1: str | None,
    snvs: pd.DataFrame,
    sex: pd.Series,
    ref_sex: pd.Series,
    params: KaryotypeParams,
) -> Karyotypes:
    """Dosage and alleles to arm calls for every sample of ``cohort_vst``.

    ``arms``: gene -> arm label; ``genes_21q``: the 21q genes in genomic order; ``runx1``: the
    RUNX1 gene ID (None: not in the annotation); ``snvs``: sample, arm_label, alt_reads, depth.
    With fewer than ``min_reference_samples`` reference samples there is no dosage: every arm
    is ``not assessable`` (the allele figures are still given). A cohort that is its own
    reference is called twice: its aneuploid samples' compositional shifts would bias the
    median (a near-haploid genome's disomies sit at +1 after normalisation), so the second
    pass takes the median of the samples centred by the first, each without the arms it
    was found to have gained or lost (in a cohort rich in hyperdiploid genomes the median of
    21q is otherwise a copy above two).
    """
    first = _karyotype_pass(
        cohort_vst, ref_vst, ref_norm, arms, genes_21q, runx1, snvs, sex, ref_sex, params
    )
    if len(ref_vst) < params.min_reference_samples or not ref_vst.index.equals(cohort_vst.index):
        return first
    shift = pd.Series({s: first.centres[s].offset for s in cohort_vst.index})
    centred = ref_vst.sub(shift, axis=0)
    table = first.table
    changed = table[
        ~table["call"].isin(("normal", NOT_ASSESSABLE)) & (table["confidence"] != "low")
    ]
    label = arms.reindex(centred.columns)
    for sample, arm in zip(
        changed["sample"], changed["chrom"].str[3:] + changed["arm"], strict=True
    ):
        centred.loc[sample, (label == arm).to_numpy()] = np.nan
    return _karyotype_pass(
        cohort_vst, centred, ref_norm, arms, genes_21q, runx1, snvs, sex, ref_sex, params
    )


def _karyotype_pass(
    cohort_vst: pd.DataFrame,
    ref_vst: pd.DataFrame,
    ref_norm: pd.DataFrame,
    arms: pd.Series,
    genes_21q: pd.Index,
    runx1: str | None,
    snvs: pd.DataFrame,
    sex: pd.Series,
    ref_sex: pd.Series,
    params: KaryotypeParams,
) -> Karyotypes:
    """One pass of ``call_karyotypes`` against ``ref_vst`` as it is."""
    samples = cohort_vst.index
    dosage = len(ref_vst) >= params.min_reference_samples
    if dosage:
        ratios, weights = gene_ratios(cohort_vst, ref_vst, ref_norm, params)
        same_sex_x(ratios, cohort_vst, ref_vst, arms, sex, ref_sex, params)
        ratios = ratios[ratios.columns[ratios.columns.isin(arms.index)]]
        lr, n_genes = dosage_by_arm(ratios, weights, arms, params)
    else:
        ratios = pd.DataFrame(index=samples, dtype=float)
        lr, n_genes = pd.DataFrame(index=samples), pd.Series(dtype=int)
    alleles = alleles_by_arm(snvs, params)
    table, centres = karyotype_table(lr, n_genes, alleles, sex, params)
    if not dosage:
        table["copy_number"] = np.nan
        table["call"] = NOT_ASSESSABLE
        table["confidence"] = "low"
    offsets = pd.Series({s: centres[s].offset for s in samples}).reindex(samples)
    centred = ratios.sub(offsets, axis=0) if dosage else ratios
    on_21q = genes_21q[genes_21q.isin(centred.columns)]
    at = int(on_21q.get_loc(runx1)) if runx1 is not None and runx1 in on_21q else None
    values = centred[on_21q].to_numpy(float) if dosage else None
    amp = {s: values is not None and iamp21(values[k], params, at) for k, s in enumerate(samples)}
    return Karyotypes(table, centres, amp, centred)
