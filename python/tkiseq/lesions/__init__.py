"""Lesions from every source (cnv.csv, splice junctions, fusions, variants, expression,
karyotype) in one long table, and the per-sample profile (IKZF1plus, deletion group); the stage
is ``lesions.stage``."""
