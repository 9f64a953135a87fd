process DE {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/environment.yml"

    input:
    tuple val(meta), path(counts), val(phenotype) // meta.id: the phenotype, so its DE table and GSEA are told apart
    tuple val(meta2), path(phenotypes)

    output:
    tuple val(meta), path("de_${phenotype}.tsv")                                       , emit: table
    tuple val(meta), path("volcano_${phenotype}.png"), path("top_genes_${phenotype}.png"), emit: plots
    path 'versions.yml'                                                                , emit: versions

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

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        tkiseq: \$(tkiseq --version | sed 's/tkiseq //')
        pydeseq2: \$(python -c 'import pydeseq2; print(pydeseq2.__version__)')
    END_VERSIONS
    """

    stub:
    """
    touch de_${phenotype}.tsv volcano_${phenotype}.png top_genes_${phenotype}.png

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        tkiseq: \$(tkiseq --version | sed 's/tkiseq //')
        pydeseq2: \$(python -c 'import pydeseq2; print(pydeseq2.__version__)')
    END_VERSIONS
    """
}
