//
// ALIGN: the STAR index (given, or built once), then every sample aligned: BAM, junctions,
// chimeric junctions, gene counts, strandedness
//
include { STAR_INDEX } from '../../../modules/local/star_index'
include { STAR_ALIGN } from '../../../modules/local/star_align'

workflow ALIGN {
    take:
    ch_reads   // [ val(meta), [ path(fastq_1), path(fastq_2) ] ] or [ val(meta), [ path(bam) ] ]
    fasta      // path: genome.fa
    gtf        // path: genes.gtf
    star_index // path: prebuilt STAR index folder, or null to build one

    main:
    ch_versions = channel.empty()
    if (star_index) {
        ch_star_index = channel.value([[id: 'star_index'], star_index])
    }
    else {
        STAR_INDEX(channel.value([[id: 'star_index'], fasta, gtf]))
        ch_star_index = STAR_INDEX.out.index
        ch_versions = ch_versions.mix(STAR_INDEX.out.versions)
    }                                       // [ val(meta), path(star_index) ]
    STAR_ALIGN(ch_reads, ch_star_index)
    ch_versions = ch_versions.mix(STAR_ALIGN.out.versions.first())

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
