"""Input validation: samplesheet, phenotypes and CNV tables, checked against JSON Schemas
shared with Nextflow (``assets/schema_*.json``) before any stage runs."""

from tkiseq.inputs.cnv import load_cnv
from tkiseq.inputs.phenotypes import load_phenotypes
from tkiseq.inputs.samplesheet import Sample, load_samplesheet
from tkiseq.inputs.validate import Cohort, validate_inputs

__all__ = ["Cohort", "Sample", "load_cnv", "load_phenotypes", "load_samplesheet", "validate_inputs"]
