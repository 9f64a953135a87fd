# Container for -profile docker/singularity: the tkiseq package with STAR.
# Build from the repository root: docker build -t ghcr.io/tkiseq/tkiseq:0.1.0 .
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends rna-star procps \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md /opt/tkiseq/
COPY python /opt/tkiseq/python
RUN pip install --no-cache-dir /opt/tkiseq && tkiseq --version && STAR --version
