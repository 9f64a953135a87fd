//
// ALIGN: every sample aligned against the prepared STAR index (PREPARE_GENOME): BAM,
// junctions, chimeric junctions, gene counts, strandedness
//
include { TKISEQ_ALIGN } from '../../../modules/local/tkiseq/align'

workflow ALIGN {
    take:
    ch_reads      // [ val(meta), [ path(fastq_1), path(fastq_2) ] ] or [ val(meta), [ path(bam) ] ]
    ch_star_index // [ val(meta), path(star_index) ]

    main:
    TKISEQ_ALIGN(ch_reads, ch_star_index)
    ch_versions = TKISEQ_ALIGN.out.versions.first()

    emit:
    bam            = TKISEQ_ALIGN.out.bam            // [ val(meta), path(bam), path(bai) ]
    junctions      = TKISEQ_ALIGN.out.junctions      // [ val(meta), path(SJ.out.tab) ]
    chimeric       = TKISEQ_ALIGN.out.chimeric       // [ val(meta), path(Chimeric.out.junction) ]
    reads_per_gene = TKISEQ_ALIGN.out.reads_per_gene // [ val(meta), path(ReadsPerGene.out.tab) ]
    strandedness   = TKISEQ_ALIGN.out.strandedness   // [ val(meta), path(strandedness.json) ]
    log_final      = TKISEQ_ALIGN.out.log_final      // [ val(meta), path(Log.final.out) ]
    markdup        = TKISEQ_ALIGN.out.markdup        // [ val(meta), path(markdup.txt) ]
    versions       = ch_versions                   // path(versions.yml)
}
