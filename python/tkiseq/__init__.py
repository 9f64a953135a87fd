"""tkiseq: RNA-seq analysis of B-ALL with ex vivo TKI response."""

__version__ = "0.1.0"
