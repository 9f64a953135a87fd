"""Gene expression: cohort count matrix, normalisation and differential expression."""

# DE significance: the adjusted p-value below which a gene is called; the DE stage tests at it
# and the report colours and counts at it (`tkiseq run --de-alpha` sets both).
ALPHA = 0.05
