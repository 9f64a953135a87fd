process TKISEQ_SUBTYPES {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(h5ad)
    tuple val(meta2), path(annotation)
    tuple val(meta3), path(fusions)
    tuple val(meta4), path(vcfs), path(tbis)
    tuple val(meta5), path(variants)
    tuple val(meta6), path(cnv)
    tuple val(meta7), path(subtype_reference)
    tuple val(meta8), path(karyotype_reference)
    tuple val(meta9), path(subtype_centroids)

    output:
    tuple val(meta), path('subtypes.tsv')              , emit: subtypes
    tuple val(meta), path('karyotype.tsv')             , emit: karyotype
    tuple val(meta), path('karyotype_genes.tsv.gz')    , emit: karyotype_genes
    tuple val(meta), path('karyotype_sites.tsv.gz')    , emit: karyotype_sites
    tuple val(meta), path('subtype_reference_pca.png') , emit: pca, optional: true
    path 'versions.yml'                                , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def cnv_arg = cnv ? "--cnv ${cnv}" : ''
    def fusions_arg = fusions ? "--fusions ${fusions}" : ''   // none from a count matrix
    def vcfs_arg = vcfs ? "--vcfs ${vcfs}" : ''
    def variants_arg = variants ? "--variants ${variants}" : ''
    def subtype_ref = subtype_reference ? "--subtype-reference ${subtype_reference}" : ''
    def karyotype_ref = karyotype_reference ? "--karyotype-reference ${karyotype_reference}" : ''
    def centroids = subtype_centroids ? "--subtype-centroids ${subtype_centroids}" : ''
    """
    tkiseq subtypes \\
        --expression ${h5ad} \\
        --annotation ${annotation} \\
        ${fusions_arg} \\
        ${vcfs_arg} \\
        ${variants_arg} \\
        ${cnv_arg} \\
        ${subtype_ref} \\
        ${karyotype_ref} \\
        ${centroids} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage subtypes > versions.yml
    """

    stub:
    def pca = subtype_reference ? 'touch subtype_reference_pca.png' : ''
    """
    touch subtypes.tsv karyotype.tsv karyotype_genes.tsv.gz karyotype_sites.tsv.gz
    ${pca}

    tkiseq versions --process "${task.process}" --stage subtypes > versions.yml
    """
}
