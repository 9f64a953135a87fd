process TKISEQ_VARIANTS_FILTER {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(vcf), path(tbi), path(fusions)
    tuple val(meta2), path(dbsnp), path(dbsnp_tbi)
    tuple val(meta3), path(fasta), path(fai)

    output:
    tuple val(meta), path("${prefix}.all.vcf.gz"), path("${prefix}.all.vcf.gz.tbi")  , emit: all
    tuple val(meta), path("${prefix}.pass.vcf.gz"), path("${prefix}.pass.vcf.gz.tbi"), emit: pass
    path 'versions.yml'                                                             , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    tkiseq variants filter \\
        --sample ${prefix} \\
        --vcf ${vcf} \\
        --dbsnp ${dbsnp} \\
        --fasta ${fasta} \\
        --fusions ${fusions} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage variants_filter > versions.yml
    """

    stub:
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    touch ${prefix}.all.vcf.gz ${prefix}.all.vcf.gz.tbi ${prefix}.pass.vcf.gz ${prefix}.pass.vcf.gz.tbi

    tkiseq versions --process "${task.process}" --stage variants_filter > versions.yml
    """
}
