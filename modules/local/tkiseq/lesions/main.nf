process TKISEQ_LESIONS {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(samplesheet), path(cnv)   // cnv: [] when the run has no cnv.csv
    tuple val(meta2), path(splice_lesions)
    tuple val(meta3), path(fusions)
    tuple val(meta4), path(variants)
    tuple val(meta5), path(h5ad)
    tuple val(meta6), path(karyotype)

    output:
    tuple val(meta), path('lesions.tsv'), emit: lesions
    tuple val(meta), path('profile.tsv'), emit: profile
    path 'versions.yml'                 , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def cnv_arg = cnv ? "--cnv ${cnv}" : ''
    def splice_arg = splice_lesions ? "--splice ${splice_lesions}" : ''   // none from a count matrix
    def fusions_arg = fusions ? "--fusions ${fusions}" : ''
    def variants_arg = variants ? "--variants ${variants}" : ''
    """
    tkiseq lesions \\
        --samplesheet ${samplesheet} \\
        ${cnv_arg} \\
        ${splice_arg} \\
        ${fusions_arg} \\
        ${variants_arg} \\
        --expression ${h5ad} \\
        --karyotype ${karyotype} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage lesions > versions.yml
    """

    stub:
    """
    touch lesions.tsv profile.tsv

    tkiseq versions --process "${task.process}" --stage lesions > versions.yml
    """
}
