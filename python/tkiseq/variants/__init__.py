"""Variants stage: call, filter (study filter), annotate (HGVS, ABL1/TKI flags), cohort."""
