//
// ALIGN: every sample aligned against the prepared STAR index (PREPARE_GENOME): BAM,
// junctions, chimeric junctions, gene counts, strandedness
//
include { STAR_ALIGN } from '../../../modules/local/star_align'

workflow ALIGN {
    take:
    ch_reads      // [ val(meta), [ path(fastq_1), path(fastq_2) ] ] or [ val(meta), [ path(bam) ] ]
    ch_star_index // [ val(meta), path(star_index) ]

    main:
    STAR_ALIGN(ch_reads, ch_star_index)
    ch_versions = STAR_ALIGN.out.versions.first()

    emit:
    bam            = STAR_ALIGN.out.bam            // [ val(meta), path(bam), path(bai) ]
    junctions      = STAR_ALIGN.out.junctions      // [ val(meta), path(SJ.out.tab) ]
    chimeric       = STAR_ALIGN.out.chimeric       // [ val(meta), path(Chimeric.out.junction) ]
    reads_per_gene = STAR_ALIGN.out.reads_per_gene // [ val(meta), path(ReadsPerGene.out.tab) ]
    strandedness   = STAR_ALIGN.out.strandedness   // [ val(meta), path(strandedness.json) ]
    log_final      = STAR_ALIGN.out.log_final      // [ val(meta), path(Log.final.out) ]
    markdup        = STAR_ALIGN.out.markdup        // [ val(meta), path(markdup.txt) ]
    versions       = ch_versions                   // path(versions.yml)
}
