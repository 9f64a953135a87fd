"""Splice lesions: exon-skipping junctions that mark focal deletions (IKZF1 delta4-7)."""
