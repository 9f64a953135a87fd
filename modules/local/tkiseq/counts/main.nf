process TKISEQ_COUNTS {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(reads_per_gene), path(strandedness), path(log_final) // [] [] [] for a run from a count matrix
    tuple val(meta2), path(annotation)
    tuple val(meta3), path(phenotypes)
    tuple val(meta4), path(matrix, stageAs: 'matrix/*'), path(samplesheet) // [] [] for a run from reads; own folder: a matrix named counts.tsv is no output

    output:
    tuple val(meta), path('counts.tsv')         , emit: counts
    tuple val(meta), path('cohort.h5ad')        , emit: h5ad
    tuple val(meta), path('strandedness.tsv')   , emit: strandedness
    tuple val(meta), path('unmatched_genes.tsv'), emit: unmatched, optional: true
    path 'versions.yml'                         , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def log_final_arg = log_final ? "--log-final ${log_final}" : ''
    def samplesheet_arg = samplesheet ? "--samplesheet ${samplesheet}" : ''
    """
    tkiseq counts \\
        --annotation ${annotation} \\
        --phenotypes ${phenotypes} \\
        ${log_final_arg} \\
        ${samplesheet_arg} \\
        --outdir . \\
        ${args} \\
        ${reads_per_gene} ${matrix}

    tkiseq versions --process "${task.process}" --stage counts > versions.yml
    """

    stub:
    """
    touch counts.tsv cohort.h5ad strandedness.tsv

    tkiseq versions --process "${task.process}" --stage counts > versions.yml
    """
}
