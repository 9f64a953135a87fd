process TKISEQ_FUSIONS_COHORT {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(tables)

    output:
    tuple val(meta), path('cohort_fusions.tsv'), emit: fusions
    path 'versions.yml'                        , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    tkiseq fusions cohort \\
        --outdir . \\
        ${args} \\
        ${tables}

    tkiseq versions --process "${task.process}" --stage fusions_cohort > versions.yml
    """

    stub:
    """
    touch cohort_fusions.tsv

    tkiseq versions --process "${task.process}" --stage fusions_cohort > versions.yml
    """
}
