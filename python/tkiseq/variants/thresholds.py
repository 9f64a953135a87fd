"""The study's variant filter thresholds (docs/science.md#variant-filter), written once: the
filter applies them, the caller skips recounting what cannot pass them, and the simulator's
truth table marks the variants that should pass."""

MIN_ALT_READS = 3  # a PASS call has at least this many alt reads
MIN_VAF = 0.1  # a PASS call's VAF is strictly above this
