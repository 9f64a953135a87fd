process TKISEQ_GSEA {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(de_table)
    tuple val(meta2), path(gene_sets, arity: '1..*')

    output:
    tuple val(meta), path("gsea_${meta.id}.tsv"), emit: table
    tuple val(meta), path("enrichment_*.png")  , emit: plots, optional: true
    path 'versions.yml'                        , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def gmt = gene_sets.join(',')
    """
    tkiseq gsea \\
        --de ${de_table} \\
        --gene-sets ${gmt} \\
        --threads ${task.cpus} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage gsea > versions.yml
    """

    stub:
    """
    touch gsea_${meta.id}.tsv

    tkiseq versions --process "${task.process}" --stage gsea > versions.yml
    """
}
