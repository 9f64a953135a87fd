process TKISEQ_PREPARE {
    tag "${gtf.name}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(gtf), path(fasta) // fasta: [] for a run from a count matrix

    output:
    tuple val(meta), path('annotation'), emit: annotation
    path 'versions.yml'                , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def fasta_arg = fasta ? "--fasta ${fasta}" : ''
    """
    tkiseq prepare \\
        --gtf ${gtf} \\
        ${fasta_arg} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage prepare > versions.yml
    """

    stub:
    """
    mkdir annotation
    touch annotation/manifest.json

    tkiseq versions --process "${task.process}" --stage prepare > versions.yml
    """
}
