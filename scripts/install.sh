#!/usr/bin/env bash
# Install tkiseq on Debian/Ubuntu: STAR, Java and Maven (Nextflow from Maven Central) from apt, Chromium
# if possible (the report's browser test), the Python package with its test extra (MultiQC and
# Jinja2 come as dependencies) into ./.venv (Debian's system Python is externally managed).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v STAR >/dev/null 2>&1 || need+=(rna-star)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
python3 -c "import ensurepip" >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing with apt-get: ${need[*]}" >&2
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Optional: headless Chromium for the report's browser test (tests/test_report_browser.py),
# which skips with its reason when Chromium is absent.
if ! command -v chromium >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing with apt-get (optional): chromium" >&2
    { $sudo apt-get update -qq \
        && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
        || echo "chromium could not be installed: the report's browser test will skip" >&2
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
# This machine's pip configuration may name local mirrors that do not exist: drop that noise only.
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 \
    | { grep -v "^WARNING: Location 'file://" || true; }
# The Nextflow engine from Maven Central (no internet launcher needed): .venv/bin/nextflow.
if command -v mvn >/dev/null 2>&1; then
    bash scripts/install_nextflow.sh
else
    echo "mvn not found: Nextflow not installed, its tests will skip" >&2
fi

# Optional: a one-node SLURM cluster for the Nextflow SLURM test (tests/test_nextflow_slurm.py),
# which skips with its reason when slurmctld is absent.
if ! command -v slurmctld >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing with apt-get (optional): slurm-wlm munge" >&2
    { $sudo apt-get update -qq \
        && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null; } \
        || echo "slurm could not be installed: the Nextflow SLURM test will skip" >&2
fi

echo "tkiseq installed: $(.venv/bin/tkiseq --version), $(STAR --version | sed 's/^/STAR /')" >&2
