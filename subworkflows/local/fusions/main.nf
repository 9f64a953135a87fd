//
// FUSIONS: fusion calls from chimeric and spliced junctions; exon-deletion junctions
//
include { TKISEQ_FUSIONS_CALL   } from '../../../modules/local/tkiseq/fusions_call'
include { TKISEQ_SPLICE_LESIONS } from '../../../modules/local/tkiseq/splice_lesions'

workflow FUSIONS {
    take:
    ch_fusion_input // [ val(meta), path(chimeric), path(sj), path(log_final), path(bam), path(bai) ]
    ch_junctions    // [ val(meta), path(SJ.out.tab) ]
    ch_fasta        // [ val(meta), path(fasta), path(fai) ]
    ch_annotation   // [ val(meta), path(annotation) ]: the prepared bundle

    main:
    TKISEQ_FUSIONS_CALL(ch_fusion_input, ch_fasta, ch_annotation)
    TKISEQ_SPLICE_LESIONS(ch_junctions, ch_annotation)
    ch_versions = channel.empty()
        .mix(TKISEQ_FUSIONS_CALL.out.versions.first())
        .mix(TKISEQ_SPLICE_LESIONS.out.versions.first())

    emit:
    fusions  = TKISEQ_FUSIONS_CALL.out.fusions   // [ val(meta), path(fusions.tsv) ]
    lesions  = TKISEQ_SPLICE_LESIONS.out.lesions // [ val(meta), path(splice_lesions.tsv) ]
    versions = ch_versions                // path(versions.yml)
}
