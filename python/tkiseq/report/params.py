"""The report's tunable defaults, in one place (the CLI and the stage registry read them here).

Kept apart from the report code so that reading the defaults imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass

from tkiseq.expression import ALPHA
from tkiseq.response import AUC_CAP
from tkiseq.stage_options import option


@dataclass(frozen=True)
class ReportParams:
    """Report choices; the defaults are the CLI's."""

    outlier_z: float = option(3.5, help="QC outliers: modified z-score cut-off")  # Iglewicz-Hoaglin
    outlier_min_fraction: float = option(
        0.2, help="QC outliers: counts must also lie this share of the median away"
    )
    outlier_min_points: float = option(
        5.0, help="QC outliers: percentages must also lie this many points away"
    )
    min_reads_detected: int = option(1, help="reads that make a gene detected")
    top_genes: int = option(100, help="DE rows shown per phenotype")  # and downloadable
    alpha: float = option(
        ALPHA, help="DE significance: padj below which the volcano and tables mark a gene"
    )
    association_alpha: float = 0.05  # padj below which an associations row is highlighted
    auc_cap: float = AUC_CAP  # drawn on the response figure
    page_size: int = 25  # table rows per page
    cards_per_page: int = 6  # one page per sample: a card is a screen tall
    multiqc: bool = option(True, flag="--no-multiqc", help="the HTML report only")
