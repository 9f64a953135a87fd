#!/usr/bin/env nextflow
/*
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    tkiseq: RNA-seq of B-ALL against ex vivo TKI response
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    The entry point: parameters checked and inputs gathered (PIPELINE_INITIALISATION), the
    pipeline (workflows/tkiseq.nf), the completion summary (PIPELINE_COMPLETION).
*/

include { TKISEQ                  } from './workflows/tkiseq'
include { PIPELINE_INITIALISATION } from './subworkflows/local/utils_tkiseq_pipeline'
include { PIPELINE_COMPLETION     } from './subworkflows/local/utils_tkiseq_pipeline'

workflow TKISEQ_PIPELINE {
    main:
    PIPELINE_INITIALISATION()

    TKISEQ(
        PIPELINE_INITIALISATION.out.samplesheet,
        params.cnv ? file(params.cnv, checkIfExists: true) : [],
        params.fasta ? file(params.fasta, checkIfExists: true) : [],
        file(params.gtf, checkIfExists: true),
        params.fasta && file("${params.fasta}.fai").exists() ? file("${params.fasta}.fai") : [],
        params.dbsnp ? file(params.dbsnp, checkIfExists: true) : [],
        params.dbsnp ? file("${params.dbsnp}.tbi", checkIfExists: true) : [],
        params.gene_sets ? params.gene_sets.tokenize(',').collect { f -> file(f, checkIfExists: true) } : [],
        params.star_index ? file(params.star_index, checkIfExists: true) : null,
        params.annotation ? file(params.annotation, checkIfExists: true) : null,
        params.subtype_reference ? file(params.subtype_reference, checkIfExists: true) : [],
        params.karyotype_reference ? file(params.karyotype_reference, checkIfExists: true) : [],
        params.subtype_centroids ? file(params.subtype_centroids, checkIfExists: true) : [],
        params.counts ? params.counts.tokenize(',').collect { f -> file(f, checkIfExists: true) } : [],
    )

    PIPELINE_COMPLETION()
}

workflow {
    TKISEQ_PIPELINE()
}
