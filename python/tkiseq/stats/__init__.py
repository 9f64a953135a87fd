"""The core study's statistics (stats/associations.tsv) and figures (stats/figures/)."""
