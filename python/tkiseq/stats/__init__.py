"""The core study's statistics (stats/associations.tsv) and figures (stats/figures/)."""

# Figure file stems below stats/figures/, each written as .png and .svg (science.md section 7).
FIGURES = (
    "fig1abc_auc_by_age_group",
    "fig1d_z_correlation",
    "fig1ef_z_by_mrd_and_relapse",
    "fig3a_oncoprint",
    "fig3b_z_by_deletion_group",
    "fig5_expression_vs_auc",
)
FIGURE_FILES = tuple(f"figures/{stem}.{ext}" for stem in FIGURES for ext in ("png", "svg"))
