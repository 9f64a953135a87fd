process TKISEQ_STAR_INDEX {
    tag "${fasta.name}"
    label 'process_high'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(fasta), path(gtf)

    output:
    tuple val(meta), path('star_index'), emit: index
    path 'versions.yml'                , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    tkiseq star-index \\
        --fasta ${fasta} \\
        --gtf ${gtf} \\
        --outdir star_index \\
        --threads ${task.cpus} \\
        ${args}

    tkiseq versions --process "${task.process}" --stage star_index > versions.yml
    """

    stub:
    """
    mkdir star_index
    touch star_index/Genome star_index/SA star_index/SAindex

    tkiseq versions --process "${task.process}" --stage star_index > versions.yml
    """
}
