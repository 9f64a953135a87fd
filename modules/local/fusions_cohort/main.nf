process FUSIONS_COHORT {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/environment.yml"

    input:
    tuple val(meta), path(tables)

    output:
    tuple val(meta), path('cohort_fusions.tsv'), emit: fusions
    path 'versions.yml'                        , emit: versions

    script:
    def args = task.ext.args ?: ''
    """
    tkiseq fusions cohort \\
        --outdir . \\
        ${args} \\
        ${tables}

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        tkiseq: \$(tkiseq --version | sed 's/tkiseq //')
    END_VERSIONS
    """

    stub:
    """
    touch cohort_fusions.tsv

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        tkiseq: \$(tkiseq --version | sed 's/tkiseq //')
    END_VERSIONS
    """
}
