"""Reference files: GTF gene models and contig-name harmonisation."""
