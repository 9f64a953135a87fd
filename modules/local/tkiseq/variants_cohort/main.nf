process TKISEQ_VARIANTS_COHORT {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(tables)

    output:
    tuple val(meta), path('cohort_variants.tsv'), emit: variants
    tuple val(meta), path('alterations.tsv')    , emit: alterations
    path 'versions.yml'                         , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    tkiseq variants cohort \\
        --outdir . \\
        ${args} \\
        ${tables}

    tkiseq versions --process "${task.process}" --stage variants_cohort > versions.yml
    """

    stub:
    """
    touch cohort_variants.tsv alterations.tsv

    tkiseq versions --process "${task.process}" --stage variants_cohort > versions.yml
    """
}
