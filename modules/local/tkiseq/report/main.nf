process TKISEQ_REPORT {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(files) // every output the report reads, recognised by name (docs/output.md)

    output:
    tuple val(meta), path('report.html'), emit: html
    tuple val(meta), path('multiqc')    , emit: multiqc
    path 'versions.yml'                 , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    tkiseq report \\
        --outdir . \\
        ${args} \\
        ${files}

    tkiseq versions --process "${task.process}" --stage report > versions.yml
    """

    stub:
    """
    mkdir multiqc
    touch report.html multiqc/multiqc_report.html

    tkiseq versions --process "${task.process}" --stage report > versions.yml
    """
}
