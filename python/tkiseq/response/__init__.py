"""Ex vivo TKI response: AUC per drug (given, or from viability points), cap, z-score, class."""

AUC_CAP = 150.0  # above this the cells do not respond (science.md section 1); one default for all
