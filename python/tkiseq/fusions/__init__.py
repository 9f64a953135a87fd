"""Fusion calling: STAR chimeric + spliced junctions -> annotated, filtered fusion table
(``stage_call``), and the cohort table of every sample's calls (``stage_cohort``)."""
