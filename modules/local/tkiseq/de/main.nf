process TKISEQ_DE {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(counts), val(phenotype) // meta.id: the phenotype, so its DE table and GSEA are told apart
    tuple val(meta2), path(phenotypes)

    output:
    tuple val(meta), path("de_${phenotype}.tsv")                                       , emit: table
    tuple val(meta), path("volcano_${phenotype}.png"), path("top_genes_${phenotype}.png"), emit: plots
    path 'versions.yml'                                                                , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    tkiseq de \\
        --counts ${counts} \\
        --phenotypes ${phenotypes} \\
        --phenotype ${phenotype} \\
        --threads ${task.cpus} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage de > versions.yml
    """

    stub:
    """
    touch de_${phenotype}.tsv volcano_${phenotype}.png top_genes_${phenotype}.png

    tkiseq versions --process "${task.process}" --stage de > versions.yml
    """
}
