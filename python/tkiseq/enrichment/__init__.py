"""Gene set enrichment of DE results (gseapy prerank)."""
