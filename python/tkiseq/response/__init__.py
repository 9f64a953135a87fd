"""Ex vivo TKI response: AUC per drug (given, or from viability points), cap, z-score, class."""
