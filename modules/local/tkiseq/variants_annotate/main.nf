process TKISEQ_VARIANTS_ANNOTATE {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(vcf), path(tbi)
    tuple val(meta2), path(fasta), path(fai)
    tuple val(meta3), path(annotation)

    output:
    tuple val(meta), path("${prefix}.variants.tsv"), emit: tsv
    path 'versions.yml'                            , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    tkiseq variants annotate \\
        --sample ${prefix} \\
        --vcf ${vcf} \\
        --fasta ${fasta} \\
        --annotation ${annotation} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage variants_annotate > versions.yml
    """

    stub:
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    touch ${prefix}.variants.tsv

    tkiseq versions --process "${task.process}" --stage variants_annotate > versions.yml
    """
}
