process TKISEQ_COUNTS {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(reads_per_gene), path(strandedness)
    tuple val(meta2), path(annotation)
    tuple val(meta3), path(phenotypes)

    output:
    tuple val(meta), path('counts.tsv')      , emit: counts
    tuple val(meta), path('cohort.h5ad')     , emit: h5ad
    tuple val(meta), path('strandedness.tsv'), emit: strandedness
    path 'versions.yml'                      , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    tkiseq counts \\
        --annotation ${annotation} \\
        --phenotypes ${phenotypes} \\
        --outdir . \\
        ${args} \\
        ${reads_per_gene}

    tkiseq versions --process "${task.process}" --stage counts > versions.yml
    """

    stub:
    """
    touch counts.tsv cohort.h5ad strandedness.tsv

    tkiseq versions --process "${task.process}" --stage counts > versions.yml
    """
}
