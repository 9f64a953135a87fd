#!/usr/bin/env bash
# Install tkiseq on Debian/Ubuntu: STAR and Java (for the Nextflow lint test) from apt, Chromium
# if possible (the report's browser test), the Python package with its test extra (MultiQC and
# Jinja2 come as dependencies) into ./.venv (Debian's system Python is externally managed).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v STAR >/dev/null 2>&1 || need+=(rna-star)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
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
echo "tkiseq installed: $(.venv/bin/tkiseq --version), $(STAR --version | sed 's/^/STAR /')" >&2
