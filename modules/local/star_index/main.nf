process STAR_INDEX {
    tag "${fasta.name}"
    label 'process_high'

    conda "${moduleDir}/environment.yml"

    input:
    tuple val(meta), path(fasta), path(gtf)

    output:
    tuple val(meta), path('star_index'), emit: index
    path 'versions.yml'                , emit: versions

    script:
    def args = task.ext.args ?: ''
    """
    tkiseq star-index \\
        --fasta ${fasta} \\
        --gtf ${gtf} \\
        --outdir star_index \\
        --threads ${task.cpus} \\
        ${args}

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        tkiseq: \$(tkiseq --version | sed 's/tkiseq //')
        star: \$(STAR --version | sed 's/STAR_//')
    END_VERSIONS
    """

    stub:
    """
    mkdir star_index
    touch star_index/Genome star_index/SA star_index/SAindex

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        tkiseq: \$(tkiseq --version | sed 's/tkiseq //')
        star: \$(STAR --version | sed 's/STAR_//')
    END_VERSIONS
    """
}
