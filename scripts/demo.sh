#!/usr/bin/env bash
# Install, simulate the tiny dataset into ./tiny and run the whole pipeline into ./results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
rm -rf tiny
.venv/bin/tkiseq simulate --preset tiny --outdir tiny
.venv/bin/tkiseq run \
    --input tiny/samplesheet.csv --phenotypes tiny/phenotypes.csv --cnv tiny/cnv.csv \
    --fasta tiny/genome.fa --gtf tiny/genes.gtf --dbsnp tiny/dbsnp.vcf.gz \
    --gene-sets tiny/gene_sets.gmt --outdir results --overwrite --threads "${THREADS:-2}"
echo "done: see results/ (pipeline_info/trace.tsv for timings)" >&2
