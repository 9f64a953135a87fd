"""The report's tunable defaults, in one place (the CLI and the stage registry read them here).

Kept apart from the report code so that reading the defaults imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass

from tkiseq.response import AUC_CAP


@dataclass(frozen=True)
class ReportParams:
    """Report choices; the defaults are the CLI's."""

    outlier_z: float = 3.5  # Iglewicz-Hoaglin modified z-score cut-off
    outlier_min_fraction: float = 0.2  # ... and counts this far from the median (relative)
    outlier_min_points: float = 5.0  # ... or percentages this many points from it
    min_reads_detected: int = 1  # a gene counts as detected from this many reads
    top_genes: int = 100  # DE rows shown (and downloadable) per phenotype
    alpha: float = 0.05  # DE significance for the volcano colours
    auc_cap: float = AUC_CAP  # drawn on the response figure
    page_size: int = 25  # table rows per page
    cards_per_page: int = 6  # one page per sample: a card is a screen tall
    multiqc: bool = True
