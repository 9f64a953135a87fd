"""Ex vivo TKI response: AUC per drug (given, or from viability points), cap, z-score, class."""

AUC_CAP = 150.0  # above this the cells do not respond (docs/science.md#drug-response); one for all
