process TKISEQ_SPLICE_LESIONS {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(sj)
    tuple val(meta2), path(annotation)

    output:
    tuple val(meta), path("${prefix}.splice_lesions.tsv"), emit: lesions
    path 'versions.yml'                                  , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    tkiseq splice-lesions \\
        --sample ${prefix} \\
        --sj ${sj} \\
        --annotation ${annotation} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage splice_lesions > versions.yml
    """

    stub:
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    touch ${prefix}.splice_lesions.tsv

    tkiseq versions --process "${task.process}" --stage splice_lesions > versions.yml
    """
}
