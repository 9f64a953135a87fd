//
// FUSIONS: fusion calls from chimeric and spliced junctions; exon-deletion junctions
//
include { FUSIONS_CALL   } from '../../../modules/local/fusions_call'
include { SPLICE_LESIONS } from '../../../modules/local/splice_lesions'

workflow FUSIONS {
    take:
    ch_fusion_input // [ val(meta), path(chimeric), path(sj), path(log_final), path(bam), path(bai) ]
    ch_junctions    // [ val(meta), path(SJ.out.tab) ]
    ch_fasta        // [ val(meta), path(fasta), path(fai) ]
    ch_annotation   // [ val(meta), path(annotation) ]: the prepared bundle

    main:
    FUSIONS_CALL(ch_fusion_input, ch_fasta, ch_annotation)
    SPLICE_LESIONS(ch_junctions, ch_annotation)
    ch_versions = channel.empty()
        .mix(FUSIONS_CALL.out.versions.first())
        .mix(SPLICE_LESIONS.out.versions.first())

    emit:
    fusions  = FUSIONS_CALL.out.fusions   // [ val(meta), path(fusions.tsv) ]
    lesions  = SPLICE_LESIONS.out.lesions // [ val(meta), path(splice_lesions.tsv) ]
    versions = ch_versions                // path(versions.yml)
}
