process TKISEQ_FUSIONS_CALL {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(chimeric), path(sj), path(log_final), path(bam), path(bai)
    tuple val(meta2), path(fasta), path(fai)
    tuple val(meta3), path(annotation)

    output:
    tuple val(meta), path("${prefix}.fusions.tsv"), emit: fusions
    path 'versions.yml'                           , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    tkiseq fusions call \\
        --sample ${prefix} \\
        --chimeric ${chimeric} \\
        --sj ${sj} \\
        --log-final ${log_final} \\
        --bam ${bam} \\
        --annotation ${annotation} \\
        --fasta ${fasta} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage fusions > versions.yml
    """

    stub:
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    touch ${prefix}.fusions.tsv

    tkiseq versions --process "${task.process}" --stage fusions > versions.yml
    """
}
