process TKISEQ_RESPONSE {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(phenotypes)

    output:
    tuple val(meta), path('response.tsv'), emit: response
    path 'versions.yml'                  , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    tkiseq response \\
        --phenotypes ${phenotypes} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage response > versions.yml
    """

    stub:
    """
    touch response.tsv

    tkiseq versions --process "${task.process}" --stage response > versions.yml
    """
}
