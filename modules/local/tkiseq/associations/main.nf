process TKISEQ_ASSOCIATIONS {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(response)
    tuple val(meta2), path(phenotypes)
    tuple val(meta3), path(profile)
    tuple val(meta4), path(fusions)
    tuple val(meta5), path(h5ad)

    output:
    tuple val(meta), path('associations.tsv'), emit: associations
    tuple val(meta), path('figures/fig1abc_auc_by_age_group.png'), path('figures/fig1abc_auc_by_age_group.svg'), emit: fig1abc
    tuple val(meta), path('figures/fig1d_z_correlation.png'), path('figures/fig1d_z_correlation.svg'), emit: fig1d
    tuple val(meta), path('figures/fig1ef_z_by_mrd_and_relapse.png'), path('figures/fig1ef_z_by_mrd_and_relapse.svg'), emit: fig1ef
    tuple val(meta), path('figures/fig3a_oncoprint.png'), path('figures/fig3a_oncoprint.svg'), emit: fig3a
    tuple val(meta), path('figures/fig3b_z_by_deletion_group.png'), path('figures/fig3b_z_by_deletion_group.svg'), emit: fig3b
    tuple val(meta), path('figures/fig5_expression_vs_auc.png'), path('figures/fig5_expression_vs_auc.svg'), emit: fig5
    path 'versions.yml'                      , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def fusions_arg = fusions ? "--fusions ${fusions}" : ''   // none from a count matrix
    """
    tkiseq associations \\
        --response ${response} \\
        --phenotypes ${phenotypes} \\
        --profile ${profile} \\
        ${fusions_arg} \\
        --expression ${h5ad} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage associations > versions.yml
    """

    stub:
    """
    mkdir figures
    touch associations.tsv figures/fig1abc_auc_by_age_group.png figures/fig1abc_auc_by_age_group.svg figures/fig1d_z_correlation.png figures/fig1d_z_correlation.svg figures/fig1ef_z_by_mrd_and_relapse.png figures/fig1ef_z_by_mrd_and_relapse.svg figures/fig3a_oncoprint.png figures/fig3a_oncoprint.svg figures/fig3b_z_by_deletion_group.png figures/fig3b_z_by_deletion_group.svg figures/fig5_expression_vs_auc.png figures/fig5_expression_vs_auc.svg

    tkiseq versions --process "${task.process}" --stage associations > versions.yml
    """
}
