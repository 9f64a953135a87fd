process SUBTYPES {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/environment.yml"

    input:
    tuple val(meta), path(h5ad)
    tuple val(meta2), path(gtf)
    tuple val(meta3), path(fusions)
    tuple val(meta4), path(vcfs), path(tbis)
    tuple val(meta5), path(variants)
    tuple val(meta6), path(cnv)

    output:
    tuple val(meta), path('subtypes.tsv') , emit: subtypes
    tuple val(meta), path('karyotype.tsv'), emit: karyotype
    path 'versions.yml'                   , emit: versions

    script:
    def args = task.ext.args ?: ''
    def cnv_arg = cnv ? "--cnv ${cnv}" : ''
    """
    tkiseq subtypes \\
        --expression ${h5ad} \\
        --gtf ${gtf} \\
        --fusions ${fusions} \\
        --vcfs ${vcfs} \\
        --variants ${variants} \\
        ${cnv_arg} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage subtypes > versions.yml
    """

    stub:
    """
    touch subtypes.tsv karyotype.tsv

    tkiseq versions --process "${task.process}" --stage subtypes > versions.yml
    """
}
