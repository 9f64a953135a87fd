process TKISEQ_VARIANTS_CALL {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(bam), path(bai), path(vcf), path(vcf_index) // user VCF (+ index) entry point, or [] []
    tuple val(meta2), path(fasta), path(fai)
    tuple val(meta3), path(annotation)

    output:
    tuple val(meta), path("${prefix}.calls.vcf.gz"), path("${prefix}.calls.vcf.gz.tbi"), emit: vcf
    path 'versions.yml'                                                               , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    def calls = vcf ? "--vcf ${vcf}" : "--annotation ${annotation} --threads ${task.cpus}"
    """
    tkiseq variants call \\
        --sample ${prefix} \\
        --bam ${bam} \\
        --fasta ${fasta} \\
        ${calls} \\
        --outdir . \\
        ${args}

    tkiseq versions --process "${task.process}" --stage variants_call > versions.yml
    """

    stub:
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    touch ${prefix}.calls.vcf.gz ${prefix}.calls.vcf.gz.tbi

    tkiseq versions --process "${task.process}" --stage variants_call > versions.yml
    """
}
