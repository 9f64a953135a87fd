process TKISEQ_ALIGN {
    tag "${meta.id}"
    label 'process_high'

    conda "${moduleDir}/../../environment.yml"
    container "${params.container}" // the image built from this repository (Dockerfile)

    input:
    tuple val(meta), path(reads, arity: '1..2') // FASTQ(s), or one BAM to realign (meta.from_bam)
    tuple val(meta2), path(index)

    output:
    tuple val(meta), path("${prefix}.bam"), path("${prefix}.bam.bai"), emit: bam
    tuple val(meta), path("${prefix}.SJ.out.tab")                    , emit: junctions
    tuple val(meta), path("${prefix}.Chimeric.out.junction")         , emit: chimeric
    tuple val(meta), path("${prefix}.ReadsPerGene.out.tab")          , emit: reads_per_gene
    tuple val(meta), path("${prefix}.strandedness.json")             , emit: strandedness
    tuple val(meta), path("${prefix}.Log.final.out")                 , emit: log_final
    tuple val(meta), path("${prefix}.markdup.txt")                   , emit: markdup
    path 'versions.yml'                                              , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix = task.ext.prefix ?: "${meta.id}"
    def reads_1 = meta.from_bam ? "--bam ${reads[0]}" : "--fastq-1 ${reads[0]}"
    def reads_2 = reads.size() > 1 ? "--fastq-2 ${reads[1]}" : ''
    """
    tkiseq align \\
        --sample ${prefix} \\
        ${reads_1} \\
        ${reads_2} \\
        --strandedness ${meta.strandedness} \\
        --star-index ${index} \\
        --outdir . \\
        --threads ${task.cpus} \\
        ${args}

    tkiseq versions --process "${task.process}" --stage align > versions.yml
    """

    stub:
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    touch ${prefix}.bam ${prefix}.bam.bai ${prefix}.SJ.out.tab ${prefix}.Chimeric.out.junction
    touch ${prefix}.ReadsPerGene.out.tab ${prefix}.strandedness.json ${prefix}.Log.final.out
    touch ${prefix}.markdup.txt

    tkiseq versions --process "${task.process}" --stage align > versions.yml
    """
}
