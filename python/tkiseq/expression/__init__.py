"""Gene expression: cohort count matrix, normalisation and differential expression."""
