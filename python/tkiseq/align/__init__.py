"""Alignment: STAR index and per-sample alignment with chimeric output and gene counts."""
