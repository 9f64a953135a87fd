process TKISEQ_VALIDATE {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(samplesheet), path(counts), path(phenotypes), path(cnv) // samplesheet or counts: [] when not given

    output:
    tuple val(meta), path('samplesheet.valid.csv'), emit: samplesheet
    tuple val(meta), path('phenotypes.valid.csv') , emit: phenotypes
    tuple val(meta), path('cnv.valid.csv')        , emit: cnv, optional: true
    tuple val(meta), path('tested_phenotypes.txt'), emit: tested_phenotypes
    path 'versions.yml'                           , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def input_arg = samplesheet ? "--input ${samplesheet}" : ''
    def counts_arg = counts ? "--counts ${[counts].flatten().join(',')}" : ''
    def cnv_arg = cnv ? "--cnv ${cnv}" : ''
    """
    tkiseq validate \\
        ${input_arg} \\
        ${counts_arg} \\
        --phenotypes ${phenotypes} \\
        ${cnv_arg} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage validate > versions.yml
    """

    // the stub runs the real check (seconds): later stubs need the valid rows and phenotypes
    stub:
    def input_arg = samplesheet ? "--input ${samplesheet}" : ''
    def counts_arg = counts ? "--counts ${[counts].flatten().join(',')}" : ''
    def cnv_arg = cnv ? "--cnv ${cnv}" : ''
    """
    tkiseq validate \\
        ${input_arg} \\
        ${counts_arg} \\
        --phenotypes ${phenotypes} \\
        ${cnv_arg} \\
        --outdir . \\
        ${task.ext.args ?: ''}

    tkiseq versions --process "${task.process}" --stage validate > versions.yml
    """
}
